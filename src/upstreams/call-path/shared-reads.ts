import type { Dispatcher } from 'undici';
import { UpstreamError, type UpstreamName } from '../errors.ts';
import type { UpstreamReply } from '../http.ts';
import type { UpstreamObserver } from '../observer.ts';
import { unsent, type CallDispatch, type CallInterceptor, type CallOptions, type ReplyHandler } from './call.ts';

export interface SharedReadsSettings {
  upstream: UpstreamName;
  /** Told of each read answered by another's call (`readShared`). */
  observer: UpstreamObserver;
}

/**
 * Reads that identical reads in flight at once, from any GraphQL request, share (as Apollo
 * Router's subgraph deduplication does, or undici's `deduplicate` at the level of bytes): the same
 * path and query with the same credentials answer the same, and each request shapes and filters
 * the reply for itself. Only the first reader's call goes out (its request id, its retries); the
 * others get its reply, parsed once, each waiting no longer than its own deadline. A reader whose
 * deadline outlasts a shared call that timed out asks again on its own.
 *
 * Writes fence them: a read begun before a write to the upstream was sent or answered is not
 * shared past it, so that reading back what a request wrote never sees the state before. Fresh
 * reads (`CallScope.fresh`: what a write is computed from or settled by) always go out themselves.
 */
export function sharedReads(settings: SharedReadsSettings): CallInterceptor {
  return (dispatch) => {
    const reads = new ReadsInFlight(settings, dispatch);
    return (options, handler) => {
      if (options.method !== 'GET') return reads.write(options, handler);
      if (options.scope.fresh) return dispatch(options, handler);
      return reads.read(options, handler);
    };
  };
}

class ReadsInFlight {
  /** By the path and query they ask for. */
  readonly #reads = new Map<string, SharedRead>();
  /** Writes sent plus writes answered (or failed): each one ends the sharing of the reads in flight. */
  writeEvents = 0;

  readonly settings: SharedReadsSettings;
  readonly dispatch: CallDispatch;
  constructor(settings: SharedReadsSettings, dispatch: CallDispatch) {
    this.settings = settings;
    this.dispatch = dispatch;
  }

  read(options: CallOptions, handler: ReplyHandler): boolean {
    const shared = this.#reads.get(options.path);
    if (shared && shared.writes === this.writeEvents) {
      this.settings.observer.readShared?.(this.settings.upstream, options.route);
      shared.follow(new Follower(this, shared, options, handler));
      return true;
    }
    const read = new SharedRead(this, options, handler);
    this.#reads.set(options.path, read);
    return this.dispatch(options, read);
  }

  ended(read: SharedRead): void {
    if (this.#reads.get(read.path) === read) this.#reads.delete(read.path);
  }

  /** A write ends the sharing of every read in flight, as it is sent and as it is answered. */
  write(options: CallOptions, handler: ReplyHandler): boolean {
    this.writeEvents++;
    return this.dispatch(options, new FencingWrite(this, handler));
  }
}

/** The call of the first reader, which the others follow. */
class SharedRead implements ReplyHandler {
  /** The writes sent and answered when it started: a read begun after another write may not join it. */
  readonly writes: number;
  readonly path: string;
  readonly deadline: number;
  #followers: Follower[] | undefined;

  readonly reads: ReadsInFlight;
  readonly handler: ReplyHandler;
  constructor(reads: ReadsInFlight, options: CallOptions, handler: ReplyHandler) {
    this.reads = reads;
    this.handler = handler;
    this.writes = reads.writeEvents;
    this.path = options.path;
    this.deadline = options.scope.deadline;
  }

  follow(follower: Follower): void {
    (this.#followers ??= []).push(follower);
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.handler.onRequestStart(controller, context);
  }

  onReply(controller: Dispatcher.DispatchController, reply: UpstreamReply): void {
    this.reads.ended(this);
    this.handler.onReply(controller, reply);
    if (this.#followers) for (const follower of this.#followers) follower.onReply(controller, reply);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: UpstreamError): void {
    this.reads.ended(this);
    this.handler.onResponseError(controller, error);
    if (this.#followers) for (const follower of this.#followers) follower.onResponseError(controller, error);
  }
}

function expireFollower(follower: Follower, waitMs: number): void {
  if (!follower.end()) return;
  const { upstream } = follower.reads.settings;
  const message = `${upstream} did not answer GET ${follower.options.route} within ${Math.round(waitMs)} ms`;
  follower.handler.onResponseError(unsent, new UpstreamError(upstream, 'UPSTREAM_TIMEOUT', message));
}

/** A reader answered by another's call, by its own deadline at the latest. */
class Follower {
  /** Whether its deadline is no sooner than the shared call's: then the call's own timeout comes first. */
  readonly outlasts: boolean;
  #timer: NodeJS.Timeout | undefined;
  #done = false;

  readonly reads: ReadsInFlight;
  readonly options: CallOptions;
  readonly handler: ReplyHandler;
  constructor(reads: ReadsInFlight, shared: SharedRead, options: CallOptions, handler: ReplyHandler) {
    this.reads = reads;
    this.options = options;
    this.handler = handler;
    const { deadline } = options.scope;
    this.outlasts = deadline >= shared.deadline;
    if (!this.outlasts) {
      const waitMs = Math.max(0, deadline - performance.now());
      this.#timer = setTimeout(expireFollower, waitMs, this, waitMs);
    }
  }

  /** Whether it had not ended already; it has now. */
  end(): boolean {
    if (this.#done) return false;
    this.#done = true;
    clearTimeout(this.#timer);
    return true;
  }

  onReply(controller: Dispatcher.DispatchController, reply: UpstreamReply): void {
    if (this.end()) this.handler.onReply(controller, reply);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: UpstreamError): void {
    if (!this.end()) return;
    if (this.outlasts && error.code === 'UPSTREAM_TIMEOUT' && performance.now() < this.options.scope.deadline) {
      this.reads.dispatch(this.options, this.handler);
    } else {
      this.handler.onResponseError(controller, error);
    }
  }
}

/** A write on its way: its answer, or its failure, ends the sharing of the reads in flight once more. */
class FencingWrite implements ReplyHandler {
  readonly reads: ReadsInFlight;
  readonly handler: ReplyHandler;
  constructor(reads: ReadsInFlight, handler: ReplyHandler) {
    this.reads = reads;
    this.handler = handler;
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.handler.onRequestStart(controller, context);
  }

  onReply(controller: Dispatcher.DispatchController, reply: UpstreamReply): void {
    this.reads.writeEvents++;
    this.handler.onReply(controller, reply);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: UpstreamError): void {
    this.reads.writeEvents++;
    this.handler.onResponseError(controller, error);
  }
}
