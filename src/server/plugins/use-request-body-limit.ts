import { createGraphQLError, type Plugin } from 'graphql-yoga';

export interface RequestBodyLimitOptions {
  /** The largest request body read, in bytes (`MAX_REQUEST_BYTES`). */
  maxRequestBytes: number;
}

function tooLarge(limit: number) {
  return createGraphQLError(`The request body is larger than the ${limit} bytes one request may send (MAX_REQUEST_BYTES).`, {
    extensions: { code: 'REQUEST_TOO_LARGE', limit, http: { status: 413 } },
  });
}

/**
 * How much past the limit a refused body is still read, and dropped: a client that sends its whole
 * body before it reads the answer would otherwise meet a connection that no longer reads (a reset)
 * instead of the 413. A larger body is cut off where this runs out.
 */
export const REFUSED_BODY_READ_BYTES = 16 * 1024 ** 2;

/**
 * A body above the limit is refused with 413 REQUEST_TOO_LARGE and never parsed. It is read to its
 * end first, the part past the limit dropped as it comes, so that the refusal reaches a client
 * still sending and the connection stays usable; unless more than `REFUSED_BODY_READ_BYTES` past the
 * limit comes (or its `Content-Length` says it will), which is refused without waiting for it. A
 * body within its `Content-Length` is left to Node to hold to that length. Only the request handed
 * to the body parser is wrapped; the request itself (and what other plugins keep about it) stays as it came.
 */
export function useRequestBodyLimit(options: RequestBodyLimitOptions): Plugin {
  const limit = options.maxRequestBytes;
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      // A malformed length is Yoga's to refuse (400), after this.
      const declaredBytes = declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined;
      if (declaredBytes !== undefined && declaredBytes <= limit) return;
      if (declaredBytes !== undefined && (declaredBytes > limit + REFUSED_BODY_READ_BYTES || !requestParser)) throw tooLarge(limit);
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((incoming) => {
        const body = incoming.body;
        if (!body) return parse(incoming);
        let bytesRead = 0;
        // As Yoga's own body limit does: the native TransformStream for a native body, else the ponyfill's.
        const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
        const counted = body.pipeThrough(
          new Transform<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              bytesRead += chunk.byteLength;
              if (bytesRead <= limit) controller.enqueue(chunk);
              // Erroring stops the reading: only once reading on is not worth it.
              else if (bytesRead > limit + REFUSED_BODY_READ_BYTES) controller.error(tooLarge(limit));
            },
            flush(controller) {
              if (bytesRead > limit) controller.error(tooLarge(limit));
            },
          }),
        );
        const limited = new fetchAPI.Request(incoming.url, {
          method: incoming.method,
          headers: incoming.headers,
          signal: incoming.signal,
          body: counted,
          // @ts-expect-error Node's fetch needs it for a streamed body; the DOM types lack it.
          duplex: 'half',
        });
        return parse(limited);
      });
    },
  };
}
