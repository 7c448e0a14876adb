import { circuitBreaker, ConsecutiveBreaker, handleAll, type CircuitBreakerPolicy } from 'cockatiel';
import { LRUCache } from 'lru-cache';
import { requireMs } from './timing.ts';

/**
 * Where the upstream read cache keeps its entries and the generations that invalidate them: Redis
 * when a URL is given (every gateway process sees the same), else a bounded LRU in this process.
 * It knows strings only; what an entry holds and which generation guards it is the call path's
 * (`upstreams/call-path/cache.ts`).
 *
 * A generation is a counter per collection of records, moved on by every write that may change
 * the collection. An entry is stored with the generation it was read under, and answers only
 * while that generation is still the collection's: a write anywhere invalidates every entry of
 * what it touched in every process at once, with one INCR.
 */
export interface ReadCacheStore {
  /**
   * The generation `generationKey` holds now, and the entry under `entryKey` when it was stored
   * under that very generation: one round trip, so that nothing can move between the two.
   */
  lookup(generationKey: string, entryKey: string): Promise<{ generation: number; entry: string | undefined }>;
  /**
   * Stores `entry` under `entryKey`, read under `generation`, unless a write has moved
   * `generationKey` on since (a read that began before a write never answers after it); kept at
   * most `keepMs` (the fetched-at time inside the entry decides when it stops answering).
   */
  store(generationKey: string, generation: number, entryKey: string, entry: string, keepMs: number): Promise<void>;
  /** Moves each generation on: the entries stored under the ones before answer no more. */
  bump(generationKeys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export interface ReadCacheOptions {
  /** Redis, shared by every gateway process; without it, this process's memory. */
  redisUrl?: string | undefined;
  /** Put before every Redis key (the shared state's prefix). */
  keyPrefix?: string | undefined;
  /** How long one Redis command may take before the read goes upstream anyway. */
  timeoutMs: number;
  /**
   * Told when the cache stops answering (Redis down or slow: its breaker opened) and when it
   * answers again: once each, for the log.
   */
  onAvailability?: (available: boolean, reason?: Error) => void;
  /** How long the cache stays off once its breaker opened before one call tries Redis again (default 5 s). */
  retryAfterMs?: number;
}

/** The most bytes of entries one process keeps in memory when there is no Redis. */
export const MEMORY_CACHE_MAX_BYTES = 64 * 1024 ** 2;
/** Failed Redis commands in a row that turn the cache off, and how long it then stays off before one read tries it again. */
const BREAKER_FAILURES = 3;
const BREAKER_HALF_OPEN_AFTER_MS = 5_000;
/** How often invalidations Redis failed to take are tried again. */
const OWED_RETRY_MS = 1_000;

/** The cache's store: over Redis (behind a breaker) when a URL is given, else in memory. */
export async function createReadCacheStore(options: ReadCacheOptions): Promise<ReadCacheStore> {
  requireMs('timeoutMs', options.timeoutMs, 1);
  if (options.redisUrl === undefined) return new MemoryReadCache(MEMORY_CACHE_MAX_BYTES);
  // Loaded only here, so that a gateway without Redis never loads ioredis.
  const { RedisReadCache } = await import('./read-cache-redis.ts');
  const redis = new RedisReadCache(options.redisUrl, options.keyPrefix ?? 'user-gateway:', options.timeoutMs);
  await redis.connected();
  return new GuardedReadCache(redis, options.retryAfterMs ?? BREAKER_HALF_OPEN_AFTER_MS, options.onAvailability ?? (() => {}));
}

/** In one process: generations in a Map (a few per upstream), entries in an LRU bounded by their bytes. */
export class MemoryReadCache implements ReadCacheStore {
  readonly #generations = new Map<string, number>();
  readonly #entries: LRUCache<string, { generation: number; entry: string }>;

  constructor(maxBytes: number) {
    this.#entries = new LRUCache({ maxSize: maxBytes, sizeCalculation: (value, key) => value.entry.length + key.length });
  }

  async lookup(generationKey: string, entryKey: string): Promise<{ generation: number; entry: string | undefined }> {
    const generation = this.#generations.get(generationKey) ?? 0;
    const found = this.#entries.get(entryKey);
    return { generation, entry: found?.generation === generation ? found.entry : undefined };
  }

  async store(generationKey: string, generation: number, entryKey: string, entry: string, keepMs: number): Promise<void> {
    if ((this.#generations.get(generationKey) ?? 0) !== generation) return;
    this.#entries.set(entryKey, { generation, entry }, { ttl: keepMs });
  }

  async bump(generationKeys: readonly string[]): Promise<void> {
    for (const key of generationKeys) this.#generations.set(key, (this.#generations.get(key) ?? 0) + 1);
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }
}

/**
 * A store that may fail (Redis) behind a breaker: a few failures in a row (each bounded by the
 * command timeout) turn it off, and while it is off every lookup and store fails at once, so that
 * reads go upstream without waiting for it. Half open after a while: one call tries it again.
 *
 * Bumps never wait for the breaker: a write's invalidation is owed to the other processes, whose
 * Redis may answer while this one's does not. One that fails is owed, and paid as soon as Redis
 * takes it (tried again at the next lookup, and every second), before which this process looks
 * nothing up.
 */
class GuardedReadCache implements ReadCacheStore {
  readonly #store: ReadCacheStore;
  readonly #breaker: CircuitBreakerPolicy;
  /** Each generation owed, with the count of failed bumps of it: one owed again while it is paid stays owed. */
  readonly #owed = new Map<string, number>();
  #payingLater: NodeJS.Timeout | undefined;
  #paying: Promise<void> | undefined;

  constructor(store: ReadCacheStore, retryAfterMs: number, onAvailability: (available: boolean, reason?: Error) => void) {
    this.#store = store;
    this.#breaker = circuitBreaker(handleAll, { halfOpenAfter: retryAfterMs, breaker: new ConsecutiveBreaker(BREAKER_FAILURES) });
    // The breaker opens again after each try that fails while half open: the log hears of the first time only.
    let available = true;
    this.#breaker.onBreak((reason) => {
      if (!available) return;
      available = false;
      onAvailability(false, 'error' in reason ? toError(reason.error) : undefined);
    });
    this.#breaker.onReset(() => {
      available = true;
      onAvailability(true);
    });
  }

  async lookup(generationKey: string, entryKey: string): Promise<{ generation: number; entry: string | undefined }> {
    if (this.#owed.size > 0) await this.#payBack();
    if (this.#owed.size > 0) throw new Error('invalidations are owed to Redis: nothing is looked up until they are made');
    return this.#breaker.execute(() => this.#store.lookup(generationKey, entryKey));
  }

  store(generationKey: string, generation: number, entryKey: string, entry: string, keepMs: number): Promise<void> {
    return this.#breaker.execute(() => this.#store.store(generationKey, generation, entryKey, entry, keepMs));
  }

  async bump(generationKeys: readonly string[]): Promise<void> {
    try {
      await this.#store.bump(generationKeys);
    } catch (error) {
      for (const key of generationKeys) this.#owed.set(key, (this.#owed.get(key) ?? 0) + 1);
      this.#payingLater ??= setInterval(() => void this.#payBack(), OWED_RETRY_MS).unref();
      throw error;
    }
  }

  /** Pays what is owed, once at a time however many ask; what Redis still does not take stays owed. */
  #payBack(): Promise<void> {
    this.#paying ??= this.#payOwed().finally(() => (this.#paying = undefined));
    return this.#paying;
  }

  async #payOwed(): Promise<void> {
    const owed = [...this.#owed];
    try {
      await this.#store.bump(owed.map(([key]) => key));
    } catch {
      return;
    }
    for (const [key, count] of owed) if (this.#owed.get(key) === count) this.#owed.delete(key);
    if (this.#owed.size === 0) {
      clearInterval(this.#payingLater);
      this.#payingLater = undefined;
    }
  }

  close(): Promise<void> {
    clearInterval(this.#payingLater);
    return this.#store.close();
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
