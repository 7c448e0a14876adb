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

/** Where to count while the store fails, and who hears that it started to. */
export interface RateLimitFallback {
  limits: RateLimits;
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
  readonly #fallback: RateLimitFallback | undefined;
  #storeFailing = false;

  constructor(create: LimiterFactory, keyPrefix: string, fallback?: RateLimitFallback) {
    this.#create = create;
    this.#keyPrefix = keyPrefix;
    this.#fallback = fallback;
  }

  /**
   * Counts one request of `client`. When the store cannot count, the fallback counts instead; with
   * none, rejects with what the store threw. A refusal is a decision, never a rejection.
   */
  async count(client: string, options: RateLimitOptions): Promise<RateDecision> {
    const limit = options.limit;
    const windowSeconds = options.windowSeconds ?? 60;
    requireWhole('limit', limit, 1);
    requireWhole('windowSeconds', windowSeconds, 1);
    const limiter = this.#limiterFor(limit, windowSeconds);
    let counted: RateLimiterRes;
    try {
      counted = await limiter.consume(client);
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) {
        this.#storeFailing = false;
        // Never 0: a refusal with nothing to wait for would invite an immediate retry, refused too.
        return { allowed: false, retryAfterMs: Math.max(1, outcome.msBeforeNext) };
      }
      if (!this.#fallback) throw outcome;
      // One report per outage: every request of a busy gateway would otherwise repeat it.
      if (!this.#storeFailing) this.#fallback.onStoreError(outcome);
      this.#storeFailing = true;
      return this.#fallback.limits.count(client, options);
    }
    this.#storeFailing = false;
    return { allowed: true, remaining: counted.remainingPoints };
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

function requireWhole(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be a whole number, at least ${min}, not ${value}`);
}
