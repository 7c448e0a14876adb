import type { Dispatcher } from 'undici';
import type { UpstreamError, UpstreamName } from '../errors.ts';
import type { CallScope, UpstreamReply } from '../http.ts';
import type { UpstreamAttempt } from '../observer.ts';

/** One upstream call as it goes down the call path: undici's options, and the facts of the call. */
export interface CallOptions extends Dispatcher.DispatchOptions {
  /** The route template, which errors and the observer name; never the path itself. */
  route: string;
  scope: CallScope;
  /** Which try this dispatch is: 1, then 2 for the first retry (`policy` counts them). */
  attempt: number;
}

/**
 * What the layers above `reply` hear of an exchange: its reply, parsed and judged (a 2xx with a
 * JSON body that refuses nothing), or the UpstreamError it ended with; nothing of its bytes. The
 * body is parsed once, below them, however many readers share the reply.
 */
export interface ReplyHandler extends Dispatcher.DispatchHandler {
  /** Not told above `reply`; there because `compose` takes a handler without it for a legacy one, and wraps it. */
  onRequestStart(): void;
  onReply(controller: Dispatcher.DispatchController, reply: UpstreamReply): void;
  onResponseError(controller: Dispatcher.DispatchController, error: UpstreamError): void;
}

export type CallDispatch = (options: CallOptions, handler: ReplyHandler) => boolean;
/** A layer above `reply`: it dispatches calls and hears replies. */
export type CallInterceptor = (dispatch: CallDispatch) => CallDispatch;

/** The controller a call's handler hears of when it failed before anything was sent. */
export const unsent: Dispatcher.DispatchController = {
  aborted: true,
  paused: false,
  reason: null,
  abort() {},
  pause() {},
  resume() {},
};

/** The controller a call's handler hears of when its reply came from the cache: no exchange to control. */
export const answeredWithoutCall: Dispatcher.DispatchController = { ...unsent, aborted: false };

/** What the observer is told of one try of a call. */
export function attemptOf(upstream: UpstreamName, options: CallOptions): UpstreamAttempt {
  return { upstream, method: options.method, route: options.route, requestId: options.scope.requestId, attempt: options.attempt };
}
