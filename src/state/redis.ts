import { ExecutionError, Redlock, ResourceLockedError } from '@sesamecare-oss/redlock';
import { Redis, type Result } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { randomUUID } from 'node:crypto';
import { IdempotencyKeysLostError, LockLostError, LockTimeoutError, StateUnavailableError } from './errors.ts';
import { Idempotency, type RecordStore } from './idempotency.ts';
import type { HeldLock, Notes, SharedState, StateSettings } from './index.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { memoryRateLimits, RateLimits } from './rate-limit.ts';
import { pollDelayMs, settle, type Settled } from './timing.ts';

// The record store's compare-and-set operations, as Lua so that each runs atomically in Redis.
declare module 'ioredis' {
  interface RedisCommander<Context> {
    claimRecord(key: string, epochKey: string, value: string, ttlMs: number, epoch: string): Result<[string, string | null], Context>;
    replaceRecord(key: string, expected: string, value: string, ttlMs: number): Result<number, Context>;
    removeRecord(key: string, expected: string): Result<number, Context>;
  }
}

const recordScripts = {
  // SET NX PX, else what holds the key: one round trip, and no gap in which the holder could vanish.
  // Only while the epoch is the one this process knows: a Redis that lost its data has lost it too.
  claimRecord: {
    keys: 2,
    lua: `
    local epoch = redis.call('GET', KEYS[2])
    if epoch ~= ARGV[3] then return {'epoch', epoch} end
    if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'claimed', false} end
    return {'held', redis.call('GET', KEYS[1])}`,
  },
  replaceRecord: {
    keys: 1,
    lua: `
    if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
    return 1`,
  },
  removeRecord: {
    keys: 1,
    lua: `
    if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
    return redis.call('DEL', KEYS[1])`,
  },
};

/**
 * Idempotency records as JSON strings under `<keyPrefix>idem:<key>`, each with its TTL in Redis.
 *
 * Beside them, with no TTL, `<keyPrefix>epoch`: `{"id", "trustedFrom"}`. Every claim names the epoch
 * this process knows, so a Redis that restarted empty (and forgot every key, the epoch with them)
 * is noticed at the first claim after it: a new epoch is written whose `trustedFrom` lies
 * `keysLostHoldMs` ahead, and until then every claim is refused (IdempotencyKeysLostError), since
 * a retry with a key that was lost would run its work again. Processes that notice it together
 * agree on one epoch (SET NX). An epoch missing at start-up is taken for a new Redis: one that lost
 * its data while no gateway ran cannot be told from it.
 */
class RedisRecordStore implements RecordStore {
  readonly #redis: Redis;
  readonly #where: string;
  readonly #prefix: string;
  readonly #epochKey: string;
  readonly #settings: StateSettings;
  #epoch = '';
  #trustedFrom = 0;

  constructor(redis: Redis, where: string, settings: StateSettings) {
    for (const [name, { keys, lua }] of Object.entries(recordScripts)) redis.defineCommand(name, { numberOfKeys: keys, lua });
    this.#redis = redis;
    this.#where = where;
    this.#prefix = `${settings.keyPrefix}idem:`;
    this.#epochKey = `${settings.keyPrefix}epoch`;
    this.#settings = settings;
  }

  /** Adopts the epoch in Redis, writing the first one (trusted at once) when there is none. */
  async start(): Promise<void> {
    await this.#adoptEpoch(0);
  }

  async #adoptEpoch(trustedFrom: number): Promise<void> {
    const fresh = JSON.stringify({ id: randomUUID(), trustedFrom });
    await ask(this.#where, this.#redis.set(this.#epochKey, fresh, 'NX'));
    const epoch = (await ask(this.#where, this.#redis.get(this.#epochKey))) ?? fresh;
    this.#epoch = epoch;
    this.#trustedFrom = (JSON.parse(epoch) as { trustedFrom: number }).trustedFrom;
  }

  #refuseWhileUntrusted(): void {
    if (Date.now() < this.#trustedFrom) throw new IdempotencyKeysLostError(this.#trustedFrom);
  }

  async claim(key: string, value: string, ttlMs: number): Promise<string | undefined> {
    this.#refuseWhileUntrusted();
    for (;;) {
      const [outcome, held] = await ask(this.#where, this.#redis.claimRecord(this.#prefix + key, this.#epochKey, value, ttlMs, this.#epoch));
      if (outcome === 'claimed') return undefined;
      if (outcome === 'held') return held ?? undefined;
      // Another epoch: another process noticed a loss first (adopt its epoch), or nobody has yet.
      if (held === null) {
        this.#settings.onBackgroundError(
          new StateUnavailableError(`Redis at ${this.#where} lost its data (the idempotency keys with it): keyed writes are refused for ${this.#settings.keysLostHoldMs} ms`),
        );
      }
      await this.#adoptEpoch(Date.now() + this.#settings.keysLostHoldMs);
      this.#refuseWhileUntrusted();
    }
  }

  async replace(key: string, expected: string, value: string, ttlMs: number): Promise<boolean> {
    return (await ask(this.#where, this.#redis.replaceRecord(this.#prefix + key, expected, value, ttlMs))) === 1;
  }

  async remove(key: string, expected: string): Promise<void> {
    await ask(this.#where, this.#redis.removeRecord(this.#prefix + key, expected));
  }
}

/** Notes as plain strings under `<keyPrefix>note:<key>`, each with its TTL. */
function redisNotes(redis: Redis, where: string, keyPrefix: string): Notes {
  const prefix = `${keyPrefix}note:`;
  return {
    read: async (key) => (await ask(where, redis.get(prefix + key))) ?? undefined,
    write: async (key, value, ttlMs) => {
      await ask(where, redis.set(prefix + key, value, 'PX', ttlMs));
    },
    drop: async (key) => {
      await ask(where, redis.del(prefix + key));
    },
  };
}

/** Redlock on one Redis, under `<keyPrefix>lock:<key>`, waiting for a taken lock up to the caller's deadline. */
class RedisLocks {
  readonly #redlock: Redlock;
  readonly #redis: Redis;
  readonly #where: string;
  readonly #settings: StateSettings;

  constructor(redis: Redis, where: string, settings: StateSettings) {
    this.#redis = redis;
    this.#redlock = new Redlock([redis], {
      // Waiting for a taken lock is `hold`'s loop, bounded by the deadline. This one retry is for
      // extensions: with none, an extension failing at once (a closed connection) would be tried
      // again in a tight loop, starving the event loop until the lock expired.
      retryCount: 1,
      retryDelay: 50,
      retryJitter: 25,
      automaticExtensionThreshold: Math.floor(settings.lockDurationMs / 2),
      // Redlock's scripts SELECT this database; it must be the one the URL chose.
      db: redis.options.db ?? 0,
    });
    this.#where = where;
    this.#settings = settings;
  }

  async hold<T>(key: string, waitMs: number, deadline: number, work: (lock: HeldLock) => Promise<T>): Promise<T> {
    const resource = `${this.#settings.keyPrefix}lock:${key}`;
    for (;;) {
      const settled = await this.#tryOnce(key, resource, work);
      if (settled) {
        if (settled.ok) return settled.value;
        throw settled.error;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new LockTimeoutError(key, waitMs);
      await sleep(Math.min(pollDelayMs(), remaining));
    }
  }

  /** How `work` ended, or undefined when another process holds the lock; Redis failing rejects. */
  async #tryOnce<T>(key: string, resource: string, work: (lock: HeldLock) => Promise<T>): Promise<Settled<T> | undefined> {
    const attempt: { settled?: Settled<T> } = {};
    const { lockDurationMs, onBackgroundError } = this.#settings;
    try {
      await this.#redlock.using([resource], lockDurationMs, async (signal, { lock }) => {
        signal.addEventListener('abort', () => {
          onBackgroundError(new Error(`the lock on "${key}" could not be extended while its work ran, so another process may have it`, { cause: signal.error }));
        });
        const confirm = async () => {
          if (signal.aborted || (await ask(this.#where, this.#redis.get(resource))) !== lock.value) throw new LockLostError(key);
        };
        attempt.settled = await settle(() => work({ lost: signal, confirm }));
      });
    } catch (error) {
      if (attempt.settled) {
        // After work, only the release can have failed: the lock then runs out by itself, and what
        // work did is what the caller needs to hear.
        const reason = error instanceof Error ? error.message : String(error);
        onBackgroundError(new Error(`the lock on "${key}" could not be released, so it stays until it runs out: ${reason}`, { cause: error }));
        return attempt.settled;
      }
      const failure = await redisFailure(error);
      if (failure !== undefined) throw unavailable(this.#where, failure);
    }
    return attempt.settled;
  }
}

/**
 * Rate limits in Redis: one counter per client and window, `<keyPrefix>rate:<windowSeconds>s:<client>`
 * (e.g. `user-gateway:rate:60s:ops-dashboard`), an integer that rate-limiter-flexible's Lua script
 * increments atomically and that expires when the window ends (its TTL is set by the window's first
 * request). Every process that shares the Redis and the key prefix counts a client in one counter.
 *
 * When Redis cannot count (down, not yet reconnected, or slower than `rateLimitWaitMs`), this fails
 * OPEN: the request is counted in this process instead (each process then allows a client the whole
 * limit, so at most N× the limit across N processes), and so is every request of the next
 * `rateLimitPauseMs`, without asking Redis, until one asks again; `onBackgroundError` hears it once
 * per outage. Why not fail closed: the limit protects the upstreams from one client's excess; it is not
 * what keeps clients out (authentication is). Queries never need Redis, so refusing every request
 * while Redis is down would turn an outage of a helper into an outage of the whole API, for every
 * client, the well-behaved ones first; and the writes that do need Redis (locks, idempotency keys)
 * fail by themselves meanwhile (`UpstreamFailure`, upstream "redis"). Counting in this process
 * keeps the excess bounded instead of unlimited. `rejectIfRedisNotReady` makes a request fall back
 * at once while the connection is down, rather than wait in ioredis's offline queue.
 */
function redisRateLimits(redis: Redis, where: string, settings: StateSettings): RateLimits {
  const create = ({ points, windowSeconds, keyPrefix }: { points: number; windowSeconds: number; keyPrefix: string }) =>
    new RateLimiterRedis({
      storeClient: redis,
      // ioredis, not node-redis (`useRedisPackage` is for redis v4+): said, so that the library's
      // guess from the client's constructor name never decides which API it calls.
      useRedisPackage: false,
      rejectIfRedisNotReady: true,
      keyPrefix,
      points,
      duration: windowSeconds,
    });
  return new RateLimits(create, settings.keyPrefix, {
    limits: memoryRateLimits(settings.keyPrefix),
    waitMs: settings.rateLimitWaitMs,
    pauseMs: settings.rateLimitPauseMs,
    onStoreError: (error) => {
      const reason = error instanceof Error ? error.message : String(error);
      settings.onBackgroundError(
        new StateUnavailableError(`Redis at ${where} could not count a rate limit, so requests are counted in this process only until it can: ${reason}`, {
          cause: error,
        }),
      );
    },
  });
}

/** The Redis error behind a failed acquisition, or undefined when the lock was simply taken. */
async function redisFailure(error: unknown): Promise<unknown> {
  if (!(error instanceof ExecutionError)) return error;
  const lastAttempt = await error.attempts.at(-1);
  return [...(lastAttempt?.votesAgainst.values() ?? [])].find((vote) => !(vote instanceof ResourceLockedError));
}

/** Every Redis failure reaches callers as one error type, naming the server (never its credentials). */
function unavailable(where: string, error: unknown): StateUnavailableError {
  const reason = error instanceof Error ? error.message : String(error);
  return new StateUnavailableError(`Redis at ${where}: ${reason}`, { cause: error });
}

async function ask<T>(where: string, command: Promise<T>): Promise<T> {
  try {
    return await command;
  } catch (error) {
    throw unavailable(where, error);
  }
}

/** The URL without user and password, for messages. */
function describeRedisUrl(redisUrl: string): string {
  const url = URL.canParse(redisUrl) ? new URL(redisUrl) : undefined;
  if (url?.protocol !== 'redis:' && url?.protocol !== 'rediss:') {
    throw new RangeError('the Redis URL must be redis://host:port[/db] (or rediss:// for TLS)');
  }
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/**
 * One connection for locks, records and rate limits alike (none blocks it). No call may hang on Redis:
 * `commandTimeout` bounds every command, including one queued while the connection is down (the
 * offline queue stays on, so that a Redis restart of a moment costs no calls); with
 * `maxRetriesPerRequest: 0` a command is failed at the first lost connection rather than resent,
 * since a resent claim or lock could find itself and take itself for another holder.
 */
async function connect(redisUrl: string, settings: StateSettings): Promise<{ redis: Redis; where: string }> {
  const where = describeRedisUrl(redisUrl);
  const redis = new Redis(redisUrl, {
    connectTimeout: settings.redisTimeoutMs,
    commandTimeout: settings.redisTimeoutMs,
    maxRetriesPerRequest: 0,
  });
  let connectionError: Error | undefined;
  const rememberConnectionError = (error: Error) => (connectionError = error);
  redis.on('error', rememberConnectionError);
  try {
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    const cause = connectionError ?? error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new StateUnavailableError(`Redis at ${where} did not answer PING (waited at most ${settings.redisTimeoutMs} ms): ${reason}`, { cause });
  }
  redis.off('error', rememberConnectionError);
  redis.on('error', (error: Error) => settings.onBackgroundError(unavailable(where, error)));
  return { redis, where };
}

/** Both halves of each operation: this process's queue or shared promise first, then Redis. */
export async function createRedisState(redisUrl: string, settings: StateSettings): Promise<SharedState> {
  const { redis, where } = await connect(redisUrl, settings);
  const queue = new KeyedQueue();
  const locks = new RedisLocks(redis, where, settings);
  const records = new RedisRecordStore(redis, where, settings);
  await records.start().catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  const idempotency = new Idempotency(records, settings);
  const rateLimits = redisRateLimits(redis, where, settings);
  return {
    withLock: (key, { waitMs }, work) => queue.run(key, waitMs, (deadline) => locks.hold(key, waitMs, deadline, work)),
    remember: (key, fingerprint, options, work, settleAttempt) => idempotency.remember(key, fingerprint, options, work, settleAttempt),
    notes: redisNotes(redis, where, settings.keyPrefix),
    countRequest: (client, options) => rateLimits.count(client, options),
    close: async () => {
      rateLimits.clear();
      // quit lets pending replies arrive; a connection that is down has nothing to wait for.
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
