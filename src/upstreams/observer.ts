import type { UpstreamErrorCode, UpstreamName } from './http.ts';

/** One attempt of one upstream call, as it starts. */
export interface UpstreamAttempt {
  upstream: UpstreamName;
  method: string;
  /** The route template (`/user/username/{username}/`), never the path itself. */
  route: string;
  requestId: string;
  /** 1 for the first try, 2 for the first retry, … */
  attempt: number;
}

/** How an attempt ended. */
export interface UpstreamAttemptEnd {
  /** The upstream's HTTP status; undefined when no answer came (no connection, a timeout, a fast failure). */
  status: number | undefined;
  /** `ok`, or the code of the error it ended with. */
  outcome: 'ok' | UpstreamErrorCode;
  durationMs: number;
}

/** A retry about to wait. */
export interface UpstreamRetry extends UpstreamAttempt {
  /** Why: the code of the failed attempt. */
  reason: UpstreamErrorCode;
  delayMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Where an upstream's breaker and bulkhead stand: read when a scrape or `/readyz` asks. */
export interface UpstreamHealth {
  upstream: UpstreamName;
  breaker: BreakerState;
  /** Calls under way, and calls waiting for a slot in the bulkhead. */
  inFlight: number;
  queued: number;
}

/** A payload that differs from what the gateway reads, without failing it: an extra key, an absent optional one. */
export interface PayloadDrift {
  upstream: UpstreamName;
  /** What was read: the route template, or what the payload is (`user list`). */
  route: string;
  /** Dotted path of the key inside the payload, `[]` for the items of a list (`results[].profile.timezone`). */
  field: string;
  kind: 'unexpected' | 'missing';
}

/**
 * What the upstream layer tells whoever watches it (logs, metrics, traces). Every hook is
 * optional and must not throw. `attemptEnded` is for what only counts and logs; `attemptStarted`
 * (which answers the function that ends the attempt) for what must open something as the attempt
 * starts, a span: it costs every call an allocation held for as long as the call lasts.
 */
export interface UpstreamObserver {
  attemptStarted?(attempt: UpstreamAttempt): (end: UpstreamAttemptEnd) => void;
  attemptEnded?(attempt: UpstreamAttempt, end: UpstreamAttemptEnd): void;
  retrying?(retry: UpstreamRetry): void;
  breakerChanged?(upstream: UpstreamName, state: BreakerState): void;
  payloadDrift?(drift: PayloadDrift): void;
  /** A read was answered by an identical one in flight for another request, instead of a call of its own. */
  readShared?(upstream: UpstreamName, route: string): void;
  /** A read was answered by the cache (`bytes`: the entry's size), instead of a call. */
  cacheHit?(upstream: UpstreamName, bytes: number): void;
  /** A read the cache could have answered went upstream: nothing stored, or stored before a write or past its TTL. */
  cacheMiss?(upstream: UpstreamName): void;
  /** A read's reply was stored in the cache (`bytes`: the entry's size). */
  cacheStored?(upstream: UpstreamName, bytes: number): void;
  /** A write moved the generations of `collections` of the upstream's records on: their entries answer no more. */
  cacheInvalidated?(upstream: UpstreamName, collections: number): void;
  /** A DataLoader batch went out with `size` keys (`loader` names it: `gate.userById`). */
  loaderBatch?(loader: string, size: number): void;
}
