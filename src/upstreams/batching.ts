import DataLoader from 'dataloader';

/** A batch answers one result per key, in key order; one failed key fails only itself. */
export function settleEach<K, V>(keys: readonly K[], fetchOne: (key: K) => Promise<V>): Promise<(V | Error)[]> {
  return Promise.all(keys.map((key) => fetchOne(key).catch((error: unknown) => asError(error))));
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Told of each batch a loader sends (`UpstreamObserver.loaderBatch`). */
export type LoaderBatchObserver = (loader: string, size: number) => void;

/** A loader's name (`gate.userById`) and whom it tells of its batches. */
export interface LoaderWatch {
  name: string;
  onBatch: LoaderBatchObserver;
}

/** What a request's loaders are given to name themselves with: nothing when no one watches. */
export function loaderWatcher(onBatch: LoaderBatchObserver | undefined): (name: string) => LoaderWatch | undefined {
  return onBatch ? (name) => ({ name, onBatch }) : () => undefined;
}

/**
 * A DataLoader that remembers answers, never failures: a key whose load failed is forgotten, so a
 * later load in the same request asks the upstream again instead of repeating a stale error.
 * `watch` hears the size of each batch.
 */
export function forgetfulLoader<K, V, C = K>(
  batch: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
  options?: DataLoader.Options<K, V, C>,
  watch?: LoaderWatch,
): DataLoader<K, V, C> {
  const loader: DataLoader<K, V, C> = new DataLoader<K, V, C>(async (keys) => {
    watch?.onBatch(watch.name, keys.length);
    let results: readonly (V | Error)[];
    try {
      results = await batch(keys);
    } catch (error) {
      for (const key of keys) loader.clear(key);
      throw error;
    }
    results.forEach((result, index) => {
      if (result instanceof Error) loader.clear(keys[index] as K);
    });
    return results;
  }, options);
  return loader;
}

/**
 * For a lookup that ends a chain (a user token, a user extra, a switch account: nothing more is
 * read from its answer): its batch goes out a turn of the event loop after the other batches of
 * the same round. Each call costs the CPU that sends it, one after another, so the lookups whose
 * answers lead to more reads (a person's edge account, whose login history comes next) are sent
 * first, and the query's longest chain of calls, which sets its latency, starts soonest.
 */
export const ENDS_CHAIN: Pick<DataLoader.Options<unknown, unknown>, 'batchScheduleFn'> = { batchScheduleFn: (send) => setImmediate(send) };

/** A loader keyed by one string: each distinct key is fetched once per request. */
export function loaderByKey<V>(fetchOne: (key: string) => Promise<V>, watch?: LoaderWatch, options?: typeof ENDS_CHAIN): DataLoader<string, V> {
  return forgetfulLoader<string, V>((keys) => settleEach(keys, fetchOne), options, watch);
}

/** A loader keyed by a plain object (a list's filter and window, say), compared by value. */
export function loaderByValue<K extends object, V>(fetchOne: (key: K) => Promise<V>, watch?: LoaderWatch): DataLoader<K, V, string> {
  return forgetfulLoader<K, V, string>((keys) => settleEach(keys, fetchOne), { cacheKeyFn: (key) => JSON.stringify(key) }, watch);
}

export interface DetailKey {
  key: string;
  /** Whether the costlier detailed read is wanted (gate's `balance=true`, `device_info=true`). */
  detailed: boolean;
}

/**
 * One record readable plain or detailed (the detailed read is a superset). Within one batch a key
 * wanted both ways is read once, detailed, and the answer serves both; a detailed answer is also
 * primed for later plain loads of the same key. `onRead` lets other loaders learn the record.
 */
function detailLoader<V>(
  fetchOne: (key: string, detailed: boolean) => Promise<V>,
  onRead?: (value: V, detailed: boolean) => void,
  watch?: LoaderWatch,
  endsChain = false,
): DataLoader<DetailKey, V, string> {
  const loader: DataLoader<DetailKey, V, string> = forgetfulLoader<DetailKey, V, string>(
    async (requests) => {
      const detailedByKey = new Map<string, boolean>();
      for (const { key, detailed } of requests) detailedByKey.set(key, detailedByKey.get(key) === true || detailed);
      const reads = new Map<string, Promise<V | Error>>();
      for (const [key, detailed] of detailedByKey) {
        reads.set(
          key,
          fetchOne(key, detailed).then(
            (value) => {
              if (detailed) loader.prime({ key, detailed: false }, value);
              onRead?.(value, detailed);
              return value;
            },
            (error: unknown) => asError(error),
          ),
        );
      }
      return Promise.all(requests.map(({ key }) => reads.get(key) as Promise<V | Error>));
    },
    { cacheKeyFn: ({ key, detailed }) => `${detailed ? '+' : '-'}${key}`, ...(endsChain ? ENDS_CHAIN : {}) },
    watch,
  );
  return loader;
}

/** Primes a record read elsewhere (a list, say); a detailed record also answers plain loads. */
function primeDetail<V>(loader: DataLoader<DetailKey, V, string>, key: string, value: V, detailed: boolean): void {
  loader.prime({ key, detailed: false }, value);
  if (detailed) loader.prime({ key, detailed: true }, value);
}

/**
 * A record found by its id or by a second key (a user token by username, a user extra by its
 * parent), plain or detailed: a read either way answers later loads the other way too.
 */
export function detailLoaderPair<V>(options: {
  byId: (id: string, detailed: boolean) => Promise<V | null>;
  byKey: (key: string, detailed: boolean) => Promise<V | null>;
  idOf: (value: V) => string;
  keyOf: (value: V) => string;
  /** Watches for the two loaders. */
  watch?: { byId?: LoaderWatch; byKey?: LoaderWatch };
  /** Whether nothing more is read from the record (see `ENDS_CHAIN`). */
  endsChain?: boolean;
}) {
  const byId = detailLoader(options.byId, undefined, options.watch?.byId, options.endsChain);
  const byKey = detailLoader(
    options.byKey,
    (value, detailed) => {
      if (value) primeDetail(byId, options.idOf(value), value, detailed);
    },
    options.watch?.byKey,
    options.endsChain,
  );
  const forget = (value: V) => {
    for (const detailed of [false, true]) {
      byId.clear({ key: options.idOf(value), detailed });
      byKey.clear({ key: options.keyOf(value), detailed });
    }
  };
  return {
    byId,
    byKey,
    prime(value: V, detailed: boolean) {
      primeDetail(byId, options.idOf(value), value, detailed);
      primeDetail(byKey, options.keyOf(value), value, detailed);
    },
    forget,
    /** A record as this request wrote it: later reads see it, and nothing older (a write answers the plain view). */
    replace(value: V) {
      forget(value);
      primeDetail(byId, options.idOf(value), value, false);
      primeDetail(byKey, options.keyOf(value), value, false);
    },
  };
}
