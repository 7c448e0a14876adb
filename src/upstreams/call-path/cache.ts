import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { ReadCacheStore } from '../../state/read-cache.ts';
import { writeFault, type UpstreamError, type UpstreamName } from '../errors.ts';
import type { CallScope, UpstreamReply } from '../http.ts';
import type { UpstreamObserver } from '../observer.ts';
import { answeredWithoutCall, type CallDispatch, type CallInterceptor, type CallOptions, type ReplyHandler } from './call.ts';

/**
 * What the cache must know of one upstream's routes: which collection of records each read
 * belongs to, which collections each write may change, and which keys hold secrets.
 */
export interface CachePlan {
  /** The collection a read of this route template belongs to; undefined: such reads are never cached. */
  collectionOf(route: string): string | undefined;
  /** The collections a write to this route template may change (every one, for a route the plan does not know). */
  changedBy(route: string): readonly string[];
  /** Keys whose values are secrets, wherever they are in a body: stored as null. */
  readonly secretKeys: ReadonlySet<string>;
  /**
   * Collections whose stored form lacks a secret the gateway serves (gate's AAA token string): a
   * request that may show it (`CacheUse.secrets`) reads them upstream.
   */
  readonly withholding: ReadonlySet<string>;
}

/** A collection's routes (templates, as the client calls them) and the collections a write to them may change. */
export interface CollectionRoutes {
  routes: readonly string[];
  /** Itself and whatever a write may change besides (a user deleted takes its user extra with it). */
  writesChange: readonly string[];
}

export function cachePlan(options: { collections: Record<string, CollectionRoutes>; secretKeys: readonly string[]; withholding?: readonly string[] }): CachePlan {
  const collectionByRoute = new Map<string, string>();
  const changedByRoute = new Map<string, readonly string[]>();
  for (const [collection, { routes, writesChange }] of Object.entries(options.collections)) {
    for (const route of routes) {
      collectionByRoute.set(route, collection);
      changedByRoute.set(route, writesChange);
    }
  }
  const every = Object.keys(options.collections);
  return {
    collectionOf: (route) => collectionByRoute.get(route),
    changedBy: (route) => changedByRoute.get(route) ?? every,
    secretKeys: new Set(options.secretKeys),
    withholding: new Set(options.withholding ?? []),
  };
}

/**
 * How one GraphQL request's reads meet the cache, settled once its operation is known (before any
 * resolver runs): see `useReadCache`.
 */
export interface CacheUse {
  /** None of its reads comes from the cache: a mutation's checks and answers are read anew. */
  bypass: boolean;
  /** It may show secrets the cache withholds (`CachePlan.withholding`): reads of those go upstream. */
  secrets: boolean;
  /** Told of each of its reads the cache answered (admission gives back what the read was estimated at). */
  onHit?: (() => void) | undefined;
}

export interface CacheSettings {
  upstream: UpstreamName;
  store: ReadCacheStore;
  plan: CachePlan;
  /** How long an entry answers after its read began; past it, the read goes upstream again. */
  ttlMs: number;
  /** The clock entries are aged by (epoch ms): the same in every process, and injected in tests. */
  now: () => number;
  /** Where the pool sends its requests (`http://host:port`): a reply's URL is this and the path. */
  origin: string;
  /** The upstream's base URL: keys are kept apart per upstream instance on one Redis. */
  baseUrl: string;
  /** How long after sending a write whose answer was lost it may still land (`WRITE_SETTLE_MS`). */
  settleMs: number;
  observer: UpstreamObserver;
}

/**
 * An entry keeps past its TTL (by the clock) for at most this long in the store, so that a store
 * which outlives a clock's jump still lets go of it: the clock in the entry, not the store's
 * expiry, decides whether it answers.
 */
const KEEP_PAST_TTL_MS = 60_000;

/**
 * The cache of upstream reads: a GET answered 2xx (and parsed, and judged by `reply` below) is
 * stored, secrets replaced by null, and answers the same GET again until its TTL has passed by
 * the clock, or until a write has moved its collection's generation on. Failures are never
 * stored. The cache sits below `sharedReads`: identical reads in flight share one lookup, and what
 * a miss stores is always the answer of a call that began after its lookup, never one it joined.
 *
 * Writes move the generations of every collection they may change on twice: before they are sent
 * (what was stored before answers no more: the write may land before its answer comes, and a read
 * under way cannot store what it read), and once they are answered or given up (an entry stored
 * while the write was on its way answers no more), and only then is the write's answer handed up. A write whose answer was lost, which may still land later, moves them on once
 * more when it would have landed by (`settleMs`).
 *
 * The cache costs nothing when it cannot answer: a lookup that fails (its store is down, slow, or
 * switched off by its breaker) sends the read upstream, and a store that fails is forgotten.
 */
export function cache(settings: CacheSettings): CallInterceptor {
  const keys = new CacheKeys(settings.upstream, settings.baseUrl);
  return (dispatch) => (options, handler) => {
    if (options.method !== 'GET') return invalidating(settings, keys, dispatch, options, handler);
    const collection = settings.plan.collectionOf(options.route);
    if (collection === undefined || skipsCache(options.scope, settings.plan, collection)) return dispatch(options, handler);
    void lookUp(settings, keys, collection, dispatch, options, handler);
    return true;
  };
}

function skipsCache({ fresh, cache }: CallScope, plan: CachePlan, collection: string): boolean {
  // A scope that says nothing of the cache (a call outside any GraphQL request) may want any secret.
  return fresh === true || cache?.bypass === true || ((cache?.secrets ?? true) && plan.withholding.has(collection));
}

/** The keys of one upstream instance's entries and generations. */
class CacheKeys {
  readonly #prefix: string;
  constructor(upstream: UpstreamName, baseUrl: string) {
    this.#prefix = `cache:${upstream}:${digest(baseUrl).slice(0, 16)}:`;
  }

  generation(collection: string): string {
    return `${this.#prefix}generation:${collection}`;
  }

  /** A path holds what clients asked for (usernames): only its digest names the entry. */
  entry(path: string): string {
    return `${this.#prefix}entry:${digest(path)}`;
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

/** What an entry holds: when its read began, and what of the reply is read (status, `Link`, body). */
interface Entry {
  at: number;
  status: number;
  link?: string | string[] | undefined;
  body: unknown;
}

async function lookUp(settings: CacheSettings, keys: CacheKeys, collection: string, dispatch: CallDispatch, options: CallOptions, handler: ReplyHandler): Promise<void> {
  const { upstream, observer } = settings;
  const generationKey = keys.generation(collection);
  const entryKey = keys.entry(options.path);
  const startedAt = settings.now();
  let found: { generation: number; entry: string | undefined };
  try {
    found = await settings.store.lookup(generationKey, entryKey);
  } catch {
    dispatch(options, handler);
    return;
  }
  const entry = found.entry === undefined ? undefined : entryOf(found.entry);
  if (entry && startedAt - entry.at < settings.ttlMs) {
    observer.cacheHit?.(upstream, (found.entry as string).length);
    options.scope.cache?.onHit?.();
    const headers = entry.link === undefined ? {} : { link: entry.link };
    handler.onReply(answeredWithoutCall, { status: entry.status, headers, body: entry.body, url: settings.origin + options.path });
    return;
  }
  observer.cacheMiss?.(upstream);
  dispatch(options, new StoringReply(settings, { generationKey, generation: found.generation, entryKey, at: startedAt }, handler));
}

/** An entry as stored; one that cannot be read (written by another version, say) is no entry. */
function entryOf(text: string): Entry | undefined {
  try {
    const entry = JSON.parse(text) as Partial<Entry>;
    return typeof entry.at === 'number' && typeof entry.status === 'number' ? (entry as Entry) : undefined;
  } catch {
    return undefined;
  }
}

/** A miss's call: its 2xx reply is stored (secrets as null) under the generation its lookup saw, then handed up. */
class StoringReply implements ReplyHandler {
  readonly settings: CacheSettings;
  readonly read: { generationKey: string; generation: number; entryKey: string; at: number };
  readonly handler: ReplyHandler;
  constructor(settings: CacheSettings, read: StoringReply['read'], handler: ReplyHandler) {
    this.settings = settings;
    this.read = read;
    this.handler = handler;
  }

  onRequestStart(): void {}

  onReply(controller: Dispatcher.DispatchController, reply: UpstreamReply): void {
    const { settings, read } = this;
    const secrets = settings.plan.secretKeys;
    const stored: Entry = { at: read.at, status: reply.status, link: reply.headers.link, body: reply.body };
    const entry = JSON.stringify(stored, (key, value: unknown) => (value != null && secrets.has(key) ? null : value));
    settings.store.store(read.generationKey, read.generation, read.entryKey, entry, settings.ttlMs + KEEP_PAST_TTL_MS).then(
      () => settings.observer.cacheStored?.(settings.upstream, entry.length),
      () => {},
    );
    this.handler.onReply(controller, reply);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: UpstreamError): void {
    this.handler.onResponseError(controller, error);
  }
}

/** A write, between the two moves of its collections' generations. */
function invalidating(settings: CacheSettings, keys: CacheKeys, dispatch: CallDispatch, options: CallOptions, handler: ReplyHandler): boolean {
  const generationKeys = settings.plan.changedBy(options.route).map((collection) => keys.generation(collection));
  void invalidate(settings, generationKeys).then(() => dispatch(options, new InvalidatingWrite(settings, generationKeys, handler)));
  return true;
}

/** Moves the generations on; a store that cannot owes it (see the store) and the write goes on regardless. */
async function invalidate(settings: CacheSettings, generationKeys: readonly string[]): Promise<void> {
  try {
    await settings.store.bump(generationKeys);
    settings.observer.cacheInvalidated?.(settings.upstream, generationKeys.length);
  } catch {
    // The store logs its own trouble; a write is never held up by the cache.
  }
}

class InvalidatingWrite implements ReplyHandler {
  readonly settings: CacheSettings;
  readonly generationKeys: readonly string[];
  readonly handler: ReplyHandler;
  constructor(settings: CacheSettings, generationKeys: readonly string[], handler: ReplyHandler) {
    this.settings = settings;
    this.generationKeys = generationKeys;
    this.handler = handler;
  }

  onRequestStart(): void {}

  onReply(controller: Dispatcher.DispatchController, reply: UpstreamReply): void {
    void invalidate(this.settings, this.generationKeys).then(() => this.handler.onReply(controller, reply));
  }

  onResponseError(controller: Dispatcher.DispatchController, error: UpstreamError): void {
    const { settings, generationKeys } = this;
    if (writeFault(error) === 'unanswered') setTimeout(() => void invalidate(settings, generationKeys), settings.settleMs).unref();
    void invalidate(settings, generationKeys).then(() => this.handler.onResponseError(controller, error));
  }
}
