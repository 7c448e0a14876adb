import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/server/config.ts';
import { startGateway, type RunningGateway } from '../src/server/gateway.ts';
import { harnessPerTest } from './support/harness.ts';

const ALLOWED = 'https://console.example.com';
const OTHER = 'https://attacker.example.net';
const QUERY = '{ user(username: "bob") { username } }';

/** Sends requests somewhere: in process (`yoga.fetch`) or over real HTTP (`fetch`). */
type Send = (input: string, init: RequestInit) => Promise<Response>;

function post(send: Send, url: string, origin: string, query = QUERY) {
  return send(url, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query }),
  });
}

/** What a browser asks before a cross-origin JSON POST with an API key. */
function preflight(send: Send, url: string, origin: string) {
  return send(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-api-key' },
  });
}

/** Every CORS header of an answer, by lower-case name. */
function corsHeaders(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('access-control-')));
}

function expectGrantFor(response: Response, origin: string) {
  const headers = corsHeaders(response);
  expect(headers['access-control-allow-origin']).toBe(origin);
  expect(headers['access-control-expose-headers']?.split(/,\s*/)).toEqual(expect.arrayContaining(['x-request-id', 'retry-after', 'idempotent-replayed']));
  expect(headers['access-control-allow-credentials']).toBeUndefined();
}

/** The same cases in process and over HTTP: a grant for the listed origin alone, never with credentials. */
function corsCases(gatewayWith: (env: NodeJS.ProcessEnv) => Promise<{ send: Send; url: string }>) {
  it('grants an origin CORS_ORIGINS lists, exposing x-request-id and Retry-After, without credentials', async () => {
    const { send, url } = await gatewayWith({ CORS_ORIGINS: `http://localhost:3000, ${ALLOWED}` });
    const answer = await post(send, url, ALLOWED);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { user: { username: 'bob' } } });
    expectGrantFor(answer, ALLOWED);

    const asked = await preflight(send, url, ALLOWED);
    expect(asked.status).toBe(204);
    expectGrantFor(asked, ALLOWED);
    expect(asked.headers.get('access-control-allow-methods')).toBe('POST');
    expect(asked.headers.get('access-control-allow-headers')).toBe('content-type, x-api-key');
  });

  it('grants another origin nothing, its preflight included', async () => {
    const { send, url } = await gatewayWith({ CORS_ORIGINS: ALLOWED });
    const answer = await post(send, url, OTHER);
    expect(corsHeaders(answer)).toEqual({});
    await answer.arrayBuffer();
    expect(corsHeaders(await preflight(send, url, OTHER))).toEqual({});
    // Nor a page served from a file or a sandboxed frame, whose origin is "null".
    expect(corsHeaders(await preflight(send, url, 'null'))).toEqual({});
  });

  it('grants no origin at all without CORS_ORIGINS', async () => {
    const { send, url } = await gatewayWith({});
    for (const origin of [ALLOWED, OTHER]) {
      const answer = await post(send, url, origin);
      expect(corsHeaders(answer)).toEqual({});
      await answer.arrayBuffer();
      expect(corsHeaders(await preflight(send, url, origin))).toEqual({});
    }
  });

  it('with CORS_ORIGINS=*, grants any origin, never with credentials', async () => {
    const { send, url } = await gatewayWith({ CORS_ORIGINS: '*' });
    for (const origin of [ALLOWED, OTHER]) {
      const answer = await post(send, url, origin);
      expectGrantFor(answer, origin);
      await answer.arrayBuffer();
      expectGrantFor(await preflight(send, url, origin), origin);
    }
  });

  it('grants the listed origin on answers a plugin writes itself: a page can read Retry-After of a 429', async () => {
    const { send, url } = await gatewayWith({ CORS_ORIGINS: ALLOWED, RATE_LIMIT_PER_MINUTE: '1' });
    await (await post(send, url, ALLOWED)).arrayBuffer();
    const refused = await post(send, url, ALLOWED);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expectGrantFor(refused, ALLOWED);
  });
}

describe('CORS in process', () => {
  const harnessWith = harnessPerTest();
  corsCases(async (env) => {
    const harness = await harnessWith({ env });
    return { send: (input, init) => Promise.resolve(harness.yoga.fetch(input, init)), url: 'http://gateway.test/graphql' };
  });
});

describe('CORS over HTTP', () => {
  const started: RunningGateway[] = [];
  afterAll(() => Promise.all(started.map((gateway) => gateway.close())));
  corsCases(async (env) => {
    const gateway = await startGateway(loadConfig({ PORT: '0', LOG_LEVEL: 'silent', ...env }));
    started.push(gateway);
    return { send: fetch, url: gateway.url };
  });
});

describe('where the embedded demo listens', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway(loadConfig({ PORT: '0', LOG_LEVEL: 'silent' }));
  });
  afterAll(() => gateway.close());

  it('on loopback alone when HOST is unset', () => {
    expect(gateway.server.address()).toMatchObject({ address: '127.0.0.1' });
  });
});
