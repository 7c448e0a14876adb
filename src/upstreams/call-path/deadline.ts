import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { UpstreamError, type UpstreamName } from '../errors.ts';
import { unsent, type CallOptions } from './call.ts';

export interface DeadlineSettings {
  upstream: UpstreamName;
  /** The longest a call may take, whatever is left of its request's deadline. */
  callMs: number;
  /** The largest body read; a larger one is refused, unread. */
  maxResponseBytes: number;
}

/**
 * The deadline and size cap of every exchange. undici's own timeouts fire only on silence, so a
 * body trickled in small pieces would never end: this ends the whole exchange at the smaller of
 * `callMs` and what is left of the request's deadline, and cuts off a body past the cap unread.
 * Whatever ends an exchange early, the handler above hears an UpstreamError.
 */
export function deadline(settings: DeadlineSettings) {
  return (dispatch: Dispatcher.Dispatch) =>
    (options: CallOptions, handler: Dispatcher.DispatchHandler): boolean => {
      const exchange = new Exchange(settings, options, handler);
      const timeoutMs = Math.min(settings.callMs, options.scope.deadline - performance.now());
      exchange.timer = setTimeout(expire, timeoutMs, exchange, timeoutMs);
      return dispatch(options, exchange);
    };
}

function expire(exchange: Exchange, timeoutMs: number): void {
  const { settings, options } = exchange;
  exchange.stop(exchange.noAnswer('UPSTREAM_TIMEOUT', `${settings.upstream} did not answer ${options.method} ${options.route} within ${Math.round(timeoutMs)} ms`));
}

/** One exchange under its deadline and cap; a class, not closures, since every upstream call makes one. */
class Exchange implements Dispatcher.DispatchHandler {
  timer: NodeJS.Timeout | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #done = false;
  #status = 0;
  #size = 0;

  readonly settings: DeadlineSettings;
  readonly options: CallOptions;
  readonly handler: Dispatcher.DispatchHandler;
  constructor(settings: DeadlineSettings, options: CallOptions, handler: Dispatcher.DispatchHandler) {
    this.settings = settings;
    this.options = options;
    this.handler = handler;
  }

  /** Ends the exchange with an error, aborting the request; one still waiting for a connection is aborted as it starts. */
  stop(error: UpstreamError): void {
    this.#controller?.abort(error);
    this.#fail(error);
  }

  /**
   * No answer: no connection, or none in time (`UPSTREAM_TIMEOUT`). A request already sent may have
   * landed: a write's outcome is then unknown.
   */
  noAnswer(code: 'UPSTREAM_UNREACHABLE' | 'UPSTREAM_TIMEOUT', message: string, cause?: Error): UpstreamError {
    const answerLost = this.options.method !== 'GET' && this.#controller !== undefined;
    return new UpstreamError(this.settings.upstream, code, message, undefined, { cause, answerLost });
  }

  #fail(error: Error): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.timer);
    this.handler.onResponseError?.(this.#controller ?? unsent, error instanceof UpstreamError ? error : this.#transportError(error));
  }

  /** undici's own timeouts (headers, body silence) are timeouts; one while connecting means no connection. */
  #transportError(error: Error): UpstreamError {
    const { upstream } = this.settings;
    const code = (error as { code?: string }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      const when = code === 'UND_ERR_HEADERS_TIMEOUT' ? 'before its headers' : 'in the middle of its body';
      return this.noAnswer('UPSTREAM_TIMEOUT', `${upstream} went silent ${when} on ${this.options.route}`, error);
    }
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return this.noAnswer('UPSTREAM_UNREACHABLE', `${upstream} could not be connected to in time`, error);
    return this.noAnswer('UPSTREAM_UNREACHABLE', `${upstream} could not be reached`, error);
  }

  #tooLarge(): UpstreamError {
    const { upstream, maxResponseBytes } = this.settings;
    const message = `${upstream} answered ${this.options.route} with more than ${maxResponseBytes} bytes (UPSTREAM_MAX_RESPONSE_BYTES)`;
    return new UpstreamError(upstream, 'UPSTREAM_RESPONSE_TOO_LARGE', message, this.#status);
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#controller = controller;
    if (this.#done) controller.abort(new Error('the call ended before it was sent'));
    else this.handler.onRequestStart?.(controller, context);
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    this.#status = status;
    if (Number(headers['content-length']) > this.settings.maxResponseBytes) this.stop(this.#tooLarge());
    else this.handler.onResponseStart?.(controller, status, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#done) return;
    this.#size += chunk.length;
    if (this.#size > this.settings.maxResponseBytes) this.stop(this.#tooLarge());
    else this.handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.timer);
    this.handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#fail(error);
  }
}
