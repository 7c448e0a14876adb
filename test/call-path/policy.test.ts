// The policy (call-path/policy.ts) over the reply layers and a pool, against a server that holds
// its answers: what is admitted, what is sent again, and what never reaches the upstream. Waits
// are 0 ms (no backoff, `Retry-After: 0`), so that order alone decides. The decisions themselves
// are call-policy.test.ts's.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { policy } from '../../src/upstreams/call-path/policy.ts';
import type { UpstreamRetry } from '../../src/upstreams/observer.ts';
import { CallPolicy, type CallPolicySettings } from '../../src/upstreams/policy.ts';
import { callOptions, heldServer, replyPath } from './support.ts';

const settings: CallPolicySettings = {
  retry: { retries: 2, baseDelayMs: 0, maxDelayMs: 0 },
  breaker: { failureRatio: 0.5, windowMs: 60_000, minimumCalls: 4, halfOpenAfterMs: 60_000 },
  bulkhead: { maxInFlight: 1, maxQueued: 1 },
};

let server: Awaited<ReturnType<typeof heldServer>>;
let path: ReturnType<typeof replyPath>;
let decisions: CallPolicy;
let retries: UpstreamRetry[];
beforeEach(async () => {
  server = await heldServer();
  decisions = new CallPolicy('gate', settings, {});
  retries = [];
  path = replyPath(server.origin, [policy({ upstream: 'gate', policy: decisions, observer: { retrying: (retry) => void retries.push(retry) } })]);
});
afterEach(async () => {
  await path.close();
  await server.close();
});

const read = () => path.call(callOptions('/api/user/', { route: '/user/' }));

describe('retries', () => {
  it('send a read again after a 503 and a 429, as often as allowed, telling the observer of each', async () => {
    const reply = read();
    (await server.next()).answer(503);
    (await server.next()).answer(429, undefined, { 'retry-after': '0' });
    (await server.next()).answer(200, [{ id: 1 }]);
    await expect(reply).resolves.toMatchObject({ body: [{ id: 1 }] });
    expect(retries.map(({ attempt, reason, delayMs }) => ({ attempt, reason, delayMs }))).toEqual([
      { attempt: 2, reason: 'UPSTREAM_ERROR', delayMs: 0 },
      { attempt: 3, reason: 'UPSTREAM_RATE_LIMITED', delayMs: 0 },
    ]);
  });

  it('stop when none are left: the last failure is the answer', async () => {
    const reply = read();
    for (let attempt = 0; attempt < 3; attempt++) (await server.next()).answer(502);
    await expect(reply).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', status: 502 });
    expect(server.seen()).toHaveLength(3);
  });

  it('never send a write again, nor a read the upstream refused for its own reasons', async () => {
    const write = path.call(callOptions('/api/user/', { method: 'POST', route: '/user/', body: '{}' }));
    (await server.next()).answer(503);
    await expect(write).rejects.toMatchObject({ status: 503 });
    const refused = read();
    (await server.next()).answer(400);
    await expect(refused).rejects.toMatchObject({ code: 'UPSTREAM_BAD_REQUEST' });
    expect(server.seen()).toEqual(['POST /api/user/', 'GET /api/user/']);
  });
});

describe('admission', () => {
  it('fails a call past the connections and the queue at once, unsent, and frees the slot as a call ends', async () => {
    const first = read();
    const second = read();
    await expect(read()).rejects.toMatchObject({ code: 'UPSTREAM_OVERLOADED' });
    (await server.next()).answer(200, []);
    await first;
    const third = read();
    (await server.next()).answer(200, []);
    (await server.next()).answer(200, []);
    await Promise.all([second, third]);
    expect(server.seen()).toHaveLength(3);
  });

  it('fails a call whose deadline has passed, unsent', async () => {
    await expect(path.call(callOptions('/api/user/', { scope: { requestId: 'r', deadline: performance.now() - 1 } }))).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(server.seen()).toEqual([]);
  });

  it('fails calls at once while the breaker is open: outages open it, nothing reaches the upstream', async () => {
    for (let call = 0; call < 4; call++) {
      const failed = path.call(callOptions('/api/user/', { method: 'POST', route: '/user/' }));
      (await server.next()).answer(500);
      await expect(failed).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    }
    expect(decisions.breakerState).toBe('open');
    await expect(read()).rejects.toMatchObject({ code: 'UPSTREAM_CIRCUIT_OPEN' });
    expect(server.seen()).toHaveLength(4);
  });
});
