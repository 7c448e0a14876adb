import type { Plugin } from 'graphql-yoga';
import type { SharedState } from '../../state/index.ts';
import type { AuthSettings } from '../config.ts';
import { asksForGraphiQL, callerOf } from './use-authentication.ts';

/** Who a request is counted for: a caller's key or an address, never a secret. */
export type ClientOf = (request: Request, serverContext: Record<string, unknown>) => string;

export interface RateLimitOptions {
  /** How many GraphQL requests one client may make per minute; the one past it is answered 429. */
  perMinute: number;
  /** Where the counts live: over Redis every gateway process counts a client together. */
  state: SharedState;
  /** Names the client of a request (see `clientsBy`). */
  clientOf: ClientOf;
}

/** The caller the authentication plugin settled for the request. */
export const byCaller: ClientOf = (request) => callerOf(request).key;

/**
 * The address the connection comes from, as the node adapter gives it (`serverContext.req`, the
 * IncomingMessage). Behind a proxy that is the proxy's: X-Forwarded-For is not read, since any
 * client could write it. Without a node request (`yoga.fetch`, say), the caller's key.
 */
export const byRemoteAddress: ClientOf = (request, serverContext) => {
  const req = serverContext['req'] as { socket?: { remoteAddress?: string } } | undefined;
  return req?.socket?.remoteAddress ?? callerOf(request).key;
};

/** With client authentication each caller has a budget; without it every request is `anonymous`, so the address has. */
export function clientsBy(auth: AuthSettings): ClientOf {
  return auth.mode === 'none' ? byRemoteAddress : byCaller;
}

function rateLimited(fetchAPI: { Response: typeof Response }, perMinute: number, retryAfter: number): Response {
  const body = {
    errors: [
      {
        message: `Too many requests: at most ${perMinute} a minute. Retry after ${retryAfter} s.`,
        extensions: { code: 'RATE_LIMITED', retryAfter },
      },
    ],
  };
  return new fetchAPI.Response(JSON.stringify(body), {
    status: 429,
    headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(retryAfter) },
  });
}

/**
 * Counts every GraphQL request of a client against `perMinute` (in `SharedState`, so across gateway
 * processes when they share a Redis). Its hook is `onRequestParse`: it runs once the authentication
 * plugin's `onRequest` has settled the caller (a refused credential never gets this far, nor does
 * GraphiQL's page, which Yoga serves earlier) and before the body is read or parsed. A request over
 * the limit is answered 429 with `Retry-After` (whole seconds, at least 1) and RATE_LIMITED, and is
 * never parsed or executed, so no upstream hears of it. Install it only when a limit is set.
 */
export function useRateLimit(options: RateLimitOptions): Plugin {
  const { perMinute, state, clientOf } = options;
  return {
    async onRequestParse({ request, serverContext, fetchAPI, endResponse }) {
      // GraphiQL's page is not a GraphQL request: never counted (where it is served Yoga answers it first).
      if (asksForGraphiQL(request)) return;
      const decision = await state.countRequest(clientOf(request, serverContext), { limit: perMinute });
      if (decision.allowed) return;
      endResponse(rateLimited(fetchAPI, perMinute, Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
    },
  };
}
