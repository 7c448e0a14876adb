// The base probe (call-path/base-probe.ts) over the reply layers and a pool, against a server
// that holds its answers: when a 404 is believed, and when it blames the base URL instead. One
// connection: the server sees the calls, and the probe, in the order they were made.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { baseProbe } from '../../src/upstreams/call-path/base-probe.ts';
import { callOptions, heldServer, replyPath } from './support.ts';

let server: Awaited<ReturnType<typeof heldServer>>;
let path: ReturnType<typeof replyPath>;
beforeEach(async () => {
  server = await heldServer();
  path = replyPath(server.origin, [
    baseProbe({
      upstream: 'gate',
      configuredBy: 'GATE_URL',
      probeRoute: '/user/',
      probe: (requestId) => callOptions('/api/user/?limit=1', { route: '/user/', headers: { 'x-request-id': requestId } }),
    }),
  ], { connections: 1 });
});
afterEach(async () => {
  await path.close();
  await server.close();
});

const lookup = (id: number, requestId = 'r') => path.call(callOptions(`/api/user/${id}`, { route: '/user/{id}', scope: { requestId, deadline: performance.now() + 10_000 } }));

describe('a 404 before any reply', () => {
  it('asks the probe, once for 404s at once, with the request id of the first; a 404 there too blames the base URL', async () => {
    const first = lookup(1, 'first').catch((error: unknown) => error);
    const second = lookup(2, 'second').catch((error: unknown) => error);
    (await server.next()).answer(404);
    (await server.next()).answer(404);
    const probe = await server.next();
    expect([probe.url, probe.headers['x-request-id']]).toEqual(['/api/user/?limit=1', 'first']);
    probe.answer(404);
    const misconfigured = { code: 'UPSTREAM_MISCONFIGURED', status: 404, message: 'gate answers 404 for /user/ itself: GATE_URL lacks or misnames the API prefix' };
    expect(await first).toMatchObject(misconfigured);
    expect(await second).toMatchObject(misconfigured);
    expect(server.seen()).toEqual(['GET /api/user/1', 'GET /api/user/2', 'GET /api/user/?limit=1']);
  });

  it('is believed once the probe answers, and from then on without asking', async () => {
    const missing = lookup(1);
    (await server.next()).answer(404);
    (await server.next()).answer(200, []);
    await expect(missing).rejects.toMatchObject({ code: 'UPSTREAM_NOT_FOUND', status: 404 });
    const again = lookup(2);
    (await server.next()).answer(404);
    await expect(again).rejects.toMatchObject({ code: 'UPSTREAM_NOT_FOUND' });
    expect(server.seen()).toEqual(['GET /api/user/1', 'GET /api/user/?limit=1', 'GET /api/user/2']);
  });

  it('is the call’s own answer when the probe fails otherwise, and the next 404 asks again', async () => {
    const missing = lookup(1);
    (await server.next()).answer(404);
    (await server.next()).answer(503);
    await expect(missing).rejects.toMatchObject({ code: 'UPSTREAM_NOT_FOUND' });
    const again = lookup(2);
    (await server.next()).answer(404);
    (await server.next()).answer(404);
    await expect(again).rejects.toMatchObject({ code: 'UPSTREAM_MISCONFIGURED' });
  });
});

describe('after a reply', () => {
  it('a 404 is believed without a probe', async () => {
    const found = lookup(1);
    (await server.next()).answer(200, { id: 1 });
    await found;
    const missing = lookup(2);
    (await server.next()).answer(404);
    await expect(missing).rejects.toMatchObject({ code: 'UPSTREAM_NOT_FOUND' });
    expect(server.seen()).toEqual(['GET /api/user/1', 'GET /api/user/2']);
  });
});
