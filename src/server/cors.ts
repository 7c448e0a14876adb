import type { CORSOptions } from 'graphql-yoga';
import { IDEMPOTENT_REPLAYED_HEADER } from './plugins/use-idempotent-replay.ts';

/** The origins whose pages may call the gateway (`CORS_ORIGINS`): those listed, or any (`*`). */
export type CorsOrigins = readonly string[] | '*';

/** What a page of an allowed origin may read of an answer beyond the CORS-safelisted headers. */
const EXPOSED_HEADERS = ['x-request-id', 'retry-after', IDEMPOTENT_REPLAYED_HEADER.toLowerCase()];

/**
 * Yoga's CORS options for one request: a grant only for an origin `CORS_ORIGINS` lists (or any,
 * with `*`), naming that origin alone; for any other origin, and for a preflight from it, no CORS
 * header at all, so the browser keeps the answer from the page. Credentials are never granted: the
 * gateway reads no cookie, and its credentials are headers a page sends on purpose, which a
 * cross-origin grant of them would only lend to whatever else the browser holds for this host.
 */
export function corsFor(origins: CorsOrigins): (request: Request) => CORSOptions {
  const allowed = (origin: string) => origins === '*' || origins.includes(origin);
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !allowed(origin)) return false;
    // One origin, so Yoga answers it as it came; methods and request headers are those the preflight asks for.
    return { origin: [origin], credentials: false, exposedHeaders: EXPOSED_HEADERS };
  };
}
