import { CircuitState, SamplingBreaker } from 'cockatiel';
import type { BreakerState, UpstreamObserver } from './observer.ts';
import { UpstreamError, type UpstreamName } from './errors.ts';
import type { CallScope } from './http.ts';

/** How long each part of one upstream call may take. */
export interface UpstreamTimeouts {
  /** Establishing the connection (TCP and TLS). */
  connectMs: number;
  /** From sending the request to the response's headers. */
  headersMs: number;
  /** The longest silence between two pieces of the body. */
  bodyMs: number;
  /** The call as a whole, whatever its parts took; a call also ends at its request's deadline. */
  callMs: number;
}

export interface RetrySettings {
  /** Attempts after the first (idempotent reads only). */
  retries: number;
  /** Full-jitter exponential backoff: attempt n waits a random time below min(maxDelayMs, baseDelayMs · 2^(n-1)). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface BreakerSettings {
  /** The share of failed calls, over the window, that opens the breaker. */
  failureRatio: number;
  windowMs: number;
  /** Below this many calls in the window the breaker never opens (a few failures at low traffic are no outage). */
  minimumCalls: number;
  /** How long an open breaker fails fast before it lets one probe through (half-open). */
  halfOpenAfterMs: number;
}

export interface BulkheadSettings {
  /** Calls in flight to the upstream at once: its pool's connections. */
  maxInFlight: number;
  /** Calls waiting for a connection; past it a call fails at once (UPSTREAM_OVERLOADED). */
  maxQueued: number;
}

/**
 * The upstream's bulkhead. Its queue is the undici pool's own, which already holds calls until a
 * connection is free and ends them at their deadline: this only counts what is in it, and admits
 * no more than the connections and `maxQueued` waiting. (A promise-based bulkhead on top would
 * cost every one of a query's 250 calls more than all the rest of the policy.)
 */
class Bulkhead {
  #pending = 0;

  readonly settings: BulkheadSettings;
  constructor(settings: BulkheadSettings) {
    this.settings = settings;
  }

  admit(): boolean {
    if (this.#pending >= this.settings.maxInFlight + this.settings.maxQueued) return false;
    this.#pending++;
    return true;
  }

  release(): void {
    this.#pending--;
  }

  get inFlight(): number {
    return Math.min(this.#pending, this.settings.maxInFlight);
  }

  get queued(): number {
    return Math.max(0, this.#pending - this.settings.maxInFlight);
  }
}

/** The one policy every upstream call goes through. */
export interface CallPolicySettings {
  retry: RetrySettings;
  breaker: BreakerSettings;
  bulkhead: BulkheadSettings;
}

/** What the upstream is read again for: no answer (connection refused, reset), a rate limit, a gateway's or proxy's failure. */
const RETRIED_STATUSES = new Set([429, 502, 503, 504]);

function isRetried(error: unknown): error is UpstreamError {
  if (!(error instanceof UpstreamError)) return false;
  return error.code === 'UPSTREAM_UNREACHABLE' || (error.status !== undefined && RETRIED_STATUSES.has(error.status));
}

/** What counts against an upstream's health: no answer, no answer in time, a 5xx. A 4xx is the request's fault. */
function isOutage(error: unknown): boolean {
  if (!(error instanceof UpstreamError)) return false;
  return error.code === 'UPSTREAM_UNREACHABLE' || error.code === 'UPSTREAM_TIMEOUT' || (error.status !== undefined && error.status >= 500);
}

/** How an attempt was let through: as any other, or as the one probe of a half-open breaker. */
export type Admission = 'admitted' | 'probe';

/**
 * Retries, a circuit breaker and a bulkhead for one upstream, as decisions the shared HTTP layer
 * asks for around each attempt: `admit` before it (synchronously: the attempt goes, or fails at
 * once with the error answered), `settle` after it, `retryDelay` on a failure. Nothing here
 * wraps the attempt's promise: a query's 250 calls are in flight at once, and every layer each
 * of them holds meanwhile is what the garbage collector pays for.
 *
 * - A read is tried again on connection errors, 429, 502, 503 and 504, with full-jitter backoff
 *   or the upstream's `Retry-After`, never past its request's deadline; a write never is (its
 *   answer may be lost after it landed: the mutations read back instead).
 * - The breaker opens when cockatiel's sampling breaker says the window failed too often; open,
 *   calls fail at once (UPSTREAM_CIRCUIT_OPEN) without reaching the upstream; after a while one
 *   probe goes through (half-open), and its outcome closes or opens the breaker again.
 * - The bulkhead bounds calls in flight and waiting, so that one slow upstream cannot hold everything.
 */
export class CallPolicy {
  readonly #sampler: SamplingBreaker;
  readonly #bulkhead: Bulkhead;
  #breaker: BreakerState = 'closed';
  #openedAt = 0;

  readonly upstream: UpstreamName;
  readonly settings: CallPolicySettings;
  private readonly observer: UpstreamObserver;
  constructor(
    upstream: UpstreamName,
    settings: CallPolicySettings,
    observer: UpstreamObserver,
  ) {
    this.upstream = upstream;
    this.settings = settings;
    this.observer = observer;
    const { breaker } = settings;
    this.#sampler = new SamplingBreaker({
      threshold: breaker.failureRatio,
      duration: breaker.windowMs,
      minimumRps: breaker.minimumCalls / (breaker.windowMs / 1000),
    });
    this.#bulkhead = new Bulkhead(settings.bulkhead);
  }

  get breakerState(): BreakerState {
    return this.#breaker;
  }

  get inFlight(): number {
    return this.#bulkhead.inFlight;
  }

  get queued(): number {
    return this.#bulkhead.queued;
  }

  #moveTo(state: BreakerState): void {
    this.#breaker = state;
    if (state === 'open') this.#openedAt = performance.now();
    this.observer.breakerChanged?.(this.upstream, state);
  }

  /** Whether an attempt may go now, or the error it fails with at once (nothing is sent). */
  admit(method: string, route: string, scope: CallScope): Admission | UpstreamError {
    if (scope.deadline <= performance.now()) {
      return new UpstreamError(this.upstream, 'UPSTREAM_TIMEOUT', `the request's deadline passed before ${this.upstream} could be asked ${method} ${route}`);
    }
    let admission: Admission = 'admitted';
    if (this.#breaker !== 'closed') {
      if (this.#breaker === 'half-open' || performance.now() - this.#openedAt < this.settings.breaker.halfOpenAfterMs) {
        return new UpstreamError(this.upstream, 'UPSTREAM_CIRCUIT_OPEN', `${this.upstream} is failing: its circuit breaker is open, so it was not asked (it is tried again shortly)`);
      }
      this.#moveTo('half-open');
      admission = 'probe';
    }
    if (!this.#bulkhead.admit()) {
      if (admission === 'probe') this.#moveTo('open');
      const { maxInFlight, maxQueued } = this.settings.bulkhead;
      return new UpstreamError(this.upstream, 'UPSTREAM_OVERLOADED', `${this.upstream} has ${maxInFlight} calls under way and ${maxQueued} waiting: this one was not made`);
    }
    return admission;
  }

  /** An admitted attempt ended, with `error` or without: its slot is free, and the breaker learns of it. */
  settle(admission: Admission, error: unknown): void {
    this.#bulkhead.release();
    const outage = error !== undefined && isOutage(error);
    if (admission === 'probe') {
      if (outage) {
        this.#sampler.failure(CircuitState.HalfOpen);
        this.#moveTo('open');
      } else {
        this.#sampler.success(CircuitState.HalfOpen);
        this.#moveTo('closed');
      }
      return;
    }
    if (this.#breaker !== 'closed') return;
    if (!outage) this.#sampler.success(CircuitState.Closed);
    else if (this.#sampler.failure(CircuitState.Closed)) this.#moveTo('open');
  }

  /**
   * How long to wait before attempt `number + 1` after `error`; undefined: no retry (a write, no
   * retries left, a failure not worth another try, or a wait past the deadline, which helps nobody:
   * the client hears now, and when to ask again).
   */
  retryDelay(method: string, number: number, error: unknown, scope: CallScope): number | undefined {
    if (method !== 'GET' || number > this.settings.retry.retries || !isRetried(error)) return undefined;
    const delayMs = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : this.#backoff(number);
    return performance.now() + delayMs < scope.deadline ? delayMs : undefined;
  }

  /** Full jitter: a random wait below the exponential bound. */
  #backoff(retry: number): number {
    const { baseDelayMs, maxDelayMs } = this.settings.retry;
    return Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  }
}
