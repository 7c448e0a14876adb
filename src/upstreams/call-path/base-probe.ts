import type { Dispatcher } from 'undici';
import { UpstreamError, type UpstreamName } from '../errors.ts';
import type { UpstreamReply } from '../http.ts';
import type { CallDispatch, CallInterceptor, CallOptions, ReplyHandler } from './call.ts';

export interface BaseProbeSettings {
  upstream: UpstreamName;
  /** The setting that names the base URL (`GATE_URL`), which the error blames. */
  configuredBy: string;
  /** The route of the call that answers 2xx exactly when the base URL is right. */
  probeRoute: string;
  /** That call, as the call whose 404 asks it (with its request id) would send it. */
  probe(requestId: string): CallOptions;
}

/**
 * A 404 is believed ("no such record") only once the base URL is known to be right: before any
 * reply came, a 404 asks the protocol's base probe first, and if the probe is a 404 too, the call
 * fails with UPSTREAM_MISCONFIGURED instead. Concurrent 404s share one probe; from the first
 * reply on, calls pass through untouched.
 */
export function baseProbe(settings: BaseProbeSettings): CallInterceptor {
  return (dispatch) => {
    const base = new BaseUrl(settings, dispatch);
    return (options, handler) => (base.confirmed ? dispatch(options, handler) : dispatch(options, new UnconfirmedCall(base, options.scope.requestId, handler)));
  };
}

/** What is known of the base URL, and the probe out asking, if one is. */
class BaseUrl {
  /** Set by the first reply: from then on the base URL is known to be right. */
  confirmed = false;
  #probe: Probe | undefined;

  readonly settings: BaseProbeSettings;
  readonly dispatch: CallDispatch;
  constructor(settings: BaseProbeSettings, dispatch: CallDispatch) {
    this.settings = settings;
    this.dispatch = dispatch;
  }

  /** Has `call`'s 404 wait for the probe, sending it (with the call's request id) unless one is out already. */
  probeFor(call: UnconfirmedCall): void {
    if (this.#probe) {
      this.#probe.waiting.push(call);
      return;
    }
    const probe = new Probe(this, call);
    this.#probe = probe;
    this.dispatch(this.settings.probe(call.requestId), probe);
  }

  probed(probe: Probe, wrong: boolean): void {
    this.#probe = undefined;
    for (const call of probe.waiting) call.answer(wrong);
  }
}

/** The base probe out asking, and the 404s waiting for it. */
class Probe implements ReplyHandler {
  readonly waiting: UnconfirmedCall[];

  readonly base: BaseUrl;
  constructor(base: BaseUrl, first: UnconfirmedCall) {
    this.base = base;
    this.waiting = [first];
  }

  onRequestStart(): void {}

  onReply(): void {
    this.base.confirmed = true;
    this.base.probed(this, false);
  }

  /** A 404 says the base URL is wrong; any other failure says nothing, and leaves the calls' 404s as they were. */
  onResponseError(_controller: Dispatcher.DispatchController, error: UpstreamError): void {
    // A 2xx the upstream's body refuses still shows the route is there; one that is not JSON does not.
    if (isSuccess(error.status) && error.code !== 'UPSTREAM_BAD_RESPONSE') this.base.confirmed = true;
    this.base.probed(this, error.status === 404);
  }
}

const isSuccess = (status: number | undefined) => status !== undefined && status >= 200 && status < 300;

/** One call made before the base URL was confirmed. */
class UnconfirmedCall implements ReplyHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #notFound: UpstreamError | undefined;

  readonly base: BaseUrl;
  readonly requestId: string;
  readonly handler: ReplyHandler;
  constructor(base: BaseUrl, requestId: string, handler: ReplyHandler) {
    this.base = base;
    this.requestId = requestId;
    this.handler = handler;
  }

  onRequestStart(): void {}

  onReply(controller: Dispatcher.DispatchController, reply: UpstreamReply): void {
    this.base.confirmed = true;
    this.handler.onReply(controller, reply);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: UpstreamError): void {
    if (error.status !== 404 || this.base.confirmed) return this.handler.onResponseError(controller, error);
    this.#controller = controller;
    this.#notFound = error;
    this.base.probeFor(this);
  }

  /** The probe came back: the 404 is the call's own answer, or the base URL is wrong. */
  answer(wrong: boolean): void {
    const { upstream, configuredBy, probeRoute } = this.base.settings;
    const error = wrong
      ? new UpstreamError(upstream, 'UPSTREAM_MISCONFIGURED', `${upstream} answers 404 for ${probeRoute} itself: ${configuredBy} lacks or misnames the API prefix`, 404)
      : (this.#notFound as UpstreamError);
    this.handler.onResponseError(this.#controller as Dispatcher.DispatchController, error);
  }
}
