import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

export interface RequestIdOptions {
  /** The header read from the client, sent to every upstream and echoed on the response. */
  header?: string;
}

/** What a client may pass on: no spaces or control characters that could split headers downstream. */
const acceptableId = /^[\w.:@/+=-]{1,128}$/;

const requestIds = new WeakMap<Request, string>();

/** The id of an incoming request, as settled by the plugin (a fresh one when none came). */
export function requestIdOf(request: Request): string {
  return requestIds.get(request) ?? randomUUID();
}

/** Gives every request an id: the client's `x-request-id` when usable, else a new UUID. */
export function useRequestId(options: RequestIdOptions = {}): Plugin {
  const header = options.header ?? 'x-request-id';
  return {
    onRequest({ request }) {
      const incoming = request.headers.get(header);
      requestIds.set(request, incoming && acceptableId.test(incoming) ? incoming : randomUUID());
    },
    onResponse({ request, response }) {
      const id = requestIds.get(request);
      if (id) response.headers.set(header, id);
    },
  };
}
