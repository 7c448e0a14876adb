import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** The header a GET (or a form-like POST) must carry; browsers cannot send it cross-site without a CORS preflight. */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

/**
 * Yoga's CSRF prevention: a request a browser could send cross-site without a preflight (a GET,
 * or a POST as a form or text/plain) must carry `X-GraphQL-Yoga-CSRF` (any value); JSON POSTs,
 * GraphiQL's among them, pass. A refusal is 403 CSRF_HEADER_REQUIRED.
 */
export function useCsrfPrevention(): Plugin {
  const prevention = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      try {
        return prevention.onRequestParse?.(payload);
      } catch {
        throw createGraphQLError(`This request needs the ${CSRF_HEADER} header (any value): GET requests and form posts must carry it.`, {
          extensions: { code: 'CSRF_HEADER_REQUIRED', http: { status: 403 } },
        });
      }
    },
  };
}
