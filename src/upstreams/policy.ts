import { setTimeout as sleep } from 'node:timers/promises';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  circuitBreaker,
  CircuitState,
  handleWhen,
  SamplingBreaker,
  TaskCancelledError,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { BreakerState, UpstreamObserver } from './observer.ts';
import { UpstreamError, type CallScope, type UpstreamErrorCode, type UpstreamName } from './http.ts';

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
  /** Calls in flight to the upstream at once. */
  maxInFlight: number;
  /** Calls waiting for a slot; past it a call fails at once (UPSTREAM_OVERLOADED). */
  maxQueued: number;
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
 * Retries, a circuit breaker and a bulkhead for one upstream (cockatiel's breaker and bulkhead).
 * A read is tried again on connection errors, 429, 502, 503 and 504, with full-jitter backoff or
 * the upstream's `Retry-After`, never past its request's deadline; a write never is (its answer
 * may be lost after it landed: the mutations read back instead). While the breaker is open calls
 * fail at once (UPSTREAM_CIRCUIT_OPEN) without reaching the upstream; the bulkhead bounds calls in
 * flight and waiting, so that one slow upstream cannot hold everything.
 */
export class CallPolicy {
  readonly #breaker: CircuitBreakerPolicy;
  readonly #bulkhead: BulkheadPolicy;

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
    this.#bulkhead = bulkhead(settings.bulkhead.maxInFlight, settings.bulkhead.maxQueued);
  }

  get breakerState(): BreakerState {
    return BREAKER_STATES[this.#breaker.state];
  }

  get inFlight(): number {
    return this.settings.bulkhead.maxInFlight - this.#bulkhead.executionSlots;
  }

  get queued(): number {
    return this.settings.bulkhead.maxQueued - this.#bulkhead.queueSlots;
  }

  /**
   * Runs `attempt` (given its number and the time it may take) under the policy. `idempotent`:
   * whether a failed attempt may be made again.
   */
  async run<T>(
    request: { method: string; route: string; scope: CallScope; idempotent: boolean },
    attempt: (number: number, remainingMs: number) => Promise<T>,
  ): Promise<T> {
    for (let number = 1; ; number++) {
      try {
        return await this.#guarded(request, (remainingMs) => attempt(number, remainingMs));
      } catch (error) {
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
      }
    }
  }

  /** The upstream's `Retry-After` when it gave one, else full-jitter exponential backoff. */
  #delayBefore(retry: number, error: UpstreamError): number {
    if (error.retryAfterSeconds !== undefined) return error.retryAfterSeconds * 1000;
    const { baseDelayMs, maxDelayMs } = this.settings.retry;
    return Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  }

  /** One attempt through the breaker and the bulkhead, given what is left of the deadline. */
  async #guarded<T>(request: { method: string; route: string; scope: CallScope }, attempt: (remainingMs: number) => Promise<T>): Promise<T> {
    const failFast = (code: UpstreamErrorCode, message: string) => new UpstreamError(this.upstream, code, message);
    const remainingMs = () => request.scope.deadline - performance.now();
    const deadlinePassed = () => failFast('UPSTREAM_TIMEOUT', `the request's deadline passed before ${this.upstream} could be asked ${request.method} ${request.route}`);
    // Checked again once a slot is free: a call that waited its time away is not sent.
    const inTime = () => {
      const left = remainingMs();
      if (left <= 0) throw deadlinePassed();
      return attempt(left);
    };
    if (remainingMs() <= 0) throw deadlinePassed();
    try {
      return await this.#breaker.execute(() =>
        // A call that must wait for a slot waits no longer than its deadline.
        this.#bulkhead.executionSlots > 0
          ? this.#bulkhead.execute(inTime)
          : this.#bulkhead.execute(inTime, AbortSignal.timeout(Math.max(1, Math.ceil(remainingMs())))),
      );
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw failFast('UPSTREAM_CIRCUIT_OPEN', `${this.upstream} is failing: its circuit breaker is open, so it was not asked (it is tried again shortly)`);
      }
      if (error instanceof BulkheadRejectedError) {
        throw failFast('UPSTREAM_OVERLOADED', `${this.upstream} has ${this.settings.bulkhead.maxInFlight} calls under way and ${this.settings.bulkhead.maxQueued} waiting: this one was not made`);
      }
      if (error instanceof TaskCancelledError) {
        throw failFast('UPSTREAM_TIMEOUT', `the request's deadline passed while ${request.method} ${request.route} waited for a free ${this.upstream} connection`);
      }
      throw error;
    }
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
