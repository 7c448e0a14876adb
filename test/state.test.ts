import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSharedState,
  IdempotencyBusyError,
  IdempotencyKeyReusedError,
  IdempotencyKeysLostError,
  LockLostError,
  LockTimeoutError,
  StateUnavailableError,
  type SharedState,
  type SharedStateOptions,
} from '../src/state/index.ts';
import { freePort, openRedisProxy, openSilentServer, startOwnRedis, startTestRedis, type TestRedis } from './support/redis.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** One prefix per run, so that runs sharing a Redis (and what earlier runs left) never meet. */
const runPrefix = `user-gateway-test:${randomUUID()}:`;

const opened: SharedState[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((state) => state.close()));
});

async function open(options: SharedStateOptions): Promise<SharedState> {
  const state = await createSharedState(options);
  opened.push(state);
  return state;
}

const openInMemory = () => open({});
/** Another call stands for another gateway process: its own connection, the same Redis and prefix. */
const openOverRedis = (options: SharedStateOptions = {}) => open({ redisUrl: redis.url, keyPrefix: runPrefix, ...options });

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** Reads, yields, writes: without a lock, concurrent calls overwrite each other's increments. */
async function increment(counter: { value: number }): Promise<void> {
  const read = counter.value;
  await sleep(1);
  counter.value = read + 1;
}

const remembering = { ttlMs: 60_000, waitMs: 5_000 };

it('the increment races without a lock, so the lock tests below can fail', async () => {
  const counter = { value: 0 };
  await Promise.all(Array.from({ length: 100 }, () => increment(counter)));
  expect(counter.value).toBeLessThan(100);
});

describe.each([
  { name: 'in memory', openState: openInMemory },
  { name: 'over Redis', openState: openOverRedis },
])('shared state $name', ({ openState }) => {
  describe('withLock', () => {
    it('serializes 100 concurrent read-modify-write increments', async () => {
      const state = await openState();
      const key = randomUUID();
      const counter = { value: 0 };
      await Promise.all(Array.from({ length: 100 }, () => state.withLock(key, { waitMs: 10_000 }, () => increment(counter))));
      expect(counter.value).toBe(100);
    });

    it('rejects a waiter after waitMs without running it, and still makes later callers wait for the holder', async () => {
      const state = await openState();
      const key = randomUUID();
      const release = deferred();
      let held = true;
      const holder = state.withLock(key, { waitMs: 1_000 }, () => release.promise);

      let waiterRan = false;
      const waiter = state.withLock(key, { waitMs: 100 }, async () => {
        waiterRan = true;
      });
      await expect(waiter).rejects.toBeInstanceOf(LockTimeoutError);
      await expect(waiter).rejects.toThrow(`the lock on "${key}" was still held by someone else after waiting 100 ms`);
      expect(waiterRan).toBe(false);

      const later = state.withLock(key, { waitMs: 2_000 }, async () => held);
      await sleep(50);
      held = false;
      release.resolve();
      await holder;
      expect(await later).toBe(false);
    });

    it('passes on what work returns or throws', async () => {
      const state = await openState();
      expect(await state.withLock(randomUUID(), { waitMs: 1_000 }, async () => 42)).toBe(42);
      await expect(state.withLock(randomUUID(), { waitMs: 1_000 }, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    });
  });

  describe('remember', () => {
    it('runs 20 concurrent calls with one key once, and all get its result', async () => {
      const state = await openState();
      const key = randomUUID();
      let runs = 0;
      const work = async () => {
        runs += 1;
        await sleep(20);
        return { result: { userId: 'u-1', run: runs }, keep: true };
      };
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => state.remember(key, 'create u-1', remembering, work)));
      expect(runs).toBe(1);
      expect(outcomes.filter((outcome) => outcome.replayed)).toHaveLength(19);
      for (const outcome of outcomes) expect(outcome.result).toEqual({ userId: 'u-1', run: 1 });

      expect(await state.remember(key, 'create u-1', remembering, work)).toEqual({ result: { userId: 'u-1', run: 1 }, replayed: true });
      expect(runs).toBe(1);
    });

    it('refuses the key with another fingerprint, while the first runs and after, without running work', async () => {
      const state = await openState();
      const key = randomUUID();
      const release = deferred();
      const first = state.remember(key, 'top up 10', remembering, async () => {
        await release.promise;
        return { result: 'ok', keep: true };
      });
      let otherRan = false;
      const other = async () => {
        otherRan = true;
        return { result: 'other', keep: true };
      };
      await expect(state.remember(key, 'top up 20', remembering, other)).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      release.resolve();
      expect(await first).toEqual({ result: 'ok', replayed: false });
      await expect(state.remember(key, 'top up 20', remembering, other)).rejects.toThrow(
        `the idempotency key "${key}" was already used for a different request`,
      );
      expect(otherRan).toBe(false);
    });

    it('runs work again after keep: false', async () => {
      const state = await openState();
      const key = randomUUID();
      let runs = 0;
      const work = async () => ({ result: (runs += 1), keep: false });
      expect(await state.remember(key, 'f', remembering, work)).toEqual({ result: 1, replayed: false });
      expect(await state.remember(key, 'f', remembering, work)).toEqual({ result: 2, replayed: false });
    });

    it('rejects with the error work threw and releases the key', async () => {
      const state = await openState();
      const key = randomUUID();
      await expect(state.remember(key, 'f', remembering, () => Promise.reject(new Error('upstream down')))).rejects.toThrow('upstream down');
      expect(await state.remember(key, 'f', remembering, async () => ({ result: 'second try', keep: true }))).toEqual({
        result: 'second try',
        replayed: false,
      });
    });

    it('forgets a result after ttlMs', async () => {
      const state = await openState();
      const key = randomUUID();
      let runs = 0;
      const work = async () => ({ result: (runs += 1), keep: true });
      const briefly = { ttlMs: 100, waitMs: 1_000 };
      expect(await state.remember(key, 'f', briefly, work)).toEqual({ result: 1, replayed: false });
      expect(await state.remember(key, 'f', briefly, work)).toEqual({ result: 1, replayed: true });
      await sleep(150);
      expect(await state.remember(key, 'f', briefly, work)).toEqual({ result: 2, replayed: false });
    });

    it('gives up waiting for a first call that runs past waitMs', async () => {
      const state = await openState();
      const key = randomUUID();
      const release = deferred();
      const first = state.remember(key, 'f', remembering, async () => {
        await release.promise;
        return { result: 'done', keep: true };
      });
      await expect(state.remember(key, 'f', { ttlMs: 60_000, waitMs: 50 }, async () => ({ result: 'again', keep: true }))).rejects.toBeInstanceOf(
        IdempotencyBusyError,
      );
      release.resolve();
      await first;
      expect(await state.remember(key, 'f', remembering, async () => ({ result: 'again', keep: true }))).toEqual({ result: 'done', replayed: true });
    });

    it('returns replays through JSON, as Redis stores them', async () => {
      const state = await openState();
      const key = randomUUID();
      const work = async () => ({ result: { at: new Date(0), note: undefined }, keep: true });
      await state.remember(key, 'f', remembering, work);
      expect((await state.remember(key, 'f', remembering, work)).result).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    });
  });

  describe('countRequest', () => {
    it('lets `limit` requests of a client through, refuses the next with how long to wait, and counts clients apart', async () => {
      const state = await openState();
      const [client, other] = [randomUUID(), randomUUID()];
      const perMinute = { limit: 3 };
      const decisions = [];
      for (let i = 0; i < 5; i++) decisions.push(await state.countRequest(client, perMinute));
      expect(decisions.slice(0, 3)).toEqual([
        { allowed: true, remaining: 2 },
        { allowed: true, remaining: 1 },
        { allowed: true, remaining: 0 },
      ]);
      for (const refused of decisions.slice(3)) {
        if (refused.allowed) throw new Error('refusal expected');
        expect(refused.retryAfterMs).toBeGreaterThanOrEqual(1);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
      }
      expect(await state.countRequest(other, perMinute)).toEqual({ allowed: true, remaining: 2 });
    });

    it('counts 50 concurrent requests of one client exactly', async () => {
      const state = await openState();
      const client = randomUUID();
      const decisions = await Promise.all(Array.from({ length: 50 }, () => state.countRequest(client, { limit: 20 })));
      expect(decisions.filter((decision) => decision.allowed)).toHaveLength(20);
    });

    it('opens a new window once the last one ran out', async () => {
      const state = await openState();
      const client = randomUUID();
      const perSecond = { limit: 2, windowSeconds: 1 };
      expect((await state.countRequest(client, perSecond)).allowed).toBe(true);
      expect((await state.countRequest(client, perSecond)).allowed).toBe(true);
      const refused = await state.countRequest(client, perSecond);
      expect(refused).toEqual({ allowed: false, retryAfterMs: expect.any(Number) });
      if (refused.allowed) return;
      expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
      await sleep(1_100);
      expect(await state.countRequest(client, perSecond)).toEqual({ allowed: true, remaining: 1 });
    });

    it('refuses a limit or window that is not a whole number, at least 1', async () => {
      const state = await openState();
      await expect(state.countRequest('c', { limit: 0 })).rejects.toBeInstanceOf(RangeError);
      await expect(state.countRequest('c', { limit: 2.5 })).rejects.toBeInstanceOf(RangeError);
      await expect(state.countRequest('c', { limit: 5, windowSeconds: 0.5 })).rejects.toThrow('windowSeconds must be a whole number, at least 1');
    });
  });

  it('refuses durations that are not whole milliseconds', async () => {
    const state = await openState();
    await expect(state.withLock('k', { waitMs: Number.NaN }, async () => 1)).rejects.toBeInstanceOf(RangeError);
    await expect(state.remember('k', 'f', { ttlMs: 0, waitMs: 10 }, async () => ({ result: 1, keep: true }))).rejects.toBeInstanceOf(RangeError);
  });
});

describe('shared state across processes (two Redis connections)', () => {
  it('serializes increments of one counter from two instances', async () => {
    const [a, b] = await Promise.all([openOverRedis(), openOverRedis()]);
    const key = randomUUID();
    const counter = { value: 0 };
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).withLock(key, { waitMs: 10_000 }, () => increment(counter))),
    );
    expect(counter.value).toBe(100);
  });

  it('makes another instance`s waiter time out without running, then lets it in once the lock is free', async () => {
    const [a, b] = await Promise.all([openOverRedis(), openOverRedis()]);
    const key = randomUUID();
    const acquired = deferred();
    const release = deferred();
    const holder = a.withLock(key, { waitMs: 1_000 }, async () => {
      acquired.resolve();
      await release.promise;
    });
    await acquired.promise;
    let waiterRan = false;
    await expect(
      b.withLock(key, { waitMs: 150 }, async () => {
        waiterRan = true;
      }),
    ).rejects.toBeInstanceOf(LockTimeoutError);
    expect(waiterRan).toBe(false);
    release.resolve();
    await holder;
    expect(await b.withLock(key, { waitMs: 1_000 }, async () => 'mine')).toBe('mine');
  });

  it('extends a lock while work runs past the lock`s duration', async () => {
    const [a, b] = await Promise.all([openOverRedis({ lockDurationMs: 200 }), openOverRedis({ lockDurationMs: 200 })]);
    const key = randomUUID();
    const acquired = deferred();
    const holder = a.withLock(key, { waitMs: 1_000 }, async (lock) => {
      acquired.resolve();
      await sleep(800);
      await lock.confirm();
      return lock.lost.aborted;
    });
    await acquired.promise;
    await sleep(300); // past the first 200 ms: without an extension the lock would be free by now
    await expect(b.withLock(key, { waitMs: 300 }, async () => 'too early')).rejects.toBeInstanceOf(LockTimeoutError);
    expect(await holder).toBe(false);
    expect(await b.withLock(key, { waitMs: 500 }, async () => 'after')).toBe('after');
  });

  it('makes another instance wait for the running first call and get its result', async () => {
    const [a, b] = await Promise.all([openOverRedis(), openOverRedis()]);
    const key = randomUUID();
    const started = deferred();
    const first = a.remember(key, 'f', remembering, async () => {
      started.resolve();
      await sleep(150);
      return { result: { userId: 'u-7' }, keep: true };
    });
    await started.promise;
    let secondRan = false;
    const second = await b.remember(key, 'f', remembering, async () => {
      secondRan = true;
      return { result: { userId: 'u-8' }, keep: true };
    });
    expect(second).toEqual({ result: { userId: 'u-7' }, replayed: true });
    expect(await first).toEqual({ result: { userId: 'u-7' }, replayed: false });
    expect(secondRan).toBe(false);
  });

  it('keeps a first call`s claim fresh while its work runs past the claim`s TTL', async () => {
    const [a, b] = await Promise.all([openOverRedis({ claimTtlMs: 150 }), openOverRedis()]);
    const key = randomUUID();
    const started = deferred();
    const first = a.remember(key, 'f', remembering, async () => {
      started.resolve();
      await sleep(500);
      return { result: 'a', keep: true };
    });
    await started.promise;
    expect(await b.remember(key, 'f', remembering, async () => ({ result: 'b', keep: true }))).toEqual({ result: 'a', replayed: true });
    await first;
  });

  it('refuses another fingerprint and gives up waiting, across instances', async () => {
    const [a, b] = await Promise.all([openOverRedis(), openOverRedis()]);
    const key = randomUUID();
    const started = deferred();
    const release = deferred();
    const first = a.remember(key, 'f', remembering, async () => {
      started.resolve();
      await release.promise;
      return { result: 1, keep: true };
    });
    await started.promise;
    const never = async () => {
      throw new Error('must not run');
    };
    await expect(b.remember(key, 'other', remembering, never)).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    await expect(b.remember(key, 'f', { ttlMs: 60_000, waitMs: 100 }, never)).rejects.toBeInstanceOf(IdempotencyBusyError);
    release.resolve();
    await first;
  });

  it('lets a waiting instance run work itself when the first releases the key', async () => {
    const [a, b] = await Promise.all([openOverRedis(), openOverRedis()]);
    const key = randomUUID();
    const started = deferred();
    const first = a.remember(key, 'f', remembering, async () => {
      started.resolve();
      await sleep(100);
      return { result: 'unknown outcome', keep: false };
    });
    await started.promise;
    const second = await b.remember(key, 'f', remembering, async () => ({ result: 'ran again', keep: true }));
    expect(await first).toEqual({ result: 'unknown outcome', replayed: false });
    expect(second).toEqual({ result: 'ran again', replayed: false });
  });

  it('frees the key of an instance that lost Redis mid-work once its claim runs out', async () => {
    const proxy = await openRedisProxy(redis.url);
    const reported: Error[] = [];
    const a = await openOverRedis({ redisUrl: proxy.url, claimTtlMs: 300, redisTimeoutMs: 300, onBackgroundError: (error) => reported.push(error) });
    const b = await openOverRedis();
    const key = randomUUID();
    const started = deferred();
    const release = deferred();
    const first = a.remember(key, 'f', remembering, async () => {
      started.resolve();
      await release.promise;
      return { result: 'a', keep: true };
    });
    await started.promise;
    await proxy.cut();

    const startedWaiting = Date.now();
    expect(await b.remember(key, 'f', remembering, async () => ({ result: 'b', keep: true }))).toEqual({ result: 'b', replayed: false });
    expect(Date.now() - startedWaiting).toBeLessThan(1_000);

    // a's work did run, so a's caller hears its result; only its record is lost, and reported.
    release.resolve();
    expect(await first).toEqual({ result: 'a', replayed: false });
    expect(reported.some((error) => error.message.includes(`the idempotency record for "${key}" could not be written`))).toBe(true);
  });

  it('counts one client`s requests in one counter across instances', async () => {
    const [a, b] = await Promise.all([openOverRedis(), openOverRedis()]);
    const client = randomUUID();
    const perMinute = { limit: 4 };
    expect(await a.countRequest(client, perMinute)).toEqual({ allowed: true, remaining: 3 });
    expect(await b.countRequest(client, perMinute)).toEqual({ allowed: true, remaining: 2 });
    expect(await a.countRequest(client, perMinute)).toEqual({ allowed: true, remaining: 1 });
    expect(await b.countRequest(client, perMinute)).toEqual({ allowed: true, remaining: 0 });
    expect((await a.countRequest(client, perMinute)).allowed).toBe(false);
    expect((await b.countRequest(client, perMinute)).allowed).toBe(false);

  });

  it('counts apart under another key prefix, and for another window', async () => {
    const [a, b] = await Promise.all([openOverRedis({ keyPrefix: `${runPrefix}a:` }), openOverRedis({ keyPrefix: `${runPrefix}b:` })]);
    const client = randomUUID();
    expect(await a.countRequest(client, { limit: 1 })).toEqual({ allowed: true, remaining: 0 });
    expect((await a.countRequest(client, { limit: 1 })).allowed).toBe(false);
    expect(await b.countRequest(client, { limit: 1 })).toEqual({ allowed: true, remaining: 0 });
    expect(await a.countRequest(client, { limit: 1, windowSeconds: 3_600 })).toEqual({ allowed: true, remaining: 0 });
  });

  it('keeps instances with different key prefixes apart', async () => {
    const [a, b] = await Promise.all([openOverRedis({ keyPrefix: `${runPrefix}a:` }), openOverRedis({ keyPrefix: `${runPrefix}b:` })]);
    const key = randomUUID();
    expect(await a.remember(key, 'f', remembering, async () => ({ result: 'a', keep: true }))).toEqual({ result: 'a', replayed: false });
    expect(await b.remember(key, 'f', remembering, async () => ({ result: 'b', keep: true }))).toEqual({ result: 'b', replayed: false });
  });
});

describe('a Redis that cannot be reached', () => {
  it('fails start-up at once when nothing listens', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const opening = createSharedState({ redisUrl: url });
    await expect(opening).rejects.toBeInstanceOf(StateUnavailableError);
    await expect(opening).rejects.toThrow(`Redis at ${url} did not answer PING`);
    await expect(opening).rejects.toThrow('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('fails start-up after redisTimeoutMs when Redis accepts but never answers', async () => {
    const silent = await openSilentServer();
    try {
      const started = Date.now();
      await expect(createSharedState({ redisUrl: silent.url, redisTimeoutMs: 300 })).rejects.toThrow(/did not answer PING \(waited at most 300 ms\)/);
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      await silent.close();
    }
  });

  it('fails calls with StateUnavailableError, without running work, once Redis goes away', async () => {
    const proxy = await openRedisProxy(redis.url);
    const state = await openOverRedis({ redisUrl: proxy.url, redisTimeoutMs: 300, onBackgroundError: () => {} });
    await proxy.cut();
    let ran = false;
    const work = async () => {
      ran = true;
      return { result: 1, keep: true };
    };
    const started = Date.now();
    await expect(state.withLock(randomUUID(), { waitMs: 5_000 }, work)).rejects.toBeInstanceOf(StateUnavailableError);
    await expect(state.remember(randomUUID(), 'f', remembering, work)).rejects.toThrow(/^Redis at redis:\/\/127\.0\.0\.1:\d+: /);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(ran).toBe(false);
  });

  it('fails a rate limit open once Redis goes away: counts in this process, and says so once', async () => {
    const proxy = await openRedisProxy(redis.url);
    const reported: Error[] = [];
    const state = await openOverRedis({ redisUrl: proxy.url, redisTimeoutMs: 300, onBackgroundError: (error) => reported.push(error) });
    const client = randomUUID();
    expect(await state.countRequest(client, { limit: 3 })).toEqual({ allowed: true, remaining: 2 });
    await proxy.cut();
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await state.countRequest(client, { limit: 3 }));
    // This process counts from nothing: the one Redis counted is not known here.
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false]);
    const aboutRateLimits = reported.filter((error) => error.message.includes('could not count a rate limit'));
    expect(aboutRateLimits).toHaveLength(1);
    expect(aboutRateLimits[0]).toBeInstanceOf(StateUnavailableError);
    expect(aboutRateLimits[0]?.message).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+ could not count a rate limit, so requests are counted in this process only/);
  });

  it('refuses a URL that is not redis:// or rediss://', async () => {
    await expect(createSharedState({ redisUrl: 'http://127.0.0.1:6379' })).rejects.toThrow('the Redis URL must be redis://host:port');
  });
});

describe('when Redis stalls or restarts empty', () => {
  it('a claim whose command timed out (Redis stalled) is released once Redis answers: the key is not left busy', async () => {
    const proxy = await openRedisProxy(redis.url);
    try {
      const stalling = await openOverRedis({ redisUrl: proxy.url, redisTimeoutMs: 200 });
      const key = randomUUID();
      proxy.stall();
      await expect(stalling.remember(key, 'f', remembering, async () => ({ result: 'never', keep: true }))).rejects.toBeInstanceOf(StateUnavailableError);
      // The claim reaches Redis late and is stored: the client was told nothing happened, so it goes again.
      proxy.resume();
      const other = await openOverRedis();
      expect(await other.remember(key, 'f', { ttlMs: 60_000, waitMs: 20_000 }, async () => ({ result: 'ran', keep: true }))).toEqual({ result: 'ran', replayed: false });
    } finally {
      await proxy.cut();
    }
  });

  it('a key whose work left an attempt unsettled is settled by the next call, never run again blindly', async () => {
    const [a, b] = await Promise.all([openOverRedis(), openOverRedis()]);
    const key = randomUUID();
    const first = await a.remember(key, 'f', remembering, async () => ({ result: 'unknown', unsettled: { sent: 7 } }));
    expect(first).toEqual({ result: 'unknown', replayed: false });
    const settledWith: unknown[] = [];
    const work = async () => ({ result: 'ran again', keep: true });
    const settle = async (attempt: unknown) => {
      settledWith.push(attempt);
      return { result: 'landed', keep: true, replayed: true };
    };
    expect(await b.remember(key, 'f', remembering, work, settle)).toEqual({ result: 'landed', replayed: true });
    expect(await a.remember(key, 'f', remembering, work, settle)).toEqual({ result: 'landed', replayed: true });
    expect(settledWith).toEqual([{ sent: 7 }]);
  });

  it('a settle that fails leaves the attempt unsettled for the next call', async () => {
    const state = await openOverRedis();
    const key = randomUUID();
    await state.remember(key, 'f', remembering, async () => ({ result: 'unknown', unsettled: { sent: 1 } }));
    await expect(state.remember(key, 'f', remembering, async () => ({ result: 'x', keep: true }), () => Promise.reject(new Error('upstream down')))).rejects.toThrow('upstream down');
    const seen: unknown[] = [];
    await state.remember(key, 'f', remembering, async () => ({ result: 'x', keep: true }), async (attempt) => {
      seen.push(attempt);
      return { result: 'settled', keep: true };
    });
    expect(seen).toEqual([{ sent: 1 }]);
  });

  it('refuses keyed work after Redis lost its data, and locks lost with it are noticed before the write', async () => {
    const own = await startOwnRedis();
    try {
      const state = await open({ redisUrl: own.url, keyPrefix: runPrefix, keysLostHoldMs: 60_000 });
      const key = randomUUID();
      expect(await state.remember(key, 'f', remembering, async () => ({ result: 1, keep: true }))).toEqual({ result: 1, replayed: false });

      // A lock taken before the restart is gone after it: confirming it before the write fails.
      const holding = deferred();
      const restarted = deferred();
      const locked = state.withLock(randomUUID(), { waitMs: 5_000 }, async (lock) => {
        holding.resolve();
        await restarted.promise;
        await lock.confirm();
        return 'wrote';
      });
      await holding.promise;
      await own.restart();
      restarted.resolve();
      await expect(locked).rejects.toBeInstanceOf(LockLostError);

      // The key (and every other) is gone: a retry with it could run its work twice, so it is refused.
      let ran = false;
      const again = state.remember(key, 'f', remembering, async () => {
        ran = true;
        return { result: 2, keep: true };
      });
      await expect(again).rejects.toBeInstanceOf(IdempotencyKeysLostError);
      expect(ran).toBe(false);
      // Another process on the same Redis agrees: the loss is recorded in Redis, not in one process.
      const other = await open({ redisUrl: own.url, keyPrefix: runPrefix, keysLostHoldMs: 60_000 });
      await expect(other.remember(randomUUID(), 'f', remembering, async () => ({ result: 3, keep: true }))).rejects.toBeInstanceOf(IdempotencyKeysLostError);
    } finally {
      await own.stop();
    }
  });

  it('trusts keys again once the hold has passed (every key that was lost would have expired)', async () => {
    const own = await startOwnRedis();
    try {
      const state = await open({ redisUrl: own.url, keyPrefix: runPrefix, keysLostHoldMs: 0 });
      await state.remember(randomUUID(), 'f', remembering, async () => ({ result: 1, keep: true }));
      await own.restart();
      expect(await state.remember(randomUUID(), 'f', remembering, async () => ({ result: 2, keep: true }))).toEqual({ result: 2, replayed: false });
    } finally {
      await own.stop();
    }
  });
});
