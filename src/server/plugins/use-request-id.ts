import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { forEachResult } from './use-incremental-delivery.ts';

export interface RequestIdOptions {
  /** The header read from the client, sent to every upstream and echoed on the response. */
  header?: string;
}

/** What a client may pass on: no spaces or control characters that could split headers downstream. */
const acceptableId = /^[\w.:@/+=-]{1,128}$/;

const requestIds = new WeakMap<Request, string>();

/** The id a request goes by: the client's own (the header's value) when acceptable, else a fresh UUID. */
export function requestIdFrom(incoming: string | null | undefined): string {
  return incoming && acceptableId.test(incoming) ? incoming : randomUUID();
}

/** The id of an incoming request, as settled by the plugin (a fresh one when none came). */
export function requestIdOf(request: Request): string {
  return requestIds.get(request) ?? randomUUID();
}

interface ResultError {
  message: string;
  extensions?: Record<string, unknown>;
}

interface ResultWithErrors {
  errors?: readonly (GraphQLError | ResultError)[];
}

/**
 * The error with `requestId` among its extensions: a copy, since one error may be answered to many
 * requests (graphql-js's validation errors are cached per document). Everything else stays as it
 * was, `originalError` included, so that the HTTP status Yoga derives from the errors is the same.
 */
function withRequestId(error: GraphQLError | ResultError, requestId: string): GraphQLError | ResultError {
  // Yoga hands on GraphQLErrors only; anything else is copied as the plain object it is.
  if (!(error instanceof GraphQLError)) return { ...error, extensions: { ...error.extensions, requestId } };
  if (error.extensions['requestId'] === requestId) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, requestId },
  });
}

/** An answer some plugin wrote itself (401, 429, 503), with `requestId` added to each of its errors; undefined if it has none. */
async function answerWithRequestId(response: Response, requestId: string, fetchAPI: { Response: typeof Response }): Promise<Response | undefined> {
  if (response.status < 400 || !response.headers.get('content-type')?.includes('json') || response.bodyUsed) return undefined;
  const text = await response.clone().text();
  let body: { errors?: GraphQLFormattedError[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return undefined;
  }
  if (!Array.isArray(body.errors)) return undefined;
  body.errors = body.errors.map((error) => ({ ...error, extensions: { ...error.extensions, requestId } }));
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return new fetchAPI.Response(JSON.stringify(body), { status: response.status, statusText: response.statusText, headers });
}

/**
 * Gives every request an id: the client's `x-request-id` when usable, else a new UUID. It goes to
 * every upstream call, back on the response, and into `extensions.requestId` of every GraphQL error
 * answered: those of execution, those before it (parsing, validation, limits), and those a plugin
 * answers by itself (authentication, rate limit). (It is not carried in an AsyncLocalStorage: on
 * Node 20 that puts a hook on every promise of every request, some 15% of a nested query's CPU.)
 */
export function useRequestId(options: RequestIdOptions = {}): Plugin {
  const header = options.header ?? 'x-request-id';
  /** Requests whose result went through Yoga's result processing: their errors have the id already. */
  const processed = new WeakSet<Request>();
  return {
    onRequest({ request }) {
      requestIds.set(request, requestIdFrom(request.headers.get(header)));
    },
    onResultProcess(processing) {
      const { request } = processing;
      processed.add(request);
      const requestId = requestIds.get(request);
      if (!requestId) return;
      forEachResult(processing, (result) => {
        const each = result as ResultWithErrors;
        if (each.errors?.length) each.errors = each.errors.map((error) => withRequestId(error, requestId));
      });
    },
    async onResponse({ request, response, setResponse, fetchAPI }) {
      const id = requestIds.get(request);
      if (!id) return;
      const answered = processed.has(request) ? undefined : await answerWithRequestId(response, id, fetchAPI);
      if (answered) setResponse(answered);
      (answered ?? response).headers.set(header, id);
    },
  };
}
