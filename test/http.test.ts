import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/server/config.ts';
import { EXAMPLE_QUERY } from '../src/server/example-query.ts';
import { startGateway, type RunningGateway } from '../src/server/gateway.ts';
import { startSimulators, type Simulators } from '../src/simulators/index.ts';
import { upstreamEnv } from './support/harness.ts';

async function post(url: string, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { response, body: (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] } };
}

describe('over HTTP, with embedded simulators (npm start without configuration)', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway(loadConfig({ HOST: '127.0.0.1', PORT: '0' }));
  });
  afterAll(() => gateway.close());

  it('starts the simulators for every unconfigured upstream', () => {
    expect(gateway.simulated).toEqual(['gate', 'edge', 'switch']);
    expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
  });

  it('answers GraphiQL`s example query', async () => {
    const { response, body } = await post(gateway.url, EXAMPLE_QUERY);
    expect(response.status).toBe(200);
    expect(body.errors).toBeUndefined();
    const users = body.data?.['users'] as { totalCount: number; edges: { node: { username: string; switchAccount: unknown } }[] };
    expect(users.edges).toHaveLength(5);
    expect(users.totalCount).toBeGreaterThan(100);
  });

  it('serves GraphiQL, self-contained, opening on the example query', async () => {
    const response = await fetch(gateway.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain(JSON.stringify(EXAMPLE_QUERY).slice(1, 60));
    expect(html).not.toMatch(/<script[^>]+src=["']?https?:/);
  });

  it('echoes the request id it passed upstream', async () => {
    const { response } = await post(gateway.url, '{ user(username: "bob") { username } }', { 'x-request-id': 'trace-42' });
    expect(response.headers.get('x-request-id')).toBe('trace-42');
    const generated = await post(gateway.url, '{ __typename }', { 'x-request-id': 'bad id\twith tab' });
    expect(generated.response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('over HTTP, against upstreams named by configuration', () => {
  let simulators: Simulators;
  let gateway: RunningGateway;
  beforeAll(async () => {
    simulators = await startSimulators();
    gateway = await startGateway(
      loadConfig({ HOST: '127.0.0.1', PORT: '0', AUTH_MODE: 'none', ...upstreamEnv(simulators) }),
    );
  });
  afterAll(async () => {
    await gateway.close();
    await simulators.close();
  });

  it('uses them (edge through its `Token user:token` scheme) and starts no simulator', async () => {
    expect(gateway.simulated).toEqual([]);
    simulators.resetRequests();
    const { body } = await post(gateway.url, '{ user(username: "bob") { username edgeAccount { username } switchAccount { name } token { username } } }');
    expect(body).toEqual({
      data: { user: { username: 'bob', edgeAccount: { username: 'bob' }, switchAccount: { name: 'bob' }, token: { username: 'bob' } } },
    });
    const upstreams = new Set(simulators.requests.map((request) => request.upstream));
    expect(upstreams).toEqual(new Set(['gate', 'edge', 'switch']));
    const edgeAuth = simulators.requests.find((request) => request.upstream === 'edge')?.headers['authorization'];
    expect(edgeAuth).toBe(`Token ${simulators.edge.token}`);
  });
});
