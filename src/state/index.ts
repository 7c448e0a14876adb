import type { Remembered, RememberOptions, Settle, WorkOutcome } from './idempotency.ts';
import { createMemoryState } from './memory.ts';
import type { RateDecision, RateLimitOptions } from './rate-limit.ts';
import { requireMs } from './timing.ts';

export {
  IdempotencyBusyError,
  IdempotencyKeyReusedError,
  IdempotencyKeysLostError,
  LockLostError,
  LockTimeoutError,
  StateUnavailableError,
} from './errors.ts';
export type { Remembered, RememberOptions, Settle, WorkOutcome } from './idempotency.ts';

/** A lock as its holder sees it while work runs. */
export interface HeldLock {
  /** Aborts when Redis could not extend the lock in time, so that another process may have it. */
  readonly lost: AbortSignal;
  /**
   * Rejects with LockLostError unless the lock is still ours, asked of Redis itself (a Redis that
   * restarted empty has forgotten it): called right before a write that relies on it.
   */
  confirm(): Promise<void>;
}
export type { RateDecision, RateLimitOptions } from './rate-limit.ts';

/**
 * What the mutations share across gateway replicas: locks, so that work on one user or balance never
 * interleaves, and idempotency keys, so that a client's retry does not do the work twice; and what
 * every request shares: the count of each client's requests against its rate limit. The same
 * contract holds in memory and over Redis, so a single replica and the tests need no Redis.
 */
export interface SharedState {
  /**
   * Runs `work` holding `key` exclusively: in one process by an in-memory per-key queue, and across
   * processes by a Redis lock (Redlock) extended while `work` runs. If the lock cannot be had within
   * `waitMs`, rejects with LockTimeoutError and `work` never runs (it never proceeds unlocked).
   * `lock.confirm()` right before a write checks that the lock is still held (it can be lost: an
   * extension that failed, a Redis that restarted empty), so that work stops before writing what
   * another holder may now be writing too. Not re-entrant: the same key inside `work` waits for itself.
   */
  withLock<T>(key: string, options: { waitMs: number }, work: (lock: HeldLock) => Promise<T>): Promise<T>;
  /**
   * Idempotency: the first call with a key runs `work`; a call with the same key and the same
   * fingerprint gets the stored result (waiting, up to `waitMs`, while the first is still running,
   * also when the first runs in another process; IdempotencyBusyError when the wait runs out); the
   * same key with another fingerprint rejects with IdempotencyKeyReusedError without running `work`.
   * `work` says whether its result is kept (`keep: false`, e.g. when its outcome is unknown, releases
   * the key so a retry runs again); a thrown error releases it too and rejects the caller. Calls that
   * join a first call in the same process get its outcome, whatever it is. Results are
   * JSON-serialisable values (replays get them back through JSON), kept for `ttlMs`. Work whose
   * outcome is unknown answers `unsettled` with a description of its attempt: the key stays bound
   * to it, and the next call with the key runs `settleAttempt` on it instead of the work. Over
   * Redis, a Redis that lost its data (restarted empty) is noticed, and keyed work is refused with
   * IdempotencyKeysLostError until every key that may have been lost would have expired anyway.
   */
  remember<T>(
    key: string,
    fingerprint: string,
    options: RememberOptions,
    work: () => Promise<WorkOutcome<T>>,
    settleAttempt?: Settle<T>,
  ): Promise<Remembered<T>>;
  /**
   * Small facts every process must see, such as "a write to this balance has no known outcome
   * yet": read, written for `ttlMs`, dropped. Values are strings (JSON).
   */
  notes: Notes;
  /**
   * Rate limiting: counts one request of `client` (any string: a caller's key, an address) against
   * `limit` requests per window of `windowSeconds` (60 unless given) and says whether it may go
   * ahead (`remaining`: how many more may) or, if not, how long until one may (`retryAfterMs`, at
   * least 1). Fixed windows by rate-limiter-flexible: a client's window opens with its first request;
   * requests refused in it count too but never stretch it. Over Redis every process counts a client
   * in one counter; in memory this process alone. Never rejects for Redis trouble, nor waits for Redis
   * longer than `rateLimitWaitMs`: it fails open to a count in this process and tells
   * `onBackgroundError` (the choice is argued in `redis.ts`). A limit
   * or window that is not a whole number, at least 1, rejects with RangeError.
   */
  countRequest(client: string, options: RateLimitOptions): Promise<RateDecision>;
  /**
   * Lets the process exit: quits the Redis connection (calls after it fail with StateUnavailableError,
   * but `countRequest`, which fails open as always).
   */
  close(): Promise<void>;
}

export interface Notes {
  read(key: string): Promise<string | undefined>;
  write(key: string, value: string, ttlMs: number): Promise<void>;
  drop(key: string): Promise<void>;
}

export interface SharedStateOptions {
  /** Where the replicas meet. Without it state lives in this process only: right for one replica. */
  redisUrl?: string;
  /** Put before every Redis key, so that other applications and test runs on one Redis never collide. */
  keyPrefix?: string;
  /**
   * How long a Redis lock outlives a holder that died; a live holder extends it (at half of it), so
   * work may run longer. At least 200 ms (Redlock extends no later than 100 ms before expiry).
   */
  lockDurationMs?: number;
  /**
   * How long a running idempotent call keeps its key from a process that died; a live process
   * refreshes it (every third of it), so work may run longer.
   */
  claimTtlMs?: number;
  /**
   * How long keyed work is refused after Redis is found to have lost its data: as long as a key
   * lives, so that no key that was lost can still be retried. Default 24 h.
   */
  keysLostHoldMs?: number;
  /** How long the start-up PING and each Redis command may take: past it the call fails rather than hang. */
  redisTimeoutMs?: number;
  /**
   * How long `countRequest` waits for Redis's count (far less than `redisTimeoutMs`: every request
   * is counted) before it counts in this process instead.
   */
  rateLimitWaitMs?: number;
  /** How long `countRequest` leaves Redis alone once it failed or kept a request waiting; then one request asks it again. */
  rateLimitPauseMs?: number;
  /**
   * Hears what no caller can be told: Redis connection trouble, and bookkeeping that failed after
   * work had run (its result still went to the caller). Wire it to the logger; by default, console.warn.
   */
  onBackgroundError?: (error: Error) => void;
}

/** The options with every default filled in, as the implementations take them. */
export type StateSettings = Required<Omit<SharedStateOptions, 'redisUrl'>>;

/**
 * Over Redis when a URL is given, over memory otherwise. With Redis it resolves only once Redis
 * answers PING, so a wrong URL stops the gateway at start-up instead of failing its first mutation.
 */
export async function createSharedState(options: SharedStateOptions = {}): Promise<SharedState> {
  const settings: StateSettings = {
    keyPrefix: options.keyPrefix ?? 'user-gateway:',
    lockDurationMs: options.lockDurationMs ?? 10_000,
    claimTtlMs: options.claimTtlMs ?? 120_000,
    keysLostHoldMs: options.keysLostHoldMs ?? 24 * 60 * 60 * 1000,
    redisTimeoutMs: options.redisTimeoutMs ?? 2_000,
    rateLimitWaitMs: options.rateLimitWaitMs ?? 100,
    rateLimitPauseMs: options.rateLimitPauseMs ?? 5_000,
    onBackgroundError: options.onBackgroundError ?? ((error) => console.warn(`warning: shared state: ${error.message}`)),
  };
  requireMs('lockDurationMs', settings.lockDurationMs, 200);
  requireMs('claimTtlMs', settings.claimTtlMs, 3);
  requireMs('keysLostHoldMs', settings.keysLostHoldMs, 0);
  requireMs('redisTimeoutMs', settings.redisTimeoutMs, 1);
  requireMs('rateLimitWaitMs', settings.rateLimitWaitMs, 1);
  requireMs('rateLimitPauseMs', settings.rateLimitPauseMs, 1);
  if (options.redisUrl === undefined) return createMemoryState(settings);
  // Loaded only here, so that a gateway without Redis never loads ioredis or Redlock.
  const { createRedisState } = await import('./redis.ts');
  return createRedisState(options.redisUrl, settings);
}
