import type { CORSOptions } from 'graphql-yoga';
import { IDEMPOTENT_REPLAYED_HEADER } from './plugins/use-idempotent-replay.ts';

/** The origins whose pages may call the gateway (`CORS_ORIGINS`): those listed, or any (`*`). */
export type CorsOrigins = readonly string[] | '*';

/** What a page of an allowed origin may read of an answer beyond the CORS-safelisted headers. */
const EXPOSED_HEADERS = ['x-request-id', 'retry-after', IDEMPOTENT_REPLAYED_HEADER.toLowerCase()];

const allowedBy = (origins: CorsOrigins) => (origin: string) => origins === '*' || origins.includes(origin);

/**
 * The CORS headers of an answer made without Yoga (see `refuseUnread`) to a request from `origin`,
 * as Yoga grants them by `corsFor`: the origin, if allowed, and what it may read; none otherwise.
 */
export function corsHeadersFor(origins: CorsOrigins): (origin: string | undefined) => Record<string, string> {
  const allowed = allowedBy(origins);
  const none: Record<string, string> = {};
  return (origin) => (origin !== undefined && allowed(origin) ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED_HEADERS.join(', '), vary: 'Origin' } : none);
}

/**
 * Yoga's CORS options for one request: a grant only for an origin `CORS_ORIGINS` lists (or any,
 * with `*`), naming that origin alone; for any other origin, and for a preflight from it, no CORS
 * header at all, so the browser keeps the answer from the page. Credentials are never granted: the
 * gateway reads no cookie, and its credentials are headers a page sends on purpose, which a
 * cross-origin grant of them would only lend to whatever else the browser holds for this host.
 */
export function corsFor(origins: CorsOrigins): (request: Request) => CORSOptions {
  const allowed = allowedBy(origins);
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !allowed(origin)) return false;
    // One origin, so Yoga answers it as it came; methods and request headers are those the preflight asks for.
    return { origin: [origin], credentials: false, exposedHeaders: EXPOSED_HEADERS };
  };
}
