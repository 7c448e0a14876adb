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
      shared.follow(options, handler);
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

/**
 * The call of the first reader, which the others follow. A follower is its options and its
 * handler, and nothing more unless its deadline comes before the call's (most come after it: they
 * began later): then its handler is one that stops waiting at that deadline.
 */
class SharedRead implements ReplyHandler {
  /** The writes sent and answered when it started: a read begun after another write may not join it. */
  readonly writes: number;
  readonly path: string;
  readonly deadline: number;
  #followers: CallOptions[] | undefined;
  #handlers: ReplyHandler[] | undefined;

  readonly reads: ReadsInFlight;
  readonly handler: ReplyHandler;
  constructor(reads: ReadsInFlight, options: CallOptions, handler: ReplyHandler) {
    this.reads = reads;
    this.handler = handler;
    this.writes = reads.writeEvents;
    this.path = options.path;
    this.deadline = options.scope.deadline;
  }

  follow(options: CallOptions, handler: ReplyHandler): void {
    const outlasts = options.scope.deadline >= this.deadline;
    (this.#followers ??= []).push(options);
    (this.#handlers ??= []).push(outlasts ? handler : new ImpatientFollower(this.reads.settings.upstream, options, handler));
  }

  onRequestStart(): void {}

  onReply(controller: Dispatcher.DispatchController, reply: UpstreamReply): void {
    this.reads.ended(this);
    this.handler.onReply(controller, reply);
    const handlers = this.#handlers;
    if (handlers) for (let i = 0; i < handlers.length; i++) (handlers[i] as ReplyHandler).onReply(controller, reply);
  }

  /** A follower whose deadline outlasts a call that timed out asks again on its own, if its deadline has not passed too. */
  onResponseError(controller: Dispatcher.DispatchController, error: UpstreamError): void {
    this.reads.ended(this);
    this.handler.onResponseError(controller, error);
    const followers = this.#followers;
    const handlers = this.#handlers;
    if (!followers || !handlers) return;
    const timedOut = error.code === 'UPSTREAM_TIMEOUT';
    const now = performance.now();
    for (let i = 0; i < followers.length; i++) {
      const { deadline } = (followers[i] as CallOptions).scope;
      if (timedOut && deadline >= this.deadline && now < deadline) this.reads.dispatch(followers[i] as CallOptions, handlers[i] as ReplyHandler);
      else (handlers[i] as ReplyHandler).onResponseError(controller, error);
    }
  }
}

function stopWaiting(follower: ImpatientFollower, waitMs: number): void {
  if (follower.done) return;
  follower.done = true;
  const { upstream } = follower;
  const message = `${upstream} did not answer GET ${follower.options.route} within ${Math.round(waitMs)} ms`;
  follower.handler.onResponseError(unsent, new UpstreamError(upstream, 'UPSTREAM_TIMEOUT', message));
}

/** A follower whose deadline comes before the shared call's: it waits for the call until then, and no longer. */
class ImpatientFollower implements ReplyHandler {
  done = false;
  readonly #timer: NodeJS.Timeout;

  readonly upstream: UpstreamName;
  readonly options: CallOptions;
  readonly handler: ReplyHandler;
  constructor(upstream: UpstreamName, options: CallOptions, handler: ReplyHandler) {
    this.upstream = upstream;
    this.options = options;
    this.handler = handler;
    const waitMs = Math.max(0, options.scope.deadline - performance.now());
    this.#timer = setTimeout(stopWaiting, waitMs, this, waitMs);
  }

  onRequestStart(): void {}

  onReply(controller: Dispatcher.DispatchController, reply: UpstreamReply): void {
    if (this.#end()) this.handler.onReply(controller, reply);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: UpstreamError): void {
    if (this.#end()) this.handler.onResponseError(controller, error);
  }

  /** Whether it was still waiting; it is not now. */
  #end(): boolean {
    if (this.done) return false;
    this.done = true;
    clearTimeout(this.#timer);
    return true;
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

  onRequestStart(): void {}

  onReply(controller: Dispatcher.DispatchController, reply: UpstreamReply): void {
    this.reads.writeEvents++;
    this.handler.onReply(controller, reply);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: UpstreamError): void {
    this.reads.writeEvents++;
    this.handler.onResponseError(controller, error);
  }
}
