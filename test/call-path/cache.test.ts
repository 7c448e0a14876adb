// The read cache (call-path/cache.ts) over the reply layers and a pool, against a server that
// holds its answers, on the in-memory store and an injected clock. test/read-cache.test.ts shows
// it through gateways sharing Redis.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cache, cachePlan, type CacheUse } from '../../src/upstreams/call-path/cache.ts';
import type { CallOptions } from '../../src/upstreams/call-path/call.ts';
import { MemoryReadCache, type ReadCacheStore } from '../../src/state/read-cache.ts';
import { callOptions, heldServer, replyPath } from './support.ts';

const TTL_MS = 1_000;

const plan = cachePlan({
  collections: {
    users: { routes: ['/user/'], writesChange: ['users', 'tokens'] },
    tokens: { routes: ['/user_token/'], writesChange: ['tokens'] },
  },
  secretKeys: ['token', 'passwd'],
  withholding: ['tokens'],
});

let server: Awaited<ReturnType<typeof heldServer>>;
let path: ReturnType<typeof replyPath>;
let now: number;
let events: string[];
/** Every entry given to the store, as it was given. */
let stored: string[];
beforeEach(async () => {
  server = await heldServer();
  now = 0;
  events = [];
  stored = [];
  path = pathOver(recording(new MemoryReadCache(1024 ** 2)));
});

/** The store, with every entry given to it noted in `stored`. */
function recording(memory: ReadCacheStore): ReadCacheStore {
  return {
    lookup: (generationKey, entryKey) => memory.lookup(generationKey, entryKey),
    store: (generationKey, generation, entryKey, entry, keepMs) => {
      stored.push(entry);
      return memory.store(generationKey, generation, entryKey, entry, keepMs);
    },
    bump: (generationKeys) => memory.bump(generationKeys),
    close: () => memory.close(),
  };
}
afterEach(async () => {
  await path.close();
  await server.close();
});

/** Resolves at the `count`th invalidation told to the observer. */
let invalidations: { count: number; wanted: number; reached: () => void } | undefined;
const nthInvalidation = (count: number) => new Promise<void>((reached) => (invalidations = { count: 0, wanted: count, reached }));

function pathOver(over: ReadCacheStore, settleMs = 60_000) {
  return replyPath(server.origin, [
    cache({
      upstream: 'gate',
      store: over,
      plan,
      ttlMs: TTL_MS,
      now: () => now,
      origin: server.origin,
      baseUrl: `${server.origin}/api`,
      settleMs,
      observer: {
        cacheHit: (_upstream, bytes) => void events.push(`hit ${bytes > 0}`),
        cacheMiss: () => void events.push('miss'),
        cacheStored: () => void events.push('stored'),
        cacheInvalidated: (_upstream, collections) => {
          events.push(`invalidated ${collections}`);
          if (invalidations && ++invalidations.count === invalidations.wanted) invalidations.reached();
        },
      },
    }),
  ]);
}

const queryUse: CacheUse = { bypass: false, secrets: false };
const scopeOf = (use: CacheUse = queryUse, fresh = false) => ({ requestId: 'r', deadline: performance.now() + 10_000, cache: use, fresh });
const read = (url = '/api/user/', overrides: Partial<CallOptions> = {}) =>
  path.call(callOptions(url, { route: url.startsWith('/api/user_token/') ? '/user_token/' : '/user/', scope: scopeOf(), ...overrides }));
const write = (route = '/user/') => path.call(callOptions(`/api${route}`, { method: 'PATCH', route, body: '{}', scope: scopeOf() }));

/** Takes the next request the server holds and answers it 200 with `body`. */
async function answerNext(body: unknown = [{ name: 'ada' }], headers: Record<string, string> = {}) {
  const held = await server.next();
  held.answer(200, body, headers);
  return held;
}

describe('a read', () => {
  it('is answered from the cache the second time, with its body, status and Link header, and its URL', async () => {
    const first = read();
    await answerNext([{ name: 'ada' }], { link: '</api/user/?page=2>; rel="next"' });
    const answered = await first;
    const again = await read();
    expect(again).toEqual({ status: 200, headers: { link: '</api/user/?page=2>; rel="next"' }, body: [{ name: 'ada' }], url: `${server.origin}/api/user/` });
    expect(answered.url).toBe(again.url);
    expect(server.seen()).toEqual(['GET /api/user/']);
    expect(events).toEqual(['miss', 'stored', 'hit true']);
  });

  it('is kept apart by its path and query', async () => {
    const first = read('/api/user/?username=ada');
    await answerNext([{ name: 'ada' }]);
    await first;
    const other = read('/api/user/?username=bob');
    await answerNext([{ name: 'bob' }]);
    expect((await other).body).toEqual([{ name: 'bob' }]);
  });

  it('goes upstream again once its TTL has passed by the clock, and not before', async () => {
    const first = read();
    await answerNext([{ name: 'ada' }]);
    await first;
    now = TTL_MS - 1;
    expect((await read()).body).toEqual([{ name: 'ada' }]);
    now = TTL_MS;
    const later = read();
    await answerNext([{ name: 'ada lovelace' }]);
    expect((await later).body).toEqual([{ name: 'ada lovelace' }]);
    expect(server.seen()).toHaveLength(2);
  });

  it('is aged from when it began, not from when it was answered', async () => {
    const first = read();
    now = TTL_MS;
    await answerNext();
    await first;
    const again = read();
    await answerNext();
    await again;
    expect(server.seen()).toHaveLength(2);
  });

  it('that failed is not stored: the next one asks again', async () => {
    const failed = read().catch((error: unknown) => error);
    (await server.next()).answer(500);
    expect(await failed).toMatchObject({ code: 'UPSTREAM_ERROR' });
    const again = read();
    await answerNext();
    await again;
    await read();
    expect(server.seen()).toHaveLength(2);
  });

  it('stores secrets as null, wherever they are in the body', async () => {
    const first = read();
    await answerNext({ results: [{ name: 'ada', passwd: '$2b$12$hash', profile: { token: 'tok_secret' } }] });
    expect((await first).body).toEqual({ results: [{ name: 'ada', passwd: '$2b$12$hash', profile: { token: 'tok_secret' } }] });
    expect(stored).toHaveLength(1);
    expect(stored[0]).not.toContain('$2b$12$hash');
    expect(stored[0]).not.toContain('tok_secret');
    expect((await read()).body).toEqual({ results: [{ name: 'ada', passwd: null, profile: { token: null } }] });
  });

  it('of a collection whose secret is withheld goes upstream for a request that may show it', async () => {
    const first = read('/api/user_token/');
    await answerNext([{ token: 'tok_secret' }]);
    await first;
    const mayShow = read('/api/user_token/', { scope: scopeOf({ bypass: false, secrets: true }) });
    await answerNext([{ token: 'tok_secret' }]);
    expect((await mayShow).body).toEqual([{ token: 'tok_secret' }]);
    // A scope that says nothing of the cache may show anything.
    const unsaid = path.call(callOptions('/api/user_token/', { route: '/user_token/' }));
    await answerNext([{ token: 'tok_secret' }]);
    await unsaid;
    expect((await read('/api/user_token/')).body).toEqual([{ token: null }]);
    expect(server.seen()).toHaveLength(3);
  });

  it('of a request that bypasses the cache, or a fresh one, goes upstream and stores nothing', async () => {
    const bypassing = read('/api/user/', { scope: scopeOf({ bypass: true, secrets: false }) });
    await answerNext();
    await bypassing;
    const fresh = read('/api/user/', { scope: scopeOf(queryUse, true) });
    await answerNext();
    await fresh;
    const plain = read();
    await answerNext();
    await plain;
    expect(server.seen()).toHaveLength(3);
    expect(events).toEqual(['miss', 'stored']);
  });

  it('tells its request of a hit', async () => {
    const first = read();
    await answerNext();
    await first;
    let hits = 0;
    await read('/api/user/', { scope: scopeOf({ bypass: false, secrets: false, onHit: () => hits++ }) });
    expect(hits).toBe(1);
  });
});

describe('a write', () => {
  it('invalidates what a read stored before it, in its collection and those it changes', async () => {
    for (const url of ['/api/user/', '/api/user_token/']) {
      const first = read(url);
      await answerNext();
      await first;
    }
    const written = write('/user/');
    await answerNext({});
    await written;
    for (const url of ['/api/user/', '/api/user_token/']) {
      const again = read(url);
      await answerNext();
      await again;
    }
    expect(server.seen()).toEqual(['GET /api/user/', 'GET /api/user_token/', 'PATCH /api/user/', 'GET /api/user/', 'GET /api/user_token/']);
    expect(events.filter((event) => event.startsWith('invalidated'))).toEqual(['invalidated 2', 'invalidated 2']);
  });

  it('leaves the collections it does not change alone', async () => {
    const first = read('/api/user/');
    await answerNext();
    await first;
    const written = write('/user_token/');
    await answerNext({});
    await written;
    await read('/api/user/');
    expect(server.seen()).toEqual(['GET /api/user/', 'PATCH /api/user_token/']);
  });

  it('stops what was stored before it from answering as soon as it is sent: it may land before its answer comes', async () => {
    const first = read();
    await answerNext([{ name: 'before' }]);
    await first;
    const written = write();
    const writeCall = await server.next();
    const during = read();
    await answerNext([{ name: 'maybe after' }]);
    expect((await during).body).toEqual([{ name: 'maybe after' }]);
    writeCall.answer(200, {});
    await written;
  });

  it('keeps what a read began before it was sent, and answered after, from being stored', async () => {
    const before = read();
    const beforeCall = await server.next();
    const written = write();
    const writeCall = await server.next();
    beforeCall.answer(200, [{ name: 'before' }]);
    await before;
    writeCall.answer(200, {});
    await written;
    const after = read();
    await answerNext([{ name: 'after' }]);
    expect((await after).body).toEqual([{ name: 'after' }]);
  });

  it('keeps what a read began while it was on its way from answering after it was answered', async () => {
    const written = write();
    const writeCall = await server.next();
    const during = read();
    (await server.next()).answer(200, [{ name: 'during' }]);
    await during;
    writeCall.answer(200, {});
    await written;
    const after = read();
    await answerNext([{ name: 'after' }]);
    expect((await after).body).toEqual([{ name: 'after' }]);
    expect(server.seen()).toEqual(['PATCH /api/user/', 'GET /api/user/', 'GET /api/user/']);
  });

  it('that failed invalidates all the same: it may have landed', async () => {
    const first = read();
    await answerNext();
    await first;
    const written = write().catch((error: unknown) => error);
    (await server.next()).answer(502);
    expect(await written).toMatchObject({ code: 'UPSTREAM_ERROR' });
    const again = read();
    await answerNext();
    await again;
    expect(server.seen()).toHaveLength(3);
  });
});

describe('a write whose answer was lost', () => {
  it('invalidates once more when it would have landed by (here at once): it may land after its answer was given up', async () => {
    await path.close();
    path = pathOver(recording(new MemoryReadCache(1024 ** 2)), 0);
    const third = nthInvalidation(3);
    const written = write().catch((error: unknown) => error);
    (await server.next()).answer(504);
    expect(await written).toMatchObject({ code: 'UPSTREAM_ERROR' });
    await third;
    // One that was answered, if with a failure, has landed or not by then: twice is enough.
    const refused = write().catch((error: unknown) => error);
    (await server.next()).answer(500);
    await refused;
    expect(events.filter((event) => event.startsWith('invalidated'))).toHaveLength(5);
  });
});

describe('a store that fails', () => {
  const failing: ReadCacheStore = {
    lookup: () => Promise.reject(new Error('down')),
    store: () => Promise.reject(new Error('down')),
    bump: () => Promise.reject(new Error('down')),
    close: async () => {},
  };

  it('costs a read nothing but the cache: it goes upstream', async () => {
    await path.close();
    path = pathOver(failing);
    const first = read();
    await answerNext([{ name: 'ada' }]);
    expect((await first).body).toEqual([{ name: 'ada' }]);
  });

  it('holds no write up', async () => {
    await path.close();
    path = pathOver(failing);
    const written = write();
    await answerNext({ ok: true });
    expect((await written).body).toEqual({ ok: true });
  });
});
