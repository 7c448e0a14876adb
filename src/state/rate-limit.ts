import { circuitBreaker, ConsecutiveBreaker, handleAll, timeout, TimeoutStrategy, wrap, type IPolicy } from 'cockatiel';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface RateLimitOptions {
  /** How many requests a client may make per window; the one past it is refused. */
  limit: number;
  /** The window, in whole seconds (rate-limiter-flexible counts in seconds): 60 unless given. */
  windowSeconds?: number;
}

/** Whether a counted request may go ahead: `remaining` more may in this window, or none for `retryAfterMs`. */
export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterMs: number };

/** Makes the limiter of one limit and window; `keyPrefix` tells windows apart where the counts live. */
export type LimiterFactory = (options: { points: number; windowSeconds: number; keyPrefix: string }) => RateLimiterAbstract;

/** Where to count while the store fails or is slow, and who hears that it started to. */
export interface RateLimitFallback {
  limits: RateLimits;
  /** How long a request waits for the store's count before the fallback counts it instead. */
  waitMs: number;
  /**
   * How long the store is left alone after it failed or kept a request waiting: meanwhile the
   * fallback counts at once; then one request asks the store again (and closes or reopens the pause).
   */
  pauseMs: number;
  /** Told once when the store starts failing, and again only after it has counted since. */
  onStoreError: (error: unknown) => void;
}

/**
 * Fixed windows per client, counted by rate-limiter-flexible: a client's window opens with its first
 * request and lasts `windowSeconds`; requests refused in it count too, but never stretch it. One
 * limiter per limit and window, made on first use by the store's factory, so that both
 * implementations share everything but where the counters live.
 */
export class RateLimits {
  readonly #create: LimiterFactory;
  readonly #keyPrefix: string;
  readonly #limiters = new Map<string, RateLimiterAbstract>();
  /** With the policy (cockatiel) that bounds what the store may cost a request: its wait, and the pause after a failure. */
  readonly #fallback: (RateLimitFallback & { storeGuard: IPolicy }) | undefined;
  #storeFailing = false;

  constructor(create: LimiterFactory, keyPrefix: string, fallback?: RateLimitFallback) {
    this.#create = create;
    this.#keyPrefix = keyPrefix;
    this.#fallback = fallback && {
      ...fallback,
      storeGuard: wrap(
        circuitBreaker(handleAll, { halfOpenAfter: fallback.pauseMs, breaker: new ConsecutiveBreaker(1) }),
        // Aggressive: the request goes on without the store's answer, which arrives (or times out) unheard.
        timeout(fallback.waitMs, TimeoutStrategy.Aggressive),
      ),
    };
  }

  /**
   * Counts one request of `client`. When the store cannot count within the fallback's wait, or was
   * found failing less than its pause ago, the fallback counts instead; with none, rejects with what
   * the store threw. A refusal is a decision, never a rejection.
   */
  async count(client: string, options: RateLimitOptions): Promise<RateDecision> {
    const limit = options.limit;
    const windowSeconds = options.windowSeconds ?? 60;
    requireWhole('limit', limit, 1);
    requireWhole('windowSeconds', windowSeconds, 1);
    const limiter = this.#limiterFor(limit, windowSeconds);
    const consume = () => decide(limiter.consume(client));
    if (!this.#fallback) return consume();
    let decision: RateDecision;
    try {
      decision = await this.#fallback.storeGuard.execute(consume);
    } catch (error) {
      // One report per outage: every request of a busy gateway would otherwise repeat it.
      if (!this.#storeFailing) this.#fallback.onStoreError(error);
      this.#storeFailing = true;
      return this.#fallback.limits.count(client, options);
    }
    this.#storeFailing = false;
    return decision;
  }

  /** Forgets the limiters (and with them what memory counted). */
  clear(): void {
    this.#limiters.clear();
    this.#fallback?.limits.clear();
  }

  #limiterFor(points: number, windowSeconds: number): RateLimiterAbstract {
    // The limit is not part of the key: in Redis, gateways that disagree on it still count one
    // client together (in memory each limiter has its own counts, but one gateway has one limit).
    const keyPrefix = `${this.#keyPrefix}rate:${windowSeconds}s`;
    const name = `${points}/${windowSeconds}`;
    let limiter = this.#limiters.get(name);
    if (!limiter) this.#limiters.set(name, (limiter = this.#create({ points, windowSeconds, keyPrefix })));
    return limiter;
  }
}

/** Counts in this process (its timers are unref'd, so they never keep it alive). */
export function memoryRateLimits(keyPrefix: string): RateLimits {
  return new RateLimits(({ points, windowSeconds, keyPrefix }) => new RateLimiterMemory({ points, duration: windowSeconds, keyPrefix }), keyPrefix);
}

/**
 * rate-limiter-flexible's answer as a decision: it resolves when the request may go ahead and
 * rejects with the same kind of value when it may not; anything else it rejects with is the
 * store's failure, passed on.
 */
async function decide(consumed: Promise<RateLimiterRes>): Promise<RateDecision> {
  try {
    return { allowed: true, remaining: (await consumed).remainingPoints };
  } catch (outcome) {
    if (!(outcome instanceof RateLimiterRes)) throw outcome;
    // Never 0: a refusal with nothing to wait for would invite an immediate retry, refused too.
    return { allowed: false, retryAfterMs: Math.max(1, outcome.msBeforeNext) };
  }
}

function requireWhole(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be a whole number, at least ${min}, not ${value}`);
}
