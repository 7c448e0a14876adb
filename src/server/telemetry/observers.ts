import type { UpstreamAttemptEnd, UpstreamObserver } from '../../upstreams/observer.ts';

/**
 * Calls each hook of every observer in turn; a hook no observer has stays absent (the upstream
 * layer then skips it), and a single observer is handed on as it is.
 */
export function combineObservers(observers: readonly (UpstreamObserver | undefined)[]): UpstreamObserver {
  const present = observers.filter((observer): observer is UpstreamObserver => observer !== undefined);
  if (present.length === 1) return present[0] as UpstreamObserver;
  const starts = present.filter((observer) => observer.attemptStarted);
  const endings = present.filter((observer) => observer.attemptEnded);
  const retries = present.filter((observer) => observer.retrying);
  const breakers = present.filter((observer) => observer.breakerChanged);
  const drifts = present.filter((observer) => observer.payloadDrift);
  const batches = present.filter((observer) => observer.loaderBatch);
  const shares = present.filter((observer) => observer.readShared);
  const hits = present.filter((observer) => observer.cacheHit);
  const misses = present.filter((observer) => observer.cacheMiss);
  const stores = present.filter((observer) => observer.cacheStored);
  const invalidations = present.filter((observer) => observer.cacheInvalidated);
  const combined: UpstreamObserver = {};
  if (starts.length) {
    combined.attemptStarted = (attempt) => {
      const ends: ((end: UpstreamAttemptEnd) => void)[] = [];
      for (const observer of starts) ends.push(observer.attemptStarted!(attempt));
      return (end) => {
        for (const each of ends) each(end);
      };
    };
  }
  if (endings.length) combined.attemptEnded = (attempt, end) => endings.forEach((observer) => observer.attemptEnded!(attempt, end));
  if (retries.length) combined.retrying = (retry) => retries.forEach((observer) => observer.retrying!(retry));
  if (breakers.length) combined.breakerChanged = (upstream, state) => breakers.forEach((observer) => observer.breakerChanged!(upstream, state));
  if (drifts.length) combined.payloadDrift = (drift) => drifts.forEach((observer) => observer.payloadDrift!(drift));
  if (shares.length) combined.readShared = (upstream, route) => shares.forEach((observer) => observer.readShared!(upstream, route));
  if (hits.length) combined.cacheHit = (upstream, bytes) => hits.forEach((observer) => observer.cacheHit!(upstream, bytes));
  if (misses.length) combined.cacheMiss = (upstream) => misses.forEach((observer) => observer.cacheMiss!(upstream));
  if (stores.length) combined.cacheStored = (upstream, bytes) => stores.forEach((observer) => observer.cacheStored!(upstream, bytes));
  if (invalidations.length) combined.cacheInvalidated = (upstream, collections) => invalidations.forEach((observer) => observer.cacheInvalidated!(upstream, collections));
  if (batches.length) combined.loaderBatch = (loader, size) => batches.forEach((observer) => observer.loaderBatch!(loader, size));
  return combined;
}
