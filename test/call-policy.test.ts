import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UpstreamError, type CallScope } from '../src/upstreams/http.ts';
import type { BreakerState } from '../src/upstreams/observer.ts';
import { CallPolicy, type CallPolicySettings } from '../src/upstreams/policy.ts';

/** The policy's decisions alone, on a fake clock: what the fault matrix shows end to end, here case by case. */
const settings: CallPolicySettings = {
  retry: { retries: 2, baseDelayMs: 100, maxDelayMs: 2000 },
  breaker: { failureRatio: 0.5, windowMs: 10_000, minimumCalls: 4, halfOpenAfterMs: 5000 },
  bulkhead: { maxInFlight: 2, maxQueued: 1 },
};

const refused = new UpstreamError('gate', 'UPSTREAM_UNREACHABLE', 'refused');
const notFound = new UpstreamError('gate', 'UPSTREAM_NOT_FOUND', 'not found', 404);

describe('the upstream call policy', () => {
  let changes: BreakerState[];
  let policy: CallPolicy;
  const scope = (): CallScope => ({ requestId: 'r', deadline: performance.now() + 10_000 });
  /** One call that goes and ends with `error` (or none); answers how it was admitted. */
  const call = (error?: unknown) => {
    const admission = policy.admit('GET', '/user/', scope());
    if (admission instanceof UpstreamError) return admission.code;
    policy.settle(admission, error);
    return admission;
  };

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['performance', 'Date'] });
    changes = [];
    policy = new CallPolicy('gate', settings, { breakerChanged: (_upstream, state) => changes.push(state) });
  });
  afterEach(() => vi.useRealTimers());

  it('opens on outages, fails fast while open, lets exactly one probe through, and reopens when the probe fails', () => {
    for (let i = 0; i < 4; i++) call(refused);
    expect(changes).toEqual(['open']);
    expect(call()).toBe('UPSTREAM_CIRCUIT_OPEN');

    vi.advanceTimersByTime(5000);
    const probe = policy.admit('GET', '/user/', scope());
    expect(probe).toBe('probe');
    expect(policy.breakerState).toBe('half-open');
    // While the probe is out, everything else still fails fast.
    expect(call()).toBe('UPSTREAM_CIRCUIT_OPEN');
    policy.settle(probe as 'probe', refused);
    expect(policy.breakerState).toBe('open');
    expect(call()).toBe('UPSTREAM_CIRCUIT_OPEN');

    vi.advanceTimersByTime(5000);
    expect(call()).toBe('probe');
    expect(changes).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    expect(call()).toBe('admitted');
  });

  it('never opens over the request’s own faults (4xx) or below the minimum of calls', () => {
    for (let i = 0; i < 20; i++) call(notFound);
    for (let i = 0; i < 3; i++) call(refused);
    expect(policy.breakerState).toBe('closed');
  });

  it('admits the connections and the queue, then refuses, and frees a slot when a call settles', () => {
    const admitted = [0, 1, 2].map(() => policy.admit('GET', '/user/', scope()));
    expect(admitted).toEqual(['admitted', 'admitted', 'admitted']);
    expect([policy.inFlight, policy.queued]).toEqual([2, 1]);
    expect(call()).toBe('UPSTREAM_OVERLOADED');
    policy.settle('admitted', undefined);
    expect(policy.admit('GET', '/user/', scope())).toBe('admitted');
  });

  it('fails a call whose deadline has passed without sending it', () => {
    expect(policy.admit('GET', '/user/', { requestId: 'r', deadline: performance.now() - 1 })).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(policy.inFlight).toBe(0);
  });

  it('retries reads only, on what is worth another try, a bounded number of times, within the deadline', () => {
    const limited = new UpstreamError('gate', 'UPSTREAM_RATE_LIMITED', 'slow down', 429, { retryAfterSeconds: 1 });
    const unavailable = new UpstreamError('gate', 'UPSTREAM_ERROR', 'unavailable', 503);
    const broken = new UpstreamError('gate', 'UPSTREAM_ERROR', 'broken', 500);
    expect(policy.retryDelay('GET', 1, limited, scope())).toBe(1000);
    const backoff = policy.retryDelay('GET', 2, unavailable, scope());
    expect(backoff).toBeGreaterThanOrEqual(0);
    expect(backoff).toBeLessThan(200);
    expect(policy.retryDelay('GET', 3, unavailable, scope())).toBeUndefined();
    expect(policy.retryDelay('POST', 1, refused, scope())).toBeUndefined();
    expect(policy.retryDelay('GET', 1, broken, scope())).toBeUndefined();
    expect(policy.retryDelay('GET', 1, notFound, scope())).toBeUndefined();
    // A Retry-After past the deadline: no wait, the client hears now.
    expect(policy.retryDelay('GET', 1, limited, { requestId: 'r', deadline: performance.now() + 500 })).toBeUndefined();
  });
});
