import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/server/config.ts';
import { EXAMPLE_QUERY } from '../src/server/example-query.ts';
import { startGateway, type RunningGateway } from '../src/server/gateway.ts';
import { negotiatedCoding } from '../src/server/plugins/use-graphiql-page.ts';
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
    // Headers typed in are not kept in the browser unless the person turns that on.
    expect(html).toContain('"shouldPersistHeaders":false');
    expect(html).toContain('"showPersistHeadersSettings":true');
  });

  /** GraphiQL's page as sent, and its size on the wire (fetch decodes the body; Content-Length is what travelled). */
  async function graphiql(headers: Record<string, string>) {
    const response = await fetch(gateway.url, { headers: { accept: 'text/html', ...headers } });
    return { response, wireBytes: Number(response.headers.get('content-length')), html: await response.text() };
  }

  it('sends GraphiQL compressed, brotli or gzip by Accept-Encoding, well under 3 MB on the wire (9 MB unencoded)', async () => {
    const plain = await graphiql({ 'accept-encoding': 'identity' });
    expect(plain.response.headers.get('content-encoding')).toBeNull();
    expect(plain.wireBytes).toBeGreaterThan(8_000_000);
    for (const [acceptEncoding, coding] of [['br', 'br'], ['gzip', 'gzip'], ['gzip, deflate, br, zstd', 'br'], ['br;q=0.5, gzip', 'gzip']] as const) {
      const page = await graphiql({ 'accept-encoding': acceptEncoding });
      expect(page.response.headers.get('content-encoding')).toBe(coding);
      expect(page.response.headers.get('vary')).toMatch(/accept-encoding/i);
      expect(page.wireBytes).toBeLessThan(2_500_000);
      expect(page.html).toBe(plain.html);
    }
  });

  it('weighs Accept-Encoding as RFC 9110 has it: q-values, `*`, identity refused only when said', () => {
    expect(negotiatedCoding(null)).toBe('identity');
    expect(negotiatedCoding('')).toBe('identity');
    expect(negotiatedCoding('*')).toBe('br');
    expect(negotiatedCoding('gzip;q=0.8, br;q=0.9')).toBe('br');
    expect(negotiatedCoding('gzip;q=0.2')).toBe('gzip');
    expect(negotiatedCoding('identity, gzip;q=0.5')).toBe('identity');
    expect(negotiatedCoding('br;q=0, *;q=0.5')).toBe('gzip');
    expect(negotiatedCoding('deflate')).toBe('identity');
    expect(negotiatedCoding('deflate, identity;q=0')).toBeUndefined();
    expect(negotiatedCoding('*;q=0')).toBeUndefined();
  });

  it('lets a browser keep GraphiQL: the same ETag whatever the coding, and 304 with no body while it holds', async () => {
    const first = await graphiql({ 'accept-encoding': 'br' });
    const etag = first.response.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.response.headers.get('cache-control')).toBe('no-cache');
    expect((await graphiql({ 'accept-encoding': 'gzip' })).response.headers.get('etag')).toBe(etag);
    for (const ifNoneMatch of [etag as string, `W/${etag}`, `"other", ${etag}`]) {
      const again = await fetch(gateway.url, { headers: { accept: 'text/html', 'accept-encoding': 'br', 'if-none-match': ifNoneMatch } });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe('');
    }
    const changed = await fetch(gateway.url, { headers: { accept: 'text/html', 'if-none-match': '"an older page"' } });
    expect(changed.status).toBe(200);
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
