// The read cache's stores (state/read-cache.ts): the same contract in memory and over a real Redis,
// and a Redis that fails or stalls turning the cache off (said once) and on again (said once).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadCacheStore, MemoryReadCache, type ReadCacheStore } from '../src/state/read-cache.ts';
import { openRedisProxy, startTestRedis, type TestRedis } from './support/redis.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis.stop());

const stores: [string, () => Promise<ReadCacheStore>][] = [
  ['in memory', async () => new MemoryReadCache(1024 ** 2)],
  ['over Redis', () => createReadCacheStore({ redisUrl: redis.url, keyPrefix: `test-${randomUUID()}:`, timeoutMs: 1_000 })],
];

describe.each(stores)('the store %s', (_name, open) => {
  it('answers an entry only under the generation it was stored under', async () => {
    const store = await open();
    try {
      const first = await store.lookup('generation', 'entry');
      expect(first.entry).toBeUndefined();
      await store.store('generation', first.generation, 'entry', '{"a":1}', 60_000);
      expect(await store.lookup('generation', 'entry')).toEqual({ generation: first.generation, entry: '{"a":1}' });
      await store.bump(['generation', 'other']);
      expect(await store.lookup('generation', 'entry')).toEqual({ generation: first.generation + 1, entry: undefined });
      expect((await store.lookup('other', 'entry')).entry).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('stores nothing read under a generation a write has moved on since', async () => {
    const store = await open();
    try {
      const { generation } = await store.lookup('generation', 'entry');
      await store.bump(['generation']);
      await store.store('generation', generation, 'entry', '{"before":"the write"}', 60_000);
      expect(await store.lookup('generation', 'entry')).toEqual({ generation: generation + 1, entry: undefined });
    } finally {
      await store.close();
    }
  });
});

describe('over Redis', () => {
  it('never answers an entry of before a generation Redis lost (evicted, deleted): the collection starts again past it', async () => {
    const keyPrefix = `test-${randomUUID()}:`;
    const store = await createReadCacheStore({ redisUrl: redis.url, keyPrefix, timeoutMs: 1_000 });
    const raw = new Redis(redis.url);
    try {
      const { generation } = await store.lookup('generation', 'entry');
      await store.bump(['generation']);
      await store.store('generation', generation + 1, 'entry', '{"read":"before the loss"}', 60_000);
      expect((await store.lookup('generation', 'entry')).entry).toBe('{"read":"before the loss"}');
      await raw.del(`${keyPrefix}generation`);
      expect((await store.lookup('generation', 'entry')).entry).toBeUndefined();
      await raw.del(`${keyPrefix}generation`);
      await store.bump(['generation']);
      expect((await store.lookup('generation', 'entry')).entry).toBeUndefined();
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});

describe('in memory', () => {
  it('keeps at most its bytes, letting go of the least recently used', async () => {
    const store = new MemoryReadCache(100);
    for (let entry = 0; entry < 10; entry++) await store.store('generation', 0, `entry-${entry}`, 'x'.repeat(30), 60_000);
    const kept = await Promise.all(Array.from({ length: 10 }, async (_, entry) => (await store.lookup('generation', `entry-${entry}`)).entry !== undefined));
    expect(kept).toEqual([false, false, false, false, false, false, false, false, true, true]);
  });
});

describe('over a Redis that fails', () => {
  it('is turned off after a few failures, said once, and on again once Redis answers, said once', async () => {
    const proxy = await openRedisProxy(redis.url);
    const said: string[] = [];
    const store = await createReadCacheStore({
      redisUrl: proxy.url,
      keyPrefix: `test-${randomUUID()}:`,
      timeoutMs: 50,
      // Each call after a failure tries Redis again at once: the test needs no waiting.
      retryAfterMs: 0,
      onAvailability: (available) => said.push(available ? 'on' : 'off'),
    });
    try {
      const { generation } = await store.lookup('generation', 'entry');
      await store.store('generation', generation, 'entry', 'value', 60_000);
      proxy.stall();
      for (let call = 0; call < 6; call++) await expect(store.lookup('generation', 'entry')).rejects.toThrow();
      expect(said).toEqual(['off']);
      proxy.resume();
      expect(await store.lookup('generation', 'entry')).toEqual({ generation, entry: 'value' });
      expect(said).toEqual(['off', 'on']);
    } finally {
      await store.close();
      await proxy.cut();
    }
  });

  it('owes the invalidations Redis did not take, and looks nothing up until they are made', async () => {
    const proxy = await openRedisProxy(redis.url);
    const keyPrefix = `test-${randomUUID()}:`;
    const store = await createReadCacheStore({ redisUrl: proxy.url, keyPrefix, timeoutMs: 50, retryAfterMs: 0 });
    const direct = await createReadCacheStore({ redisUrl: redis.url, keyPrefix, timeoutMs: 1_000 });
    try {
      const { generation } = await store.lookup('generation', 'entry');
      await store.store('generation', generation, 'entry', 'value', 60_000);
      proxy.stall();
      await expect(store.bump(['generation'])).rejects.toThrow();
      // Owed, and not paid while Redis does not answer: nothing is looked up here meanwhile.
      await expect(store.lookup('generation', 'entry')).rejects.toThrow(/owed/);
      proxy.resume();
      // The next lookup pays it first; the entry of before answers nowhere.
      expect((await store.lookup('generation', 'entry')).entry).toBeUndefined();
      const seen = await direct.lookup('generation', 'entry');
      expect(seen.entry).toBeUndefined();
      expect(seen.generation).toBeGreaterThan(0);
    } finally {
      await Promise.all([store.close(), direct.close()]);
      await proxy.cut();
    }
  });
});
