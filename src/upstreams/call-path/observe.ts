import type { Dispatcher } from 'undici';
import type { UpstreamError, UpstreamName } from '../errors.ts';
import type { UpstreamReply } from '../http.ts';
import type { LatencyEstimate } from '../latency.ts';
import type { UpstreamAttemptEnd, UpstreamObserver } from '../observer.ts';
import { attemptOf, type CallInterceptor, type CallOptions, type ReplyHandler } from './call.ts';

export interface ObserveSettings {
  upstream: UpstreamName;
  observer: UpstreamObserver;
  /** Learns how long a call takes from every try that got a reply. */
  latency: LatencyEstimate;
}

/**
 * Each try of a call, as it starts and ends, told to the observer (spans, metrics, the upstream
 * log) and to the latency estimate. Below the policy, it sees only the tries the policy let go.
 * Nothing is made for the observer before the try ends but a span's start.
 */
export function observe(settings: ObserveSettings): CallInterceptor {
  return (dispatch) => (options, handler) => {
    const { observer } = settings;
    const watched = observer.attemptEnded !== undefined || observer.attemptStarted !== undefined;
    const endSpan = observer.attemptStarted?.(attemptOf(settings.upstream, options));
    return dispatch(options, new ObservedTry(settings, options, handler, watched, endSpan));
  };
}

class ObservedTry implements ReplyHandler {
  readonly started = performance.now();

  readonly settings: ObserveSettings;
  readonly options: CallOptions;
  readonly handler: ReplyHandler;
  readonly watched: boolean;
  readonly endSpan: ((end: UpstreamAttemptEnd) => void) | undefined;
  constructor(settings: ObserveSettings, options: CallOptions, handler: ReplyHandler, watched: boolean, endSpan: ((end: UpstreamAttemptEnd) => void) | undefined) {
    this.settings = settings;
    this.options = options;
    this.handler = handler;
    this.watched = watched;
    this.endSpan = endSpan;
  }

  onRequestStart(): void {}

  onReply(controller: Dispatcher.DispatchController, reply: UpstreamReply): void {
    const durationMs = performance.now() - this.started;
    this.settings.latency.observe(durationMs);
    if (this.watched) this.#ended({ status: reply.status, outcome: 'ok', durationMs });
    this.handler.onReply(controller, reply);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: UpstreamError): void {
    if (this.watched) this.#ended({ status: error.status, outcome: error.code, durationMs: performance.now() - this.started });
    this.handler.onResponseError(controller, error);
  }

  #ended(end: UpstreamAttemptEnd): void {
    this.endSpan?.(end);
    this.settings.observer.attemptEnded?.(attemptOf(this.settings.upstream, this.options), end);
  }
}
