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
 * A body above the limit is refused with 413 REQUEST_TOO_LARGE before it is parsed: at once when
 * its `Content-Length` says so, else (a chunked body) as soon as the bytes read pass the limit,
 * which stops the reading. Only the request handed to the body parser is wrapped; the request
 * itself (and what other plugins keep about it) stays as it came.
 */
export function useRequestBodyLimit(options: RequestBodyLimitOptions): Plugin {
  const limit = options.maxRequestBytes;
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      // A malformed length is Yoga's to refuse (400), after this.
      if (declared !== null && /^\d+$/.test(declared)) {
        if (Number(declared) > limit) throw tooLarge(limit);
        return;
      }
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
              if (bytesRead > limit) controller.error(tooLarge(limit));
              else controller.enqueue(chunk);
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
