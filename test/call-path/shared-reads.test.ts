// Shared reads with write fencing (call-path/shared-reads.ts) over the reply layers and a pool,
// against a server that holds its answers. test/shared-reads.test.ts shows the same through
// UpstreamHttp, the whole call path.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallOptions } from '../../src/upstreams/call-path/call.ts';
import { sharedReads } from '../../src/upstreams/call-path/shared-reads.ts';
import { callOptions, heldServer, replyPath } from './support.ts';

let server: Awaited<ReturnType<typeof heldServer>>;
let path: ReturnType<typeof replyPath>;
let shared: string[];
beforeEach(async () => {
  server = await heldServer();
  shared = [];
  path = replyPath(server.origin, [sharedReads({ upstream: 'gate', observer: { readShared: (_upstream, route) => void shared.push(route) } })]);
});
afterEach(async () => {
  await path.close();
  await server.close();
});

const read = (requestId: string, deadlineMs = 10_000, overrides: Partial<CallOptions> = {}) =>
  path.call(callOptions('/api/user/', { route: '/user/', headers: { 'x-request-id': requestId }, scope: { requestId, deadline: performance.now() + deadlineMs }, ...overrides }));
const write = () => path.call(callOptions('/api/user/', { method: 'POST', route: '/user/', body: '{}' }));

describe('identical reads in flight at once', () => {
  it('share the first reader’s call, and its reply, parsed once', async () => {
    const replies = [read('first'), read('second'), read('third', 10_000, { path: '/api/user/?page=2' })];
    const calls = [await server.next(), await server.next()];
    for (const call of calls) call.answer(200, [{ url: call.url }]);
    const [first, second, third] = await Promise.all(replies);
    expect(first?.body).toEqual([{ url: '/api/user/' }]);
    expect(second?.body).toBe(first?.body);
    expect(third?.body).toEqual([{ url: '/api/user/?page=2' }]);
    expect(calls.find((call) => call.url === '/api/user/')?.headers['x-request-id']).toBe('first');
    expect(server.seen().sort()).toEqual(['GET /api/user/', 'GET /api/user/?page=2']);
    expect(shared).toEqual(['/user/']);
  });

  it('share a failure too', async () => {
    const replies = [read('first'), read('second')].map((reply) => reply.catch((error: unknown) => error));
    (await server.next()).answer(500);
    const [first, second] = await Promise.all(replies);
    expect(second).toBe(first);
    expect(first).toMatchObject({ code: 'UPSTREAM_ERROR' });
  });

  it('are each their own call once the first has ended', async () => {
    const first = read('first');
    (await server.next()).answer(200, []);
    await first;
    const second = read('second');
    (await server.next()).answer(200, []);
    await second;
    expect(server.seen()).toHaveLength(2);
  });

  it('are not shared by a fresh read (one a write is computed from)', async () => {
    const replies = [read('query'), read('under-lock', 10_000, { scope: { requestId: 'under-lock', deadline: performance.now() + 10_000, fresh: true } })];
    for (let call = 0; call < 2; call++) (await server.next()).answer(200, []);
    await Promise.all(replies);
    expect(shared).toEqual([]);
  });
});

describe('a write', () => {
  it('fences the reads in flight as it is sent: a read begun after it asks on its own', async () => {
    const before = read('before');
    const written = write();
    const after = read('after');
    for (let call = 0; call < 3; call++) (await server.next()).answer(200, []);
    await Promise.all([before, written, after]);
    expect(server.seen().sort()).toEqual(['GET /api/user/', 'GET /api/user/', 'POST /api/user/']);
    expect(shared).toEqual([]);
  });

  it('fences them again as it is answered', async () => {
    const written = write();
    const during = read('during');
    const calls = [await server.next(), await server.next()];
    calls.find((call) => call.method === 'POST')?.answer(201, {});
    await written;
    const after = read('after');
    calls.find((call) => call.method === 'GET')?.answer(200, []);
    (await server.next()).answer(200, []);
    await Promise.all([during, after]);
    expect(server.seen().sort()).toEqual(['GET /api/user/', 'GET /api/user/', 'POST /api/user/']);
    expect(shared).toEqual([]);
  });
});

describe('deadlines', () => {
  it('a reader waits no longer than its own; the shared call goes on for the others', async () => {
    const long = read('long');
    const short = read('short', 30);
    await expect(short).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT', message: expect.stringMatching(/^gate did not answer GET \/user\/ within \d+ ms$/) });
    (await server.next()).answer(200, [{ id: 1 }]);
    await expect(long).resolves.toMatchObject({ body: [{ id: 1 }] });
    expect(server.seen()).toHaveLength(1);
  });

  it('a reader whose deadline outlasts a shared call that timed out asks again on its own', async () => {
    const short = read('short', 30);
    const long = read('long');
    await expect(short).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    await server.next();
    const own = await server.next();
    expect(own.headers['x-request-id']).toBe('long');
    own.answer(200, [{ id: 2 }]);
    await expect(long).resolves.toMatchObject({ body: [{ id: 2 }] });
  });
});
