import { once } from 'node:events';
import { Redis, type Result } from 'ioredis';
import type { ReadCacheStore } from './read-cache.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    cacheLookup(generationKey: string, entryKey: string): Result<[string, string | null], Context>;
    cacheStore(generationKey: string, entryKey: string, generation: string, entry: string, keepMs: number): Result<number, Context>;
    cacheBump(generationKey: string): Result<number, Context>;
  }
}

/**
 * A collection's first generation, and the one it gets again if Redis ever lets its key go (an
 * eviction, a `DEL`): Redis's clock in microseconds, past every generation counted up from an
 * earlier one, so that no entry stored before can match it. Counting up from 0 again would let the
 * entries stored under 1, 2, ... answer once more.
 */
const FRESH_GENERATION = `local now = redis.call('TIME') return now[1] .. string.format('%06d', now[2])`;

/**
 * An entry is held as `<generation> <entry>`: the lookup compares the two inside Redis, so an
 * entry of an older generation never crosses the network, and the store only writes while the
 * generation it read under is still the collection's.
 */
const scripts = {
  cacheLookup: `
    local function fresh() ${FRESH_GENERATION} end
    local generation = redis.call('GET', KEYS[1])
    if not generation then
      generation = fresh()
      redis.call('SET', KEYS[1], generation)
    end
    local held = redis.call('GET', KEYS[2])
    if held then
      local prefix = generation .. ' '
      if string.sub(held, 1, #prefix) == prefix then return {generation, string.sub(held, #prefix + 1)} end
    end
    return {generation, false}`,
  cacheStore: `
    if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
    redis.call('SET', KEYS[2], ARGV[1] .. ' ' .. ARGV[2], 'PX', ARGV[3])
    return 1`,
  cacheBump: `
    local function fresh() ${FRESH_GENERATION} end
    if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], fresh()) end
    return redis.call('INCR', KEYS[1])`,
};

const KEYS_OF: Record<keyof typeof scripts, number> = { cacheLookup: 2, cacheStore: 2, cacheBump: 1 };

/**
 * The read cache in Redis, under `<keyPrefix>` (entries and generations as the call path names
 * them). A connection of its own, unlike the shared state's: a cache must fail fast rather than
 * wait, so commands time out after `timeoutMs` and none is queued while the connection is down
 * (`enableOfflineQueue: false`), nor sent again (`maxRetriesPerRequest: 0`). The lookups of one
 * tick (a loader's batch) go out in one write (`enableAutoPipelining`).
 */
export class RedisReadCache implements ReadCacheStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #connectTimeoutMs: number;

  constructor(redisUrl: string, keyPrefix: string, timeoutMs: number) {
    this.#connectTimeoutMs = Math.max(timeoutMs, 1_000);
    this.#redis = new Redis(redisUrl, { connectTimeout: this.#connectTimeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, enableAutoPipelining: true });
    for (const [name, lua] of Object.entries(scripts)) this.#redis.defineCommand(name, { numberOfKeys: KEYS_OF[name as keyof typeof scripts], lua });
    // Failures reach the callers of each command (and the breaker's log): the event is only for ioredis.
    this.#redis.on('error', () => {});
    this.#prefix = keyPrefix;
  }

  /**
   * Resolves once connected, or once connecting failed or took too long: with no queue, a command
   * sent before then would fail; one sent after a failure fails too, and the breaker sees to it.
   */
  async connected(): Promise<void> {
    if (this.#redis.status === 'ready') return;
    await once(this.#redis, 'ready', { signal: AbortSignal.timeout(this.#connectTimeoutMs) }).catch(() => {});
  }

  async lookup(generationKey: string, entryKey: string): Promise<{ generation: number; entry: string | undefined }> {
    const [generation, entry] = await this.#redis.cacheLookup(this.#prefix + generationKey, this.#prefix + entryKey);
    return { generation: Number(generation), entry: entry ?? undefined };
  }

  async store(generationKey: string, generation: number, entryKey: string, entry: string, keepMs: number): Promise<void> {
    await this.#redis.cacheStore(this.#prefix + generationKey, this.#prefix + entryKey, String(generation), entry, keepMs);
  }

  async bump(generationKeys: readonly string[]): Promise<void> {
    const pipeline = this.#redis.pipeline();
    for (const key of generationKeys) pipeline.cacheBump(this.#prefix + key);
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error !== null)?.[0];
    if (failed) throw failed;
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
