import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { harnessPerTest, type Harness } from './support/harness.ts';
import { apiKey } from './support/credentials.ts';
import { openRedisProxy, startTestRedis, type TestRedis } from './support/redis.ts';

/** Asks gate (the user) and switch (its account): every request that is let through reaches upstreams. */
const QUERY = '{ user(username: "bob") { username } }';

const alice = apiKey('alice', ['users:read', 'admin']);
const bob = apiKey('bob', ['users:read', 'admin']);
const API_KEYS = JSON.stringify([alice.entry, bob.entry]);

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis?.stop());

const harnessWith = harnessPerTest();

/** A gateway that allows 5 requests a minute per client; with `redisKeyPrefix`, over that Redis. */
function limitedGateway(redisKeyPrefix?: string): Promise<Harness> {
  const env = { API_KEYS, RATE_LIMIT_PER_MINUTE: '5', ...(redisKeyPrefix && { REDIS_URL: redis.url }) };
  return harnessWith({ env, redisKeyPrefix });
}

/** A request that must go through: data, no errors. */
async function goesThrough(harness: Harness, key: string): Promise<void> {
  const result = await harness.execute(QUERY, {}, { 'x-api-key': key });
  expect(result.errors).toBeUndefined();
  expect(result.data).toEqual({ user: { username: 'bob' } });
}

/** The same request as `harness.execute` sends it, with what the body alone does not tell: status and headers. */
async function post(harness: Harness, headers: Record<string, string>) {
  const response = await harness.yoga.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query: QUERY }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
}

/** Refused without a call upstream: 429, Retry-After in whole seconds, RATE_LIMITED with the same seconds. */
async function isRefused(harness: Harness, key: string): Promise<void> {
  const upstreamCalls = harness.requests().length;
  const { status, retryAfter, body } = await post(harness, { 'x-api-key': key });
  expect(status).toBe(429);
  expect(retryAfter).toMatch(/^\d+$/);
  const seconds = Number(retryAfter);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(60);
  expect(body.data).toBeUndefined();
  expect(body.errors).toEqual([{ message: expect.stringContaining('Too many requests'), extensions: { code: 'RATE_LIMITED', retryAfter: seconds, requestId: expect.any(String) } }]);
  expect(harness.requests().length).toBe(upstreamCalls);
}

describe('RATE_LIMIT_PER_MINUTE=5', () => {
  it('refuses the 6th request of a client with 429, Retry-After and RATE_LIMITED, asking no upstream; another client goes through', async () => {
    const harness = await limitedGateway();
    for (let i = 0; i < 5; i++) await goesThrough(harness, alice.key);
    expect(harness.requests().length).toBeGreaterThan(0);
    await isRefused(harness, alice.key);
    await isRefused(harness, alice.key);

    const upstreamCalls = harness.requests().length;
    await goesThrough(harness, bob.key);
    expect(harness.requests().length).toBeGreaterThan(upstreamCalls);
  });

  it('counts each client apart', async () => {
    const harness = await limitedGateway();
    for (let i = 0; i < 3; i++) await goesThrough(harness, alice.key);
    for (let i = 0; i < 5; i++) await goesThrough(harness, bob.key);
    await isRefused(harness, bob.key);
    for (let i = 0; i < 2; i++) await goesThrough(harness, alice.key);
    await isRefused(harness, alice.key);
  });

  it('counts neither GraphiQL`s page nor requests whose credential is refused', async () => {
    const harness = await limitedGateway();
    for (let i = 0; i < 6; i++) {
      const page = await harness.yoga.fetch('http://gateway.test/graphql', { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      await page.arrayBuffer();
    }
    for (let i = 0; i < 6; i++) expect((await post(harness, { 'x-api-key': 'not-a-key' })).status).toBe(401);
    for (let i = 0; i < 5; i++) await goesThrough(harness, alice.key);
    await isRefused(harness, alice.key);
  });

  async function oneGatewayTwice(): Promise<[Harness, Harness]> {
    const gateway = await limitedGateway();
    return [gateway, gateway];
  }
  async function twoGatewaysOnOneRedis(): Promise<[Harness, Harness]> {
    const prefix = `rate-limit-test:${randomUUID()}:`;
    return Promise.all([limitedGateway(prefix), limitedGateway(prefix)]);
  }

  describe.each([
    { name: 'in memory, through one gateway', gateways: oneGatewayTwice },
    { name: 'over Redis, through two gateways', gateways: twoGatewaysOnOneRedis },
  ])('$name', ({ gateways }) => {
    it('shares one client`s budget: 3 through one, 3 through the other, and the 6th is refused', async () => {
      const [a, b] = await gateways();
      for (let i = 0; i < 3; i++) await goesThrough(a, alice.key);
      for (let i = 0; i < 2; i++) await goesThrough(b, alice.key);
      await isRefused(b, alice.key);
      await isRefused(a, alice.key);
      await goesThrough(a, bob.key);
      await goesThrough(b, bob.key);
    });
  });

  it('without Redis, two gateways count apart: the memory state is one process`s', async () => {
    const [a, b] = await Promise.all([limitedGateway(), limitedGateway()]);
    for (let i = 0; i < 5; i++) await goesThrough(a, alice.key);
    for (let i = 0; i < 5; i++) await goesThrough(b, alice.key);
    await isRefused(a, alice.key);
    await isRefused(b, alice.key);
  });

  it('with client authentication off, counts the remote address (over HTTP), else the caller `anonymous`', async () => {
    const harness = await harnessWith({ env: { RATE_LIMIT_PER_MINUTE: '5' } });
    const server = createServer(harness.yoga);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    try {
      const overHttp = () =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
          body: JSON.stringify({ query: QUERY }),
        });
      for (let i = 0; i < 5; i++) {
        const response = await overHttp();
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ data: { user: { username: 'bob' } } });
      }
      const refused = await overHttp();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('RATE_LIMITED');

      // In process there is no connection, so no address: the caller's id names the client, and
      // `anonymous` has a budget of its own, apart from 127.0.0.1's.
      for (let i = 0; i < 5; i++) expect(await harness.execute(QUERY)).toEqual({ data: { user: { username: 'bob' } } });
      expect((await post(harness, {})).status).toBe(429);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('RATE_LIMIT_PER_MINUTE=5 over a Redis that hangs (takes commands, never answers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers every request without waiting for Redis`s command timeout: counted in this process, Redis left alone, then asked by one request', async () => {
    const proxy = await openRedisProxy(redis.url);
    const prefix = `rate-limit-test:${randomUUID()}:`;
    // Ten minutes for each Redis command: only the rate limit's own short wait can finish a request.
    const harness = await harnessWith({ env: { API_KEYS, RATE_LIMIT_PER_MINUTE: '5', REDIS_URL: proxy.url }, redisKeyPrefix: prefix, redisTimeoutMs: 600_000 });
    /** How many counts the gateway has asked Redis for. */
    const countsAsked = () => proxy.sent().split(`${prefix}rate:60s`).length - 1;
    try {
      await goesThrough(harness, alice.key);
      const askedBefore = countsAsked();
      expect(askedBefore).toBeGreaterThan(0);
      // Date alone is the breaker's clock (cockatiel reads Date.now()); the timers stay real.
      vi.useFakeTimers({ toFake: ['Date'] });

      proxy.hang();
      await goesThrough(harness, alice.key);
      expect(countsAsked()).toBe(askedBefore + 1);
      // Redis is left alone now; this process counts alice from nothing and holds her to the limit.
      for (let i = 0; i < 4; i++) await goesThrough(harness, alice.key);
      await isRefused(harness, alice.key);
      expect(countsAsked()).toBe(askedBefore + 1);

      // After the pause one request asks Redis again; Redis still hangs, so it too is counted here.
      vi.setSystemTime(Date.now() + 5_001);
      await goesThrough(harness, bob.key);
      await goesThrough(harness, bob.key);
      expect(countsAsked()).toBe(askedBefore + 2);

      // Redis answers again: after the next pause the probe is answered, and counts go to Redis again.
      proxy.resume();
      vi.setSystemTime(Date.now() + 5_001);
      await goesThrough(harness, bob.key);
      await goesThrough(harness, bob.key);
      expect(countsAsked()).toBe(askedBefore + 4);
    } finally {
      proxy.resume();
    }
  });
});

it('without RATE_LIMIT_PER_MINUTE, no client is limited', async () => {
  const harness = await harnessWith({ env: { API_KEYS } });
  for (let i = 0; i < 12; i++) await goesThrough(harness, alice.key);
});
