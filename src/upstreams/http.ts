import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { ReadCacheStore } from '../state/read-cache.ts';
import type { CachePlan, CacheUse } from './call-path/cache.ts';
import type { CallDispatch, CallOptions, ReplyHandler } from './call-path/call.ts';
import { callPath } from './call-path/index.ts';
import { UpstreamError, type UpstreamErrorCode, type UpstreamName } from './errors.ts';
import { LatencyEstimate } from './latency.ts';
import type { UpstreamHealth, UpstreamObserver } from './observer.ts';
import { CallPolicy, type CallPolicySettings, type UpstreamTimeouts } from './policy.ts';

export { UpstreamError, type UpstreamErrorCode, type UpstreamName } from './errors.ts';

export type QueryValue = string | number | boolean | undefined;
export type QueryParams = Record<string, QueryValue>;

export interface UpstreamCall {
  method?: Dispatcher.HttpMethod;
  /**
   * The route below the base URL, e.g. `/user/username/{username}/`. Errors name the route, never
   * the path itself (which may hold anything a client sent).
   */
  route: string;
  /** Values of the route's `{name}` segments; each becomes exactly one path segment. */
  params?: Readonly<Record<string, string | number>>;
  query?: QueryParams;
  body?: unknown;
  /** A path and query the upstream handed out (a `Link` URL), sent instead of the route's own. */
  target?: string;
}

/** The GraphQL request an upstream call is made for: its id, sent along, and when its answer is due. */
export interface CallScope {
  requestId: string;
  /** The `performance.now()` past which the request's answer is late: no call runs past it. */
  deadline: number;
  /**
   * Reads that a write is computed from or settled by (under a lock, a read-back): each goes
   * upstream itself, never joining a read that began before it, nor answered by the cache.
   */
  fresh?: boolean;
  /** How the request's reads meet the cache (settled once its operation is known); without it, as a request that may show any secret. */
  cache?: CacheUse;
}

export interface UpstreamReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** The absolute URL that was requested: what relative links in the reply are resolved against. */
  url: string;
}

/** How an upstream says "refused" in its body, whatever the status (switch's `success: false`). */
export type RefusalReader = (status: number, body: unknown) => { code?: UpstreamErrorCode; message: string } | undefined;

export interface UpstreamEndpoint {
  /** Base URL including the API prefix, e.g. `http://127.0.0.1:9001/api/v1`. */
  baseUrl: string;
  /** Credentials and other headers sent with every call. */
  headers: Record<string, string>;
  connections: number;
  timeouts: UpstreamTimeouts;
  /** Retries, circuit breaker and bulkhead. */
  policy: CallPolicySettings;
  /** The largest body read from the upstream; a larger one is refused, unread. */
  maxResponseBytes: number;
  /** The setting that names the base URL (`GATE_URL`), for errors that blame it. */
  configuredBy?: string;
  /** Whether identical reads in flight at once share one call (`UPSTREAM_SHARE_READS`); default true. */
  shareReads?: boolean;
  /** The cache of reads (`…_CACHE_TTL_MS` above 0); without it, every read goes upstream. */
  cache?: UpstreamCacheSettings;
}

export interface UpstreamCacheSettings {
  store: ReadCacheStore;
  ttlMs: number;
  /** The clock entries are aged by (epoch ms). */
  now: () => number;
  /** How long after sending a write whose answer was lost it may still land (`WRITE_SETTLE_MS`). */
  settleMs: number;
}

/** What the shared layer needs to know of an upstream besides where it is. */
export interface UpstreamProtocol {
  /**
   * A call that answers 2xx exactly when the base URL is right: a 404 from elsewhere is only
   * believed ("no such record") once this, or any other call, has succeeded.
   */
  baseProbe: UpstreamCall;
  refusal?: RefusalReader;
  /** What a cache of its reads must know: its collections, what writes change, its secrets. Without it, nothing is cached. */
  caching?: CachePlan;
}

/**
 * Whether a value can be one path segment whatever the server does with it: after
 * percent-decoding it must not add, remove or split segments (`/`, `\`, `..`), start parameters
 * (`;`), decode again (`%`) or hold control characters.
 */
export function isAddressable(value: string): boolean {
  return value.length > 0 && value.length <= 256 && value !== '.' && value !== '..' && !/[/\\;%\u0000-\u001f\u007f]/.test(value);
}

function expandRoute(route: string, params: UpstreamCall['params']): string {
  return route.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = String(params?.[name] ?? '');
    // Inputs are checked where they enter (schema, payload validation); this only guards the invariant.
    if (!isAddressable(value)) throw new TypeError(`route ${route}: {${name}} is not addressable`);
    return encodeURIComponent(value);
  });
}

function buildQueryString(query: QueryParams | undefined): string {
  if (!query) return '';
  let search = '';
  for (const key in query) {
    const value = query[key];
    if (value === undefined) continue;
    search += `${search ? '&' : '?'}${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
  }
  return search;
}

/**
 * One long-lived keep-alive pool per upstream, and the call path over it (see `callPath`: the
 * deadline and size cap, JSON, the base probe, the policy, shared reads). Knows HTTP, JSON and
 * the request id; knows nothing of any upstream's endpoints or of GraphQL.
 */
export class UpstreamHttp {
  readonly #pool: Pool;
  readonly #dispatch: CallDispatch;
  readonly #origin: string;
  /** The base URL's path, the API prefix (`/api/v1`), without a trailing slash. */
  readonly basePath: string;
  readonly #headers: Record<string, string>;
  readonly #policy: CallPolicy;
  /** How long a call is expected to take, from the attempts that got an answer. */
  readonly latency = new LatencyEstimate();

  readonly upstream: UpstreamName;
  readonly observer: UpstreamObserver;
  constructor(
    upstream: UpstreamName,
    endpoint: UpstreamEndpoint,
    protocol: UpstreamProtocol,
    /** Told of every attempt, retry and breaker change; the clients tell it of payload drift. */
    observer: UpstreamObserver = {},
  ) {
    this.upstream = upstream;
    this.observer = observer;
    const url = new URL(endpoint.baseUrl);
    this.#origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.#headers = { accept: 'application/json', ...endpoint.headers };
    this.#policy = new CallPolicy(upstream, endpoint.policy, observer);
    const { connectMs, headersMs, bodyMs } = endpoint.timeouts;
    this.#pool = new Pool(url.origin, {
      connections: endpoint.connections,
      keepAliveTimeout: 30_000,
      connect: { timeout: connectMs },
      headersTimeout: headersMs,
      bodyTimeout: bodyMs,
    });
    const probe = protocol.baseProbe;
    this.#dispatch = callPath(this.#pool, {
      upstream,
      callMs: endpoint.timeouts.callMs,
      maxResponseBytes: endpoint.maxResponseBytes,
      origin: url.origin,
      refusal: protocol.refusal,
      configuredBy: endpoint.configuredBy ?? `the ${upstream} base URL`,
      probeRoute: probe.route,
      // The probe is bounded by the call timeout alone, not by the deadline of the call that asks it.
      probe: (requestId) => this.#optionsOf(probe, { requestId, deadline: Infinity }),
      observer,
      latency: this.latency,
      policy: this.#policy,
      shareReads: endpoint.shareReads ?? true,
      cache: endpoint.cache && protocol.caching && { ...endpoint.cache, upstream, plan: protocol.caching, origin: url.origin, baseUrl: endpoint.baseUrl, observer },
    });
  }

  /**
   * A call for a URL the upstream handed out (a `Link` target), resolved against the URL that was
   * requested (RFC 3986 section 5). It always goes to the configured origin, whatever host the
   * link names: an upstream may name the host it believes it has, and credentials go nowhere else.
   */
  callForLink(link: string, requestedUrl: string, route: string): UpstreamCall {
    const resolved = new URL(link, requestedUrl);
    let path = resolved.pathname;
    if (resolved.origin !== this.#origin && !path.startsWith(`${this.basePath}/`)) {
      // The upstream names itself under another prefix: re-root the link at the route's first segment.
      const firstSegment = route.slice(0, route.indexOf('/', 1) + 1);
      const at = path.indexOf(firstSegment);
      if (at === -1) throw new UpstreamError(this.upstream, 'UPSTREAM_BAD_RESPONSE', `${this.upstream} linked outside its API from ${route}`);
      path = this.basePath + path.slice(at);
    }
    return { route, target: path + resolved.search };
  }

  /**
   * One call down the call path, settled with its reply (a 2xx) or its UpstreamError. One promise
   * and one handler a layer, and nothing else held while it is in flight: a query's 250 calls are
   * all in flight at once, and what each holds meanwhile is what the garbage collector pays for.
   */
  request(call: UpstreamCall, scope: CallScope): Promise<UpstreamReply> {
    const options = this.#optionsOf(call, scope);
    return new Promise<UpstreamReply>((resolve, reject) => {
      this.#dispatch(options, new PendingReply(resolve, reject));
    });
  }

  /** What a call is sent as: to its route expanded, or the link it follows. */
  #optionsOf(call: UpstreamCall, scope: CallScope): CallOptions {
    const path = call.target ?? this.basePath + expandRoute(call.route, call.params) + buildQueryString(call.query);
    return new OutgoingCall(call.method ?? 'GET', path, call.route, scope, this.#headers, call.body === undefined ? undefined : JSON.stringify(call.body));
  }

  /** Where the breaker and the bulkhead stand now. */
  health(): UpstreamHealth {
    const policy = this.#policy;
    return { upstream: this.upstream, breaker: policy.breakerState, inFlight: policy.inFlight, queued: policy.queued };
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/**
 * A call's options. Its headers (with the request id) are made as it is sent: a read that
 * another's call answers never is.
 */
class OutgoingCall implements CallOptions {
  attempt = 1;

  readonly method: Dispatcher.HttpMethod;
  readonly path: string;
  readonly route: string;
  readonly scope: CallScope;
  /** The upstream's own: credentials and `accept`. */
  readonly upstreamHeaders: Record<string, string>;
  readonly body: string | undefined;
  constructor(method: Dispatcher.HttpMethod, path: string, route: string, scope: CallScope, upstreamHeaders: Record<string, string>, body: string | undefined) {
    this.method = method;
    this.path = path;
    this.route = route;
    this.scope = scope;
    this.upstreamHeaders = upstreamHeaders;
    this.body = body;
  }

  get headers(): Record<string, string> {
    const headers: Record<string, string> = { ...this.upstreamHeaders, 'x-request-id': this.scope.requestId };
    if (this.body !== undefined) headers['content-type'] = 'application/json';
    return headers;
  }
}

/** The top of the call path: settles the promise `request` answered. */
class PendingReply implements ReplyHandler {
  readonly resolve: (reply: UpstreamReply) => void;
  readonly reject: (error: UpstreamError) => void;
  constructor(resolve: (reply: UpstreamReply) => void, reject: (error: UpstreamError) => void) {
    this.resolve = resolve;
    this.reject = reject;
  }

  onRequestStart(): void {}

  onReply(_controller: Dispatcher.DispatchController, reply: UpstreamReply): void {
    this.resolve(reply);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: UpstreamError): void {
    this.reject(error);
  }
}

/** Lookups by id answer 404 for a missing record: that is an absent value, not a failure. */
export async function nullWhenNotFound<T>(lookup: Promise<T>): Promise<T | null> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof UpstreamError && error.code === 'UPSTREAM_NOT_FOUND') return null;
    throw error;
  }
}
