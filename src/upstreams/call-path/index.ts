import type { Dispatcher } from 'undici';
import { baseProbe, type BaseProbeSettings } from './base-probe.ts';
import { cache, type CacheSettings } from './cache.ts';
import type { CallDispatch } from './call.ts';
import { deadline, type DeadlineSettings } from './deadline.ts';
import { observe, type ObserveSettings } from './observe.ts';
import { policy, type PolicySettings } from './policy.ts';
import { reply, type ReplySettings } from './reply.ts';
import { sharedReads, type SharedReadsSettings } from './shared-reads.ts';

export type CallPathSettings = DeadlineSettings &
  ReplySettings &
  BaseProbeSettings &
  ObserveSettings &
  PolicySettings &
  SharedReadsSettings & {
    /** Whether identical reads in flight at once share one call; without it, that layer is left out. */
    shareReads: boolean;
    /** The cache of reads, when it is on for this upstream; without it, that layer is left out. */
    cache: CacheSettings | undefined;
  };

/**
 * `compose` types every layer as taking undici's own options and handlers; ours take a call's
 * options (`CallOptions`), and those above `reply` hand up and hear replies (`ReplyHandler`).
 */
const layer = (interceptor: (dispatch: never) => unknown) => interceptor as Dispatcher.DispatcherComposeInterceptor;

/**
 * The upstream call path: undici interceptors joined by `compose` over the upstream's pool. A call
 * goes down through them in this order, and its reply comes back up the other way:
 *
 * 1. `sharedReads`: identical reads in flight at once share one call; writes fence them.
 * 2. `cache`: a read answered from the cache skips everything below; writes invalidate it.
 * 3. `policy`: the bulkhead and the breaker admit each try, and failed reads are tried again.
 * 4. `observe`: each try told to the observer (spans, metrics, log) and the latency estimate.
 * 5. `baseProbe`: a 404 before any reply asks whether the base URL itself is wrong.
 * 6. `reply`: the body parsed as JSON and judged (status, the upstream's refusals).
 * 7. `deadline`: the exchange ended at its deadline, and its body at the size cap.
 *
 * The cache sits below shared reads, not above: a miss then stores only what a call made after its
 * lookup answered, never the answer of a call it joined that may have begun before a write.
 */
export function callPath(pool: Dispatcher, settings: CallPathSettings): CallDispatch {
  const layers = [deadline(settings), reply(settings), baseProbe(settings), observe(settings), policy(settings)].map(layer);
  if (settings.cache) layers.push(layer(cache(settings.cache)));
  if (settings.shareReads) layers.push(layer(sharedReads(settings)));
  return pool.compose(layers).dispatch;
}
