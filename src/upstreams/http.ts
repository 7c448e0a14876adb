import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { UpstreamAttemptEnd, UpstreamHealth, UpstreamObserver } from './observer.ts';
import { LatencyEstimate } from './latency.ts';
import { CallPolicy, retryAfterSeconds, type CallPolicySettings, type UpstreamTimeouts } from './policy.ts';

export type UpstreamName = 'gate' | 'edge' | 'switch';

/** Stable codes: the server turns them into `extensions.code` of GraphQL errors. */
export type UpstreamErrorCode =
  | 'UPSTREAM_UNAUTHENTICATED'
  | 'UPSTREAM_FORBIDDEN'
  | 'UPSTREAM_NOT_FOUND'
  | 'UPSTREAM_BAD_REQUEST'
  | 'UPSTREAM_CONFLICT'
  | 'UPSTREAM_ERROR'
  | 'UPSTREAM_RATE_LIMITED'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_CIRCUIT_OPEN'
  | 'UPSTREAM_OVERLOADED'
  | 'UPSTREAM_BAD_RESPONSE'
  | 'UPSTREAM_MISCONFIGURED'
  | 'UPSTREAM_RESPONSE_TOO_LARGE'
  | 'UPSTREAM_LIST_TOO_LONG'
  | 'UPSTREAM_SEARCH_TOO_BROAD';

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  /**
   * A write reached the upstream but no answer came back (a reset or a timeout after sending): it
   * may or may not have landed, so only reading back can tell.
   */
  readonly answerLost: boolean;
  /** When the upstream said to ask again (`Retry-After`), in seconds. */
  readonly retryAfterSeconds: number | undefined;

  readonly upstream: UpstreamName;
  readonly code: UpstreamErrorCode;
  readonly status?: number;
  constructor(
    upstream: UpstreamName,
    code: UpstreamErrorCode,
    message: string,
    status?: number,
    options?: { cause?: unknown; answerLost?: boolean; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.upstream = upstream;
    this.code = code;
    this.status = status;
    this.answerLost = options?.answerLost ?? false;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

const codeByStatus: Record<number, UpstreamErrorCode> = {
  400: 'UPSTREAM_BAD_REQUEST',
  401: 'UPSTREAM_UNAUTHENTICATED',
  403: 'UPSTREAM_FORBIDDEN',
  404: 'UPSTREAM_NOT_FOUND',
  409: 'UPSTREAM_CONFLICT',
  422: 'UPSTREAM_BAD_REQUEST',
  429: 'UPSTREAM_RATE_LIMITED',
};

const codeForStatus = (status: number): UpstreamErrorCode => codeByStatus[status] ?? 'UPSTREAM_ERROR';

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
   * upstream itself, never joining a read that began before it.
   */
  fresh?: boolean;
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
}

/** A read in flight that identical reads may share, until a write to the upstream is sent or answered. */
interface SharedRead {
  reply: Promise<UpstreamReply>;
  /** The writes sent and answered when it started: a read begun before a write may not show it. */
  writes: number;
  deadline: number;
}

/**
 * One request's handler: it gathers the body chunk by chunk and settles once. A class, not
 * closures, since it is made for every upstream call.
 */
class Exchange implements Dispatcher.DispatchHandler {
  timer: NodeJS.Timeout | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #done = false;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  readonly #chunks: Buffer[] = [];
  #size = 0;

  readonly upstream: UpstreamName;
  readonly route: string;
  readonly url: string;
  readonly writes: boolean;
  readonly maxBytes: number;
  readonly resolve: (reply: UpstreamReply) => void;
  readonly reject: (error: Error) => void;
  constructor(
    upstream: UpstreamName,
    route: string,
    /** The absolute URL requested. */
    url: string,
    /** Whether the request may change something upstream (all but GET): then a lost answer leaves its outcome unknown. */
    writes: boolean,
    maxBytes: number,
    resolve: (reply: UpstreamReply) => void,
    reject: (error: Error) => void,
  ) {
    this.upstream = upstream;
    this.route = route;
    this.url = url;
    this.writes = writes;
    this.maxBytes = maxBytes;
    this.resolve = resolve;
    this.reject = reject;
  }

  /** Ends the exchange with an error, aborting the request; one still waiting for a connection is aborted as it starts. */
  stop(error: Error): void {
    this.#controller?.abort(error);
    this.#finish(error);
  }

  #finish(error?: Error): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.timer);
    if (error instanceof UpstreamError) return this.reject(error);
    if (error) return this.reject(this.#transportError(error));
    const chunks = this.#chunks;
    const text = chunks.length === 0 ? '' : chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks, this.#size).toString();
    const status = this.#status;
    let body: unknown;
    try {
      body = jsonBody(this.upstream, text, status);
    } catch (error) {
      return this.reject(error as UpstreamError);
    }
    this.resolve({ status, headers: this.#headers, body, url: this.url });
  }

  /**
   * No answer: no connection, or none in time (`UPSTREAM_TIMEOUT`). A request already sent may have
   * landed: a write's outcome is then unknown.
   */
  noAnswer(code: 'UPSTREAM_UNREACHABLE' | 'UPSTREAM_TIMEOUT', message: string, cause?: Error): UpstreamError {
    return new UpstreamError(this.upstream, code, message, undefined, { cause, answerLost: this.writes && this.#controller !== undefined });
  }

  /** undici's own timeouts (headers, body silence) are timeouts; one while connecting means no connection. */
  #transportError(error: Error): UpstreamError {
    const code = (error as { code?: string }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return this.noAnswer('UPSTREAM_TIMEOUT', `${this.upstream} went silent ${code === 'UND_ERR_HEADERS_TIMEOUT' ? 'before its headers' : 'in the middle of its body'} on ${this.route}`, error);
    }
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return this.noAnswer('UPSTREAM_UNREACHABLE', `${this.upstream} could not be connected to in time`, error);
    return this.noAnswer('UPSTREAM_UNREACHABLE', `${this.upstream} could not be reached`, error);
  }

  #tooLarge(): UpstreamError {
    const { upstream, route, maxBytes } = this;
    const message = `${upstream} answered ${route} with more than ${maxBytes} bytes (UPSTREAM_MAX_RESPONSE_BYTES)`;
    return new UpstreamError(upstream, 'UPSTREAM_RESPONSE_TOO_LARGE', message, this.#status);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#done) controller.abort(new Error('the call ended before it was sent'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.#status = status;
    this.#headers = headers;
    if (Number(headers['content-length']) > this.maxBytes) this.stop(this.#tooLarge());
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#size > this.maxBytes) this.stop(this.#tooLarge());
    else this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.#finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#finish(error);
  }
}

/** A reply's body as JSON; a 4xx or 5xx body that is not JSON is no body (its status says enough). */
function jsonBody(upstream: UpstreamName, text: string, status: number): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    if (status >= 400) return undefined;
    throw new UpstreamError(upstream, 'UPSTREAM_BAD_RESPONSE', `${upstream} sent a body that is not JSON`, status, { cause: error });
  }
}

function expire(exchange: Exchange, timeoutMs: number, method: string): void {
  exchange.stop(exchange.noAnswer('UPSTREAM_TIMEOUT', `${exchange.upstream} did not answer ${method} ${exchange.route} within ${timeoutMs} ms`));
}

/** What the shared layer needs to know of an upstream besides where it is. */
export interface UpstreamProtocol {
  /**
   * A call that answers 2xx exactly when the base URL is right: a 404 from elsewhere is only
   * believed ("no such record") once this, or any other call, has succeeded.
   */
  baseProbe: UpstreamCall;
  refusal?: RefusalReader;
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
 * One long-lived keep-alive pool per upstream. Knows HTTP, JSON and the request id; knows nothing
 * of any upstream's endpoints or of GraphQL.
 */
export class UpstreamHttp {
  readonly #pool: Pool;
  readonly #origin: string;
  /** The base URL's path, the API prefix (`/api/v1`), without a trailing slash. */
  readonly basePath: string;
  readonly #headers: Record<string, string>;
  readonly #callTimeoutMs: number;
  readonly #policy: CallPolicy;
  readonly #maxResponseBytes: number;
  readonly #configuredBy: string;
  readonly #protocol: UpstreamProtocol;
  /** Set by the first 2xx: from then on the base URL is known to be right. */
  #baseConfirmed = false;
  readonly #shareReads: boolean;
  /** Reads in flight, by the path and query they ask for. */
  readonly #readsInFlight = new Map<string, SharedRead>();
  /** Writes sent plus writes answered (or failed): each one ends the sharing of the reads in flight. */
  #writeEvents = 0;
  #probing: Promise<boolean> | undefined;
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
    this.#callTimeoutMs = endpoint.timeouts.callMs;
    this.#policy = new CallPolicy(upstream, endpoint.policy, observer);
    this.#maxResponseBytes = endpoint.maxResponseBytes;
    this.#configuredBy = endpoint.configuredBy ?? `the ${upstream} base URL`;
    this.#protocol = protocol;
    this.#shareReads = endpoint.shareReads ?? true;
    const { connectMs, headersMs, bodyMs } = endpoint.timeouts;
    this.#pool = new Pool(url.origin, {
      connections: endpoint.connections,
      keepAliveTimeout: 30_000,
      connect: { timeout: connectMs },
      headersTimeout: headersMs,
      bodyTimeout: bodyMs,
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
   * One call under the upstream policy (see `CallPolicy`): admitted or failed at once, settled,
   * and retried as it says. One `then` per attempt and nothing else held while it is in flight:
   * a query's 250 calls are all in flight at once, and what each holds meanwhile is what the
   * garbage collector pays for. Nothing is made for the observer before the attempt ends, but
   * a span's start.
   */
  request(call: UpstreamCall, scope: CallScope): Promise<UpstreamReply> {
    const method = call.method ?? 'GET';
    const path = this.#pathOf(call);
    if (method !== 'GET') return this.#write(call, path, scope);
    if (!this.#shareReads || scope.fresh) return this.#try(call, path, scope, 1);
    return this.#sharedRead(call, path, scope);
  }

  /**
   * A read that identical reads in flight at once, from any GraphQL request, share (as Apollo
   * Router's subgraph deduplication does): the same path and query with the same credentials
   * answer the same, and each request shapes and filters the reply for itself. Only the first
   * reader's call goes out (its request id, its retries); the others wait for its reply, each no
   * longer than its own deadline. A reader whose deadline outlasts a shared call that timed out
   * asks again on its own. A read begun before a write to the upstream was sent or answered is
   * not shared past it, so that reading back what a request wrote never sees the state before.
   */
  #sharedRead(call: UpstreamCall, path: string, scope: CallScope): Promise<UpstreamReply> {
    const shared = this.#readsInFlight.get(path);
    if (shared && shared.writes === this.#writeEvents) {
      this.observer.readShared?.(this.upstream, call.route);
      return this.#follow(shared, call, path, scope);
    }
    const read: SharedRead = { reply: this.#try(call, path, scope, 1), writes: this.#writeEvents, deadline: scope.deadline };
    this.#readsInFlight.set(path, read);
    const done = () => {
      if (this.#readsInFlight.get(path) === read) this.#readsInFlight.delete(path);
    };
    read.reply.then(done, done);
    return read.reply;
  }

  #follow(shared: SharedRead, call: UpstreamCall, path: string, scope: CallScope): Promise<UpstreamReply> {
    const outlasts = scope.deadline >= shared.deadline;
    const reply = shared.reply.catch((error: unknown) => {
      if (outlasts && error instanceof UpstreamError && error.code === 'UPSTREAM_TIMEOUT' && performance.now() < scope.deadline) {
        return this.#try(call, path, scope, 1);
      }
      throw error;
    });
    if (outlasts) return reply;
    return new Promise<UpstreamReply>((resolve, reject) => {
      const waitMs = Math.max(0, scope.deadline - performance.now());
      const timer = setTimeout(() => {
        reject(new UpstreamError(this.upstream, 'UPSTREAM_TIMEOUT', `${this.upstream} did not answer GET ${call.route} within ${Math.round(waitMs)} ms`));
      }, waitMs);
      reply.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** A write ends the sharing of every read in flight, as it is sent and as it is answered. */
  #write(call: UpstreamCall, path: string, scope: CallScope): Promise<UpstreamReply> {
    this.#writeEvents++;
    const written = this.#try(call, path, scope, 1);
    const answered = () => {
      this.#writeEvents++;
    };
    written.then(answered, answered);
    return written;
  }

  /** The path and query a call is sent to: its route expanded, or the link it follows. Worked out once per call, retries included. */
  #pathOf(call: UpstreamCall): string {
    return call.target ?? this.basePath + expandRoute(call.route, call.params) + buildQueryString(call.query);
  }

  /** One attempt at `call`, sent to `path` (its route expanded, or its link target), and the retries the policy allows. */
  #try(call: UpstreamCall, path: string, scope: CallScope, number: number): Promise<UpstreamReply> {
    const method = call.method ?? 'GET';
    const policy = this.#policy;
    const admission = policy.admit(method, call.route, scope);
    if (admission instanceof UpstreamError) return Promise.reject(admission);
    const { observer } = this;
    const watched = observer.attemptEnded !== undefined || observer.attemptStarted !== undefined;
    const started = performance.now();
    const endSpan = observer.attemptStarted?.(this.#attemptOf(call, method, scope, number));
    return this.#attempt(call, path, scope.requestId, scope.deadline - started).then(
      (reply) => {
        this.latency.observe(performance.now() - started);
        policy.settle(admission, undefined);
        if (watched) this.#ended({ status: reply.status, outcome: 'ok', durationMs: performance.now() - started }, endSpan, call, method, scope, number);
        return reply;
      },
      (error: unknown) => {
        policy.settle(admission, error);
        const failure = error instanceof UpstreamError ? error : undefined;
        if (watched) {
          const end = { status: failure?.status, outcome: failure?.code ?? 'UPSTREAM_ERROR', durationMs: performance.now() - started };
          this.#ended(end, endSpan, call, method, scope, number);
        }
        const delayMs = policy.retryDelay(method, number, error, scope);
        if (delayMs === undefined || !failure) throw error;
        observer.retrying?.({ ...this.#attemptOf(call, method, scope, number + 1), reason: failure.code, delayMs });
        return sleep(delayMs).then(() => this.#try(call, path, scope, number + 1));
      },
    );
  }

  #ended(end: UpstreamAttemptEnd, endSpan: ((end: UpstreamAttemptEnd) => void) | undefined, call: UpstreamCall, method: string, scope: CallScope, attempt: number): void {
    endSpan?.(end);
    this.observer.attemptEnded?.(this.#attemptOf(call, method, scope, attempt), end);
  }

  #attemptOf(call: UpstreamCall, method: string, scope: CallScope, attempt: number) {
    return { upstream: this.upstream, method, route: call.route, requestId: scope.requestId, attempt };
  }

  /**
   * One exchange, its answer judged: a 2xx is the reply, anything else its UpstreamError. One
   * `then` on the exchange and no async function: a query makes some 250 of these at once.
   */
  #attempt(call: UpstreamCall, path: string, requestId: string, remainingMs: number): Promise<UpstreamReply> {
    return this.#send(call, path, requestId, Math.min(this.#callTimeoutMs, remainingMs)).then((reply) => {
      if (reply.status === 404 && !this.#baseConfirmed) {
        return this.#baseIsWrong(requestId).then((baseIsWrong) => {
          if (baseIsWrong) {
            throw new UpstreamError(
              this.upstream,
              'UPSTREAM_MISCONFIGURED',
              `${this.upstream} answers 404 for ${this.#protocol.baseProbe.route} itself: ${this.#configuredBy} lacks or misnames the API prefix`,
              404,
            );
          }
          return this.#judged(call, reply);
        });
      }
      return this.#judged(call, reply);
    });
  }

  #judged(call: UpstreamCall, reply: UpstreamReply): UpstreamReply {
    const refusal = this.#protocol.refusal?.(reply.status, reply.body);
    if (refusal) throw new UpstreamError(this.upstream, refusal.code ?? codeForStatus(reply.status), refusal.message, reply.status);
    if (reply.status < 200 || reply.status >= 300) {
      throw new UpstreamError(
        this.upstream,
        codeForStatus(reply.status),
        `${this.upstream} answered ${reply.status} to ${call.method ?? 'GET'} ${call.route}`,
        reply.status,
        { retryAfterSeconds: retryAfterSeconds(reply.headers['retry-after']) },
      );
    }
    this.#baseConfirmed = true;
    return reply;
  }

  /** One exchange: the status, headers and JSON body, bounded in time (`timeoutMs`) and size as a whole. */
  #send(call: UpstreamCall, path: string, requestId: string, timeoutMs: number): Promise<UpstreamReply> {
    const method = call.method ?? 'GET';
    const headers: Record<string, string> = { ...this.#headers, 'x-request-id': requestId };
    let body: string | undefined;
    if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers['content-type'] = 'application/json';
    }
    return this.#exchange({ method, path, headers, body }, call.route, timeoutMs, this.#origin + path);
  }

  /**
   * Dispatches one request and gathers its body as it comes, without streams: the deadline ends
   * the whole exchange (undici's own timeouts fire only on silence, so a body trickled in small
   * pieces would never end), and a body past the size limit is cut off unread. It settles with
   * the body parsed, as the exchange ends.
   */
  #exchange(options: Dispatcher.DispatchOptions, route: string, timeoutMs: number, url: string): Promise<UpstreamReply> {
    return new Promise<UpstreamReply>((resolve, reject) => {
      const exchange = new Exchange(this.upstream, route, url, options.method !== 'GET', this.#maxResponseBytes, resolve, reject);
      exchange.timer = setTimeout(expire, timeoutMs, exchange, Math.round(timeoutMs), options.method);
      this.#pool.dispatch(options, exchange);
    });
  }

  /** Asks the base probe whether the base URL itself is wrong; concurrent 404s share one probe. */
  #baseIsWrong(requestId: string): Promise<boolean> {
    const probe = this.#protocol.baseProbe;
    this.#probing ??= this.#send(probe, this.#pathOf(probe), requestId, this.#callTimeoutMs)
      .then((reply) => {
        if (reply.status >= 200 && reply.status < 300) this.#baseConfirmed = true;
        return reply.status === 404;
      })
      .catch(() => false)
      .finally(() => {
        this.#probing = undefined;
      });
    return this.#probing;
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

/** Lookups by id answer 404 for a missing record: that is an absent value, not a failure. */
export async function nullWhenNotFound<T>(lookup: Promise<T>): Promise<T | null> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof UpstreamError && error.code === 'UPSTREAM_NOT_FOUND') return null;
    throw error;
  }
}
