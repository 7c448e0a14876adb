import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { realClock, type AdmissionClock } from './admission.ts';
import type { AuthSettings } from './config.ts';
import type { KnownCallers } from './plugins/use-authentication.ts';
import { requestIdFrom } from './plugins/use-request-id.ts';

/** Who a request comes from, told before it is read; undefined: not known yet (it goes on, uncounted). */
export type IncomingClientOf = (request: IncomingMessage) => string | undefined;

const headerOf = (request: IncomingMessage, name: string) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * The client of a request as the rate limit and admission count it (see `clientsBy`): with client
 * authentication the caller its credential names, when that is known without verifying anything
 * (see `KnownCallers`); without, the address its connection comes from.
 */
export function incomingClientsBy(auth: AuthSettings, known: KnownCallers): IncomingClientOf {
  if (auth.mode === 'none') return (request) => request.socket.remoteAddress;
  return (request) => known.keyOf(headerOf(request, 'x-api-key'), headerOf(request, 'authorization'));
}

/** Requests under way per client, at most `max` each. */
export class InFlightCounts {
  readonly #max: number;
  readonly #counts = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The requests of `client` under way. */
  of(client: string): number {
    return this.#counts.get(client) ?? 0;
  }

  /** Counts one more request of `client` under way, and gives back its end; undefined (not counted) when it has `max` already. */
  enter(client: string): (() => void) | undefined {
    const count = this.of(client);
    if (count >= this.#max) return undefined;
    this.#counts.set(client, count + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = this.of(client) - 1;
      if (left === 0) this.#counts.delete(client);
      else this.#counts.set(client, left);
    };
  }
}

/** Told when a client's refusals begin, and once they have stopped for a while (with how many there were). */
export type RefusalEpisode = { client: string; started: true } | { client: string; started: false; refused: number };

/**
 * One client's refusals close together are one episode, told twice: when the first comes, and
 * once `calmMs` have passed since the last (a log line per refusal would cost more than the refusal).
 */
export class RefusalEpisodes {
  readonly #calmMs: number;
  readonly #clock: AdmissionClock;
  readonly #onEpisode: (episode: RefusalEpisode) => void;
  readonly #episodes = new Map<string, { refused: number; lastAt: number }>();

  constructor(calmMs: number, onEpisode: (episode: RefusalEpisode) => void, clock: AdmissionClock = unrefClock) {
    this.#calmMs = calmMs;
    this.#onEpisode = onEpisode;
    this.#clock = clock;
  }

  note(client: string): void {
    const now = this.#clock.now();
    const episode = this.#episodes.get(client);
    if (episode) {
      episode.refused++;
      episode.lastAt = now;
      return;
    }
    this.#episodes.set(client, { refused: 1, lastAt: now });
    this.#onEpisode({ client, started: true });
    this.#endWhenCalm(client, this.#calmMs);
  }

  /** One timer per episode, not per refusal: when it fires early (refusals came meanwhile) it is set again for the rest. */
  #endWhenCalm(client: string, afterMs: number): void {
    this.#clock.setTimeout(() => {
      const episode = this.#episodes.get(client) as { refused: number; lastAt: number };
      const calmForMs = this.#clock.now() - episode.lastAt;
      if (calmForMs < this.#calmMs) return this.#endWhenCalm(client, this.#calmMs - calmForMs);
      this.#episodes.delete(client);
      this.#onEpisode({ client, started: false, refused: episode.refused });
    }, afterMs);
  }
}

/** Timers that never keep the process alive: an episode's end is not worth waiting for at exit. */
const unrefClock: AdmissionClock = { ...realClock, setTimeout: (run, ms) => setTimeout(run, ms).unref() };

/** A client's refusals at its cap this far apart are one episode. */
const REFUSALS_CALM_MS = 5000;

/** A client at its cap has an answer coming: it may ask again in a second. */
const RETRY_AFTER_SECONDS = 1;

/** A GraphQL error answered before the request was read, as JSON has it. */
export interface UnreadError {
  message: string;
  extensions: { code: string; retryAfter: number } & Record<string, unknown>;
}

export interface UnreadRefusalOptions {
  /** Only requests to it are counted and refused: `/healthz`, `/metrics` and the rest never are. */
  graphqlEndpoint: string;
  clientOf: IncomingClientOf;
  /** The GraphQL requests one client may have under way (`CLIENT_MAX_IN_FLIGHT`). */
  maxInFlight: number;
  /** The 503 OVERLOADED admission would answer whatever the request asks (see `Admission.certainRefusal`); undefined: none. */
  overloaded?: (client: string) => UnreadError | undefined;
  /** The CORS headers an answer to a page of this origin carries (see `corsHeadersFor`). */
  corsHeadersOf: (origin: string | undefined) => Record<string, string>;
  /** Told of every refusal (metrics): cheap, never throws. */
  onRefused?: (refusal: { client: string; code: string; durationMs: number }) => void;
  /** Told when a client's refusals at its cap begin and end (the log). */
  onCapEpisode?: (episode: RefusalEpisode) => void;
}

function isGraphQLPath(url: string | undefined, endpoint: string): boolean {
  return url !== undefined && url.startsWith(endpoint) && (url.length === endpoint.length || url[endpoint.length] === '?');
}

/**
 * Refuses, from its headers alone and before Yoga sees it, a GraphQL request whose client (see
 * `incomingClientsBy`) would be refused whatever it asks: one that has `maxInFlight` requests under
 * way in this process already (429, `Retry-After`, TOO_MANY_REQUESTS_IN_FLIGHT), or one whose
 * request admission would shed while it is overloaded (503 OVERLOADED, as `useAdmission` answers).
 * The refused request's body is never read by the gateway (Node drains it once the answer has
 * gone, so that the connection stays usable), nor parsed, logged line by line or traced: a flood of
 * them costs about what the HTTP exchange does, and the event loop's turns, which every other
 * client's requests share, stay short. A request counts as under way from its arrival until its
 * answer has gone or its connection closed (an answer in parts: its last part).
 */
export function refuseUnread(handler: RequestListener, options: UnreadRefusalOptions): RequestListener {
  const counts = new InFlightCounts(options.maxInFlight);
  const capEpisodes = options.onCapEpisode && new RefusalEpisodes(REFUSALS_CALM_MS, options.onCapEpisode);
  const atCap = {
    message: `This client has ${options.maxInFlight} requests under way, the most one client may have (CLIENT_MAX_IN_FLIGHT). Retry after ${RETRY_AFTER_SECONDS} s.`,
    extensions: { code: 'TOO_MANY_REQUESTS_IN_FLIGHT', retryAfter: RETRY_AFTER_SECONDS, limit: options.maxInFlight },
  };
  const refuse = (request: IncomingMessage, response: ServerResponse, client: string, status: number, error: UnreadError) => {
    const startedAt = performance.now();
    const requestId = requestIdFrom(headerOf(request, 'x-request-id'));
    const body = JSON.stringify({ errors: [{ message: error.message, extensions: { ...error.extensions, requestId } }] });
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'retry-after': String(error.extensions.retryAfter),
      'x-request-id': requestId,
      ...options.corsHeadersOf(headerOf(request, 'origin')),
    });
    response.end(body);
    options.onRefused?.({ client, code: error.extensions.code, durationMs: performance.now() - startedAt });
  };
  return (request, response) => {
    const client = isGraphQLPath(request.url, options.graphqlEndpoint) ? options.clientOf(request) : undefined;
    if (client === undefined) return handler(request, response);
    const end = counts.enter(client);
    if (!end) {
      capEpisodes?.note(client);
      return refuse(request, response, client, 429, atCap);
    }
    response.once('close', end);
    const overloaded = options.overloaded?.(client);
    if (overloaded) return refuse(request, response, client, 503, overloaded);
    return handler(request, response);
  };
}
