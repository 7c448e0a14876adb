import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import type { CallDispatch, CallInterceptor, CallOptions, ReplyHandler } from '../../src/upstreams/call-path/call.ts';
import { deadline, type DeadlineSettings } from '../../src/upstreams/call-path/deadline.ts';
import { reply } from '../../src/upstreams/call-path/reply.ts';
import type { UpstreamError } from '../../src/upstreams/errors.ts';
import type { RefusalReader, UpstreamReply } from '../../src/upstreams/http.ts';

/** One request the server holds until the test answers it. */
export interface HeldRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The response to write to: `answer` for a whole JSON one, or piece by piece. */
  response: ServerResponse;
  answer(status: number, body?: unknown, headers?: Record<string, string>): void;
}

/**
 * A tiny HTTP server that answers nothing by itself: each request waits, in the order it came,
 * for the test to take it (`next`) and answer it. Order, never timing, decides what a test sees.
 */
export async function heldServer() {
  const arrived: HeldRequest[] = [];
  const waiters: ((request: HeldRequest) => void)[] = [];
  let taken = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const held: HeldRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
        response,
        answer: (status, answer, headers = {}) => {
          const text = answer === undefined ? '' : typeof answer === 'string' ? answer : JSON.stringify(answer);
          response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
        },
      };
      arrived.push(held);
      waiters.shift()?.(held);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Every request that arrived, answered or not, as `METHOD /path`. */
    seen: () => arrived.map(({ method, url }) => `${method} ${url}`),
    /** The oldest request not taken yet, once it has arrived. */
    next(): Promise<HeldRequest> {
      const request = arrived[taken];
      taken++;
      return request ? Promise.resolve(request) : new Promise((resolve) => waiters.push(resolve));
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const timeouts: Omit<DeadlineSettings, 'upstream'> = { callMs: 10_000, maxResponseBytes: 1_000_000 };

/** A GET of `path`, by request `r`, due in 10 s unless `overrides` say otherwise. */
export function callOptions(path: string, overrides: Partial<CallOptions> = {}): CallOptions {
  return { method: 'GET', path, headers: {}, route: path, scope: { requestId: 'r', deadline: performance.now() + 10_000 }, attempt: 1, ...overrides };
}

/**
 * `layers` (innermost first) over what makes bytes into replies (`deadline` and `reply`), over a
 * pool to `origin`: the stand every layer above `reply` is tested on.
 */
export function replyPath(origin: string, layers: CallInterceptor[], { refusal, connections = 8 }: { refusal?: RefusalReader; connections?: number } = {}) {
  const pool = new Pool(origin, { connections });
  const composed = pool.compose([deadline({ upstream: 'gate', ...timeouts }), reply({ upstream: 'gate', origin, refusal }), ...layers] as Dispatcher.DispatcherComposeInterceptor[]);
  const dispatch: CallDispatch = composed.dispatch;
  return {
    dispatch,
    /** Dispatches `options` and settles with its reply, or its UpstreamError. */
    call: (options: CallOptions) => settle((handler) => dispatch(options, handler)),
    close: () => pool.close(),
  };
}

/** What one dispatch ends with: a handler that settles the promise `send` is given it in. */
export function settle(send: (handler: ReplyHandler) => void): Promise<UpstreamReply> {
  return new Promise<UpstreamReply>((resolve, reject) => {
    send({
      onRequestStart() {},
      onReply: (_controller, answer) => resolve(answer),
      onResponseError: (_controller, error: UpstreamError) => reject(error),
    });
  });
}
