// What each try tells the observer and the latency estimate (call-path/observe.ts), over the
// reply layers and a pool, against a server that holds its answers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { observe } from '../../src/upstreams/call-path/observe.ts';
import { LatencyEstimate } from '../../src/upstreams/latency.ts';
import type { UpstreamAttempt, UpstreamAttemptEnd } from '../../src/upstreams/observer.ts';
import { callOptions, heldServer, replyPath } from './support.ts';

let server: Awaited<ReturnType<typeof heldServer>>;
let path: ReturnType<typeof replyPath>;
let latency: LatencyEstimate;
let events: string[];
let ended: [UpstreamAttempt, UpstreamAttemptEnd][];
beforeEach(async () => {
  server = await heldServer();
  latency = new LatencyEstimate();
  events = [];
  ended = [];
  const observer = {
    attemptStarted: (attempt: UpstreamAttempt) => {
      events.push(`span ${attempt.route} started`);
      return (end: UpstreamAttemptEnd) => void events.push(`span ended ${end.outcome}`);
    },
    attemptEnded: (attempt: UpstreamAttempt, end: UpstreamAttemptEnd) => void ended.push([attempt, end]),
  };
  path = replyPath(server.origin, [observe({ upstream: 'gate', observer, latency })]);
});
afterEach(async () => {
  await path.close();
  await server.close();
});

const lookup = () => path.call(callOptions('/api/user/7', { route: '/user/{id}', scope: { requestId: 'req-1', deadline: performance.now() + 10_000 }, attempt: 2 }));

describe('each try', () => {
  it('opens a span as it starts, and ends it and is counted with its status and outcome as it ends', async () => {
    const reply = lookup();
    expect(events).toEqual(['span /user/{id} started']);
    (await server.next()).answer(200, { id: 7 });
    await reply;
    const refused = lookup();
    (await server.next()).answer(404);
    await expect(refused).rejects.toMatchObject({ code: 'UPSTREAM_NOT_FOUND' });
    expect(events).toEqual(['span /user/{id} started', 'span ended ok', 'span /user/{id} started', 'span ended UPSTREAM_NOT_FOUND']);
    expect(ended.map(([attempt, end]) => [attempt, end.status, end.outcome])).toEqual([
      [{ upstream: 'gate', method: 'GET', route: '/user/{id}', requestId: 'req-1', attempt: 2 }, 200, 'ok'],
      [{ upstream: 'gate', method: 'GET', route: '/user/{id}', requestId: 'req-1', attempt: 2 }, 404, 'UPSTREAM_NOT_FOUND'],
    ]);
  });

  it('teaches the latency estimate when it got a reply, and only then', async () => {
    const refused = lookup();
    (await server.next()).answer(500);
    await expect(refused).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(latency.expectedMs()).toBe(0);
    const reply = lookup();
    (await server.next()).answer(200, {});
    await reply;
    expect(latency.expectedMs()).toBeGreaterThan(0);
  });
});
