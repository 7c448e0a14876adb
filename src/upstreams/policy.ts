import { setTimeout as sleep } from 'node:timers/promises';
import { BrokenCircuitError, circuitBreaker, CircuitState, handleWhen, SamplingBreaker, type CircuitBreakerPolicy } from 'cockatiel';
import type { BreakerState, UpstreamObserver } from './observer.ts';
import { UpstreamError, type CallScope, type UpstreamName } from './http.ts';

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

  constructor(readonly settings: BulkheadSettings) {}

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

/** One upstream call, as the policy sees it. */
export interface CallRequest {
  method: string;
  route: string;
  scope: CallScope;
  /** Whether a failed attempt may be made again: reads only. */
  idempotent: boolean;
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

const BREAKER_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * Retries, a circuit breaker (cockatiel's) and a bulkhead for one upstream.
 * A read is tried again on connection errors, 429, 502, 503 and 504, with full-jitter backoff or
 * the upstream's `Retry-After`, never past its request's deadline; a write never is (its answer
 * may be lost after it landed: the mutations read back instead). While the breaker is open calls
 * fail at once (UPSTREAM_CIRCUIT_OPEN) without reaching the upstream; the bulkhead bounds calls in
 * flight and waiting, so that one slow upstream cannot hold everything.
 */
export class CallPolicy {
  readonly #breaker: CircuitBreakerPolicy;
  readonly #bulkhead: Bulkhead;

  constructor(
    readonly upstream: UpstreamName,
    readonly settings: CallPolicySettings,
    private readonly observer: UpstreamObserver,
  ) {
    const { breaker } = settings;
    this.#breaker = circuitBreaker(handleWhen(isOutage), {
      halfOpenAfter: breaker.halfOpenAfterMs,
      breaker: new SamplingBreaker({
        threshold: breaker.failureRatio,
        duration: breaker.windowMs,
        minimumRps: breaker.minimumCalls / (breaker.windowMs / 1000),
      }),
    });
    this.#breaker.onStateChange((state) => observer.breakerChanged?.(upstream, BREAKER_STATES[state]));
    this.#bulkhead = new Bulkhead(settings.bulkhead);
  }

  get breakerState(): BreakerState {
    return BREAKER_STATES[this.#breaker.state];
  }

  get inFlight(): number {
    return this.#bulkhead.inFlight;
  }

  get queued(): number {
    return this.#bulkhead.queued;
  }

  /**
   * Runs `attempt` (given its number and the time it may take) under the policy. `idempotent`:
   * whether a failed attempt may be made again. Promises are chained, not awaited, on this path:
   * it runs for every upstream call.
   */
  run<T>(request: CallRequest, attempt: (number: number, remainingMs: number) => Promise<T>, number = 1): Promise<T> {
    return this.#guarded(request, number, attempt).catch((error: unknown) => this.#retryOrThrow(request, attempt, number, error));
  }

  async #retryOrThrow<T>(request: CallRequest, attempt: (number: number, remainingMs: number) => Promise<T>, number: number, error: unknown): Promise<T> {
    const delayMs = request.idempotent && number <= this.settings.retry.retries && isRetried(error) ? this.#delayBefore(number, error) : undefined;
    // A wait past the deadline helps nobody: the client hears now, and when to ask again.
    if (delayMs === undefined || performance.now() + delayMs >= request.scope.deadline) throw error;
    this.observer.retrying?.({
      upstream: this.upstream,
      method: request.method,
      route: request.route,
      requestId: request.scope.requestId,
      attempt: number + 1,
      reason: (error as UpstreamError).code,
      delayMs,
    });
    await sleep(delayMs);
    return this.run(request, attempt, number + 1);
  }

  /** The upstream's `Retry-After` when it gave one, else full-jitter exponential backoff. */
  #delayBefore(retry: number, error: UpstreamError): number {
    if (error.retryAfterSeconds !== undefined) return error.retryAfterSeconds * 1000;
    const { baseDelayMs, maxDelayMs } = this.settings.retry;
    return Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  }

  #deadlinePassed(request: CallRequest): UpstreamError {
    return new UpstreamError(this.upstream, 'UPSTREAM_TIMEOUT', `the request's deadline passed before ${this.upstream} could be asked ${request.method} ${request.route}`);
  }

  /**
   * One attempt through the breaker and the bulkhead, given what is left of the deadline (which
   * also bounds its wait for a connection).
   */
  #guarded<T>(request: CallRequest, number: number, attempt: (number: number, remainingMs: number) => Promise<T>): Promise<T> {
    const remainingMs = request.scope.deadline - performance.now();
    if (remainingMs <= 0) return Promise.reject(this.#deadlinePassed(request));
    const bulkhead = this.#bulkhead;
    if (!bulkhead.admit()) {
      const { maxInFlight, maxQueued } = this.settings.bulkhead;
      return Promise.reject(new UpstreamError(this.upstream, 'UPSTREAM_OVERLOADED', `${this.upstream} has ${maxInFlight} calls under way and ${maxQueued} waiting: this one was not made`));
    }
    return this.#breaker.execute(() => attempt(number, remainingMs)).then(
      (value) => {
        bulkhead.release();
        return value;
      },
      (error: unknown) => {
        bulkhead.release();
        if (error instanceof BrokenCircuitError) {
          throw new UpstreamError(this.upstream, 'UPSTREAM_CIRCUIT_OPEN', `${this.upstream} is failing: its circuit breaker is open, so it was not asked (it is tried again shortly)`);
        }
        throw error;
      },
    );
  }
}

/** `Retry-After` in seconds: a number of seconds, or an HTTP date. */
export function retryAfterSeconds(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
