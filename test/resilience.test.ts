import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { UpstreamAttempt, UpstreamObserver, UpstreamRetry } from '../src/upstreams/observer.ts';
import { gateHeaders } from '../src/server/config.ts';
import { startSimulators } from '../src/simulators/index.ts';
import { harnessPerTest, type Harness } from './support/harness.ts';
import { WAIT } from './support/held-answers.ts';

/**
 * The fault matrix: each row an upstream misbehaving, and what the gateway does about it, with
 * the upstream calls it made. Faults come from the simulators (`injectFault`), or from a TCP
 * forwarder in front of one that can be taken down and brought back on the same port.
 */

type Json = Record<string, any>;

/** Counts attempts and retries per upstream, as the observer hears them. */
function recorder() {
  const attempts: UpstreamAttempt[] = [];
  const retries: UpstreamRetry[] = [];
  const breaker: string[] = [];
  const observer: UpstreamObserver = {
    attemptEnded: (attempt) => void attempts.push(attempt),
    retrying: (retry) => void retries.push(retry),
    breakerChanged: (upstream, state) => void breaker.push(`${upstream}:${state}`),
  };
  return { observer, attempts, retries, breaker, of: (upstream: string) => attempts.filter((attempt) => attempt.upstream === upstream) };
}

/** A TCP forwarder to `target` that can stop listening (connections refused) and listen again on the same port. */
async function forwarder(target: string) {
  const { hostname, port: targetPort, pathname } = new URL(target);
  const sockets = new Set<Socket>();
  let server: TcpServer | undefined;
  let port = 0;
  const up = async () => {
    server = createTcpServer((socket) => {
      const upstream = connect(Number(targetPort), hostname);
      for (const end of [socket, upstream]) {
        sockets.add(end);
        end.on('close', () => sockets.delete(end));
        end.on('error', () => end.destroy());
      }
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  await up();
  return {
    url: () => `http://127.0.0.1:${port}${pathname}`,
    async down() {
      const closed = new Promise((resolve) => server?.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    up,
  };
}

const start = harnessPerTest();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const MIXED = '{ users(first: 3) { totalCount } edgeUsers(first: 2) { totalCount } switchUsers(first: 2) { totalCount } }';
const codesOf = (result: Json) => (result['errors'] ?? []).map((error: Json) => `${error.path?.join('.')}:${error.extensions?.code}`);

describe('connections refused', () => {
  it('answers the other upstreams’ fields, opens the breaker, fails fast while open, and resumes after a good probe', async () => {
    const record = recorder();
    const own = await startSimulators();
    closers.push(() => own.close());
    const door = await forwarder(own.gate.url);
    closers.push(() => door.down());
    const harness: Harness = await start({
      observer: record.observer,
      env: { UPSTREAM_RETRIES: '0', UPSTREAM_BREAKER_MIN_CALLS: '4', UPSTREAM_BREAKER_WINDOW_MS: '10000', UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: '300' },
      override: { gate: { url: door.url(), headers: gateHeaders(own.gate.token) } },
    });
    expect((await harness.execute(MIXED)).errors).toBeUndefined();

    await door.down();
    // Until the breaker opens, gate is asked and refuses; edge and switch answer all along.
    let result: Json = {};
    for (let query = 0; query < 10 && harness.upstreams.health()[0]?.breaker !== 'open'; query++) {
      result = (await harness.execute(MIXED)) as Json;
      expect(result['data']).toMatchObject({ users: null, edgeUsers: { totalCount: expect.any(Number) }, switchUsers: { totalCount: expect.any(Number) } });
    }
    expect(codesOf(result)).toEqual(['users:UPSTREAM_UNREACHABLE']);
    expect(harness.upstreams.health()[0]).toMatchObject({ upstream: 'gate', breaker: 'open' });
    expect(record.breaker).toContain('gate:open');

    // Open: gate is not asked at all, and the field fails at once with its own code.
    const attemptsBefore = record.of('gate').length;
    const open = (await harness.execute(MIXED)) as Json;
    expect(codesOf(open)).toEqual(['users:UPSTREAM_CIRCUIT_OPEN']);
    expect(open['data'].edgeUsers.totalCount).toBeGreaterThan(0);
    expect(record.of('gate').length).toBe(attemptsBefore);

    // Back up, and past the half-open delay: one probe goes through, succeeds, and closes the breaker.
    await door.up();
    await sleep(350);
    expect((await harness.execute(MIXED)).errors).toBeUndefined();
    expect(record.breaker.slice(-2)).toEqual(['gate:half-open', 'gate:closed']);
    expect(record.of('gate').length).toBe(attemptsBefore + 1);
  });
});

/** How many requests the simulators saw for one upstream and path (below its API prefix), by method. */
function seen(harness: Harness, upstream: string, path: string, method = 'GET'): number {
  return harness.requests().filter((request) => request.upstream === upstream && request.method === method && request.path.endsWith(path)).length;
}

/** What node is holding open now: timers and sockets, by kind. */
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe('slower than the deadline', () => {
  it('ends by the deadline with UPSTREAM_TIMEOUT on the slow upstream’s fields only, and leaves no socket or timer behind after 1,000 such queries', async () => {
    // The breaker stays out of it here: every one of these queries is to wait for gate.
    const harness = await start({ env: { REQUEST_DEADLINE_MS: '300', UPSTREAM_BREAKER_MIN_CALLS: '1000000', UPSTREAM_CONNECTIONS: '20' } });
    harness.simulators.injectFault('gate', { path: '/user/', action: 'hang', times: 'always' });
    const result = (await harness.execute(MIXED)) as Json;
    expect(codesOf(result)).toEqual(['users:UPSTREAM_TIMEOUT']);
    expect(result['data'].edgeUsers.totalCount).toBeGreaterThan(0);

    const batch = () => Promise.all(Array.from({ length: 100 }, () => harness.execute('{ users(first: 3) { totalCount } }')));
    const before = activeResources();
    // After each round, once the closed sockets are let go: gate's pool holds at most its 20
    // connections (each a socket here and one in the simulator). A socket left behind never goes.
    const settled = (kind: string, most: number) => vi.waitFor(() => expect(activeResources()[kind] ?? 0).toBeLessThanOrEqual(most), WAIT);
    for (let round = 0; round < 10; round++) {
      const answers = (await batch()) as Json[];
      expect(new Set(answers.flatMap(codesOf))).toEqual(new Set(['users:UPSTREAM_TIMEOUT']));
      await settled('TCPSocketWrap', (before['TCPSocketWrap'] ?? 0) + 2 * 20);
    }
    await settled('Timeout', before['Timeout'] ?? 0);
  });
});

describe('503, 429 and Retry-After', () => {
  it('reads again after a 503 and a 429 with Retry-After: 1, waiting what the upstream asked: three calls, and the answer', async () => {
    const record = recorder();
    const harness = await start({ observer: record.observer });
    harness.simulators.injectFault('gate', { method: 'GET', path: '/user/', action: 'status', status: 503, times: 1 });
    harness.simulators.injectFault('gate', { method: 'GET', path: '/user/', action: 'status', status: 429, headers: { 'Retry-After': '1' }, times: 1 });
    harness.simulators.resetRequests();
    const result = (await harness.execute('{ users(first: 3) { totalCount } }')) as Json;
    expect(result['errors']).toBeUndefined();
    expect(result['data'].users.totalCount).toBe(300);
    expect(seen(harness, 'gate', '/user/')).toBe(3);
    expect(record.retries.map(({ reason, attempt }) => `${attempt}:${reason}`)).toEqual(['2:UPSTREAM_ERROR', '3:UPSTREAM_RATE_LIMITED']);
    expect(record.retries[0]?.delayMs).toBeLessThanOrEqual(100);
    expect(record.retries[1]?.delayMs).toBe(1000);
  });

  it('does not wait for a Retry-After past the deadline: the field fails at once, saying when to ask again', async () => {
    const record = recorder();
    const harness = await start({ observer: record.observer });
    harness.simulators.injectFault('gate', { method: 'GET', path: '/user/', action: 'status', status: 429, headers: { 'Retry-After': '60' }, times: 1 });
    harness.simulators.resetRequests();
    const result = (await harness.execute('{ users(first: 3) { totalCount } switchUsers(first: 1) { totalCount } }')) as Json;
    expect(result['data'].users).toBeNull();
    expect(result['data'].switchUsers.totalCount).toBeGreaterThan(0);
    expect(result['errors']).toEqual([
      expect.objectContaining({ path: ['users'], extensions: expect.objectContaining({ code: 'UPSTREAM_RATE_LIMITED', upstream: 'gate', upstreamStatus: 429, retryAfter: 60 }) }),
    ]);
    expect(seen(harness, 'gate', '/user/')).toBe(1);
    expect(record.retries).toEqual([]);
  });

  it('gives up after UPSTREAM_RETRIES, with the last failure', async () => {
    const harness = await start({ env: { UPSTREAM_RETRIES: '1', UPSTREAM_RETRY_BASE_MS: '1' } });
    harness.simulators.injectFault('gate', { method: 'GET', path: '/user/', action: 'status', status: 502, times: 5 });
    harness.simulators.resetRequests();
    const result = (await harness.execute('{ users(first: 3) { totalCount } }')) as Json;
    expect(codesOf(result)).toEqual(['users:UPSTREAM_ERROR']);
    expect(seen(harness, 'gate', '/user/')).toBe(2);
  });
});

describe('connection resets', () => {
  it('reads again after a reset on a GET, and answers', async () => {
    const harness = await start({});
    harness.simulators.injectFault('gate', { method: 'GET', path: '/user/', action: 'reset-before', times: 1 });
    harness.simulators.resetRequests();
    const result = (await harness.execute('{ users(first: 3) { totalCount } }')) as Json;
    expect(result['errors']).toBeUndefined();
    expect(seen(harness, 'gate', '/user/')).toBe(2);
  });

  it('never sends a write again after a reset: it reads back, and says whether the write landed', async () => {
    const harness = await start({});
    const create = (username: string) =>
      harness.execute(
        `mutation ($input: CreateUserInput!) { createUser(input: $input) { __typename ... on Error { message } ... on CreateUserPayload { user { username } } } }`,
        { input: { username, email: `${username}@acme.com`, password: 'long-enough-1', organization: 'acme' } },
      ) as Promise<Json>;

    harness.simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'reset-before', times: 1 });
    harness.simulators.resetRequests();
    const lost = await create('reset.before');
    expect(lost['data'].createUser).toMatchObject({ __typename: 'UpstreamFailure', message: expect.stringContaining('did not land') });
    expect(seen(harness, 'gate', '/user/', 'POST')).toBe(1);

    harness.simulators.injectFault('gate', { method: 'POST', path: '/user/', action: 'reset-after', times: 1 });
    harness.simulators.resetRequests();
    const landed = await create('reset.after');
    expect(landed['data'].createUser).toEqual({ __typename: 'CreateUserPayload', user: { username: 'reset.after' } });
    expect(seen(harness, 'gate', '/user/', 'POST')).toBe(1);
  });
});

describe('answers that are not what the docs say', () => {
  const PEOPLE = '{ users(first: 3) { edges { node { username token { isActive } switchAccount { userId } } } } }';

  it.each([
    ['malformed JSON', { action: 'malformed' as const }],
    ['a wrong shape', { action: 'status' as const, status: 200, body: { count: 'many', results: 7 } }],
  ])('%s from gate’s user tokens: UPSTREAM_BAD_RESPONSE on the token fields only', async (_name, fault) => {
    const harness = await start({});
    const clean = (await harness.data(PEOPLE)) as Json;
    harness.simulators.injectFault('gate', { method: 'GET', path: '/user_token/', times: 'always', ...fault });
    const result = (await harness.execute(PEOPLE)) as Json;
    const nodes = result['data'].users.edges.map((edge: Json) => edge.node);
    expect(nodes).toEqual(clean['users'].edges.map((edge: Json) => ({ ...edge.node, token: null })));
    expect(new Set(codesOf(result).map((entry: string) => entry.replace(/\.\d+\./, '.n.')))).toEqual(new Set(['users.edges.n.node.token:UPSTREAM_BAD_RESPONSE']));
  });

  it('switch’s success: false: an error on the switch fields only', async () => {
    const harness = await start({});
    const clean = (await harness.data(PEOPLE)) as Json;
    harness.simulators.injectFault('switch', {
      action: 'status',
      status: 200,
      times: 'always',
      body: { success: false, error_type: 'internal', error: { message: 'database is down', code: 500, reason: 'internal' } },
    });
    const result = (await harness.execute(PEOPLE)) as Json;
    const nodes = result['data'].users.edges.map((edge: Json) => edge.node);
    expect(nodes).toEqual(clean['users'].edges.map((edge: Json) => ({ ...edge.node, switchAccount: null })));
    const codes = new Set(codesOf(result).map((entry: string) => entry.replace(/\.\d+\./, '.n.')));
    expect(codes.size).toBe(1);
    expect([...codes][0]).toMatch(/^users\.edges\.n\.node\.switchAccount:UPSTREAM_/);
    expect(JSON.stringify(result)).not.toContain('database is down');
  });
});

describe('a bulkhead per upstream', () => {
  it('fails calls past its queue at once with UPSTREAM_OVERLOADED, and one hung upstream leaves the others their slots', async () => {
    const record = recorder();
    const harness = await start({
      observer: record.observer,
      // The same read four times over, each its own call (shared, they would be one).
      env: { UPSTREAM_CONNECTIONS: '2', UPSTREAM_MAX_QUEUED: '2', REQUEST_DEADLINE_MS: '500', UPSTREAM_BREAKER_MIN_CALLS: '1000000', UPSTREAM_SHARE_READS: 'false' },
    });
    harness.simulators.injectFault('gate', { path: '/user/', action: 'hang', times: 'always' });
    const GATE = '{ users(first: 1) { totalCount } }';
    const hung = Array.from({ length: 4 }, () => harness.execute(GATE) as Promise<Json>);
    // gate's slots are all taken (two sent, two waiting for a connection): the next gate call is not
    // made at all, while switch and edge answer.
    await vi.waitFor(() => {
      expect(seen(harness, 'gate', '/user/')).toBe(2);
      expect(harness.upstreams.health()[0]).toMatchObject({ upstream: 'gate', inFlight: 2, queued: 2 });
    }, WAIT);
    const attempts = record.of('gate').length;
    expect(codesOf((await harness.execute(GATE)) as Json)).toEqual(['users:UPSTREAM_OVERLOADED']);
    expect(record.of('gate')).toHaveLength(attempts);
    expect((await harness.execute('{ switchUsers(first: 1) { totalCount } edgeUsers(first: 1) { edges { node { username } } } }')).errors).toBeUndefined();
    // The two in flight and the two waiting end by the deadline (a waiting one is sent if a slot frees in time).
    expect((await Promise.all(hung)).flatMap(codesOf)).toEqual(Array(4).fill('users:UPSTREAM_TIMEOUT'));
    expect(harness.upstreams.health().map(({ upstream, inFlight, queued }) => `${upstream}:${inFlight}/${queued}`)).toEqual(['gate:0/0', 'edge:0/0', 'switch:0/0']);
  });
});
