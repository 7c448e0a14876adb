import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { UpstreamError, type UpstreamErrorCode, type UpstreamName } from '../errors.ts';
import type { RefusalReader, UpstreamReply } from '../http.ts';
import { retryAfterSeconds } from '../retry-after.ts';
import type { CallDispatch, CallOptions, ReplyHandler } from './call.ts';

export interface ReplySettings {
  upstream: UpstreamName;
  /** Where the pool sends its requests (`http://host:port`): a reply's URL is this and the path. */
  origin: string;
  refusal?: RefusalReader | undefined;
}

const codeByStatus: Record<number, UpstreamErrorCode> = {
  400: 'UPSTREAM_BAD_REQUEST',
  401: 'UPSTREAM_UNAUTHENTICATED',
  403: 'UPSTREAM_FORBIDDEN',
  404: 'UPSTREAM_NOT_FOUND',
  409: 'UPSTREAM_CONFLICT',
  422: 'UPSTREAM_BAD_REQUEST',
  429: 'UPSTREAM_RATE_LIMITED',
};

const codeForStatus = (status: number): UpstreamErrorCode => codeByStatus[status] ?? 'UPSTREAM_ERROR';

/**
 * Where bytes become a reply: the body gathered as it comes (without streams), parsed as JSON
 * once, and judged. A 2xx that the upstream's body does not refuse (`RefusalReader`) is the reply
 * the handler above hears of; anything else its UpstreamError, named by status.
 */
export function reply(settings: ReplySettings) {
  return (dispatch: Dispatcher.Dispatch): CallDispatch =>
    (options, handler) =>
      dispatch(options, new ReplyReader(settings, options, handler));
}

/** One exchange's body, gathered chunk by chunk; a class, not closures, since every upstream call makes one. */
class ReplyReader implements Dispatcher.DispatchHandler {
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  readonly #chunks: Buffer[] = [];
  #size = 0;

  readonly settings: ReplySettings;
  readonly options: CallOptions;
  readonly handler: ReplyHandler;
  constructor(settings: ReplySettings, options: CallOptions, handler: ReplyHandler) {
    this.settings = settings;
    this.options = options;
    this.handler = handler;
  }

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.#status = status;
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length;
    this.#chunks.push(chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController): void {
    const chunks = this.#chunks;
    const text = chunks.length === 0 ? '' : chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks, this.#size).toString();
    const { upstream, origin } = this.settings;
    const status = this.#status;
    let body: unknown;
    try {
      body = jsonBody(upstream, text, status);
    } catch (error) {
      return this.handler.onResponseError(controller, error as UpstreamError);
    }
    const failure = this.#judge(status, body);
    if (failure) this.handler.onResponseError(controller, failure);
    else this.handler.onReply(controller, { status, headers: this.#headers, body, url: origin + this.options.path });
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.handler.onResponseError(controller, error as UpstreamError);
  }

  /** The error a reply is, if it is one: a refusal in its body, whatever its status, or a status other than 2xx. */
  #judge(status: number, body: unknown): UpstreamError | undefined {
    const { upstream } = this.settings;
    const refusal = this.settings.refusal?.(status, body);
    if (refusal) return new UpstreamError(upstream, refusal.code ?? codeForStatus(status), refusal.message, status);
    if (status >= 200 && status < 300) return undefined;
    const { method, route } = this.options;
    return new UpstreamError(upstream, codeForStatus(status), `${upstream} answered ${status} to ${method} ${route}`, status, {
      retryAfterSeconds: retryAfterSeconds(this.#headers['retry-after']),
    });
  }
}

/** A reply's body as JSON; a 4xx or 5xx body that is not JSON is no body (its status says enough). */
function jsonBody(upstream: UpstreamName, text: string, status: number): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    if (status >= 400) return undefined;
    throw new UpstreamError(upstream, 'UPSTREAM_BAD_RESPONSE', `${upstream} sent a body that is not JSON`, status, { cause: error });
  }
}
