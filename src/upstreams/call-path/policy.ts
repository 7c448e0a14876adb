import type { Dispatcher } from 'undici';
import { UpstreamError, type UpstreamName } from '../errors.ts';
import type { UpstreamReply } from '../http.ts';
import type { UpstreamObserver } from '../observer.ts';
import type { Admission, CallPolicy } from '../policy.ts';
import { attemptOf, unsent, type CallDispatch, type CallInterceptor, type CallOptions, type ReplyHandler } from './call.ts';

export interface PolicySettings {
  upstream: UpstreamName;
  /** The bulkhead, the breaker and the retries: the decisions, made around each try. */
  policy: CallPolicy;
  /** Told of each retry as it starts to wait. */
  observer: UpstreamObserver;
}

/**
 * Every call under the upstream's `CallPolicy`: each try admitted or failed at once (nothing
 * sent), settled as it ends, and a failed one tried again after the wait the policy says.
 *
 * undici's own `interceptors.retry` does not fit: it knows no request deadline (it would wait
 * past it), has no jitter, no breaker or bulkhead to ask before each try, and builds options and
 * a handler of its own for every call, writes included.
 */
export function policy(settings: PolicySettings): CallInterceptor {
  return (dispatch) => (options, handler) => {
    new PolicedCall(settings, dispatch, options, handler).try();
    return true;
  };
}

function retry(call: PolicedCall): void {
  call.try();
}

/** One call and its tries; a class, not closures, since every upstream call makes one. */
class PolicedCall implements ReplyHandler {
  #admission: Admission = 'admitted';

  readonly settings: PolicySettings;
  readonly dispatch: CallDispatch;
  readonly options: CallOptions;
  readonly handler: ReplyHandler;
  constructor(settings: PolicySettings, dispatch: CallDispatch, options: CallOptions, handler: ReplyHandler) {
    this.settings = settings;
    this.dispatch = dispatch;
    this.options = options;
    this.handler = handler;
  }

  try(): void {
    const { options } = this;
    const admission = this.settings.policy.admit(options.method, options.route, options.scope);
    if (admission instanceof UpstreamError) return this.handler.onResponseError(unsent, admission);
    this.#admission = admission;
    this.dispatch(options, this);
  }

  onRequestStart(): void {}

  onReply(controller: Dispatcher.DispatchController, reply: UpstreamReply): void {
    this.settings.policy.settle(this.#admission, undefined);
    this.handler.onReply(controller, reply);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: UpstreamError): void {
    const { policy, observer, upstream } = this.settings;
    const { options } = this;
    policy.settle(this.#admission, error);
    const delayMs = policy.retryDelay(options.method, options.attempt, error, options.scope);
    if (delayMs === undefined) return this.handler.onResponseError(controller, error);
    options.attempt++;
    observer.retrying?.({ ...attemptOf(upstream, options), reason: error.code, delayMs });
    setTimeout(retry, delayMs, this);
  }
}
