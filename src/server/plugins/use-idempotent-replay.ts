import type { Plugin } from 'graphql-yoga';
import type { AnsweredMutation, GatewayContext } from '../../schema/context.ts';
import { changeInitialResult } from './use-incremental-delivery.ts';

/**
 * Answered `true` when some mutation of the request was answered from an earlier request with the
 * same idempotency key, as Stripe's header of that name. Exported for whoever exposes headers to
 * browsers (CORS).
 */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/** One entry of `extensions.idempotentReplays`: which mutation field was answered from an earlier request. */
export interface IdempotentReplay {
  /** The field's place in the answer (its alias, when one is given), as an error's `path`. */
  path: readonly (string | number)[];
  mutation: string;
}

const replayedRequests = new WeakSet<Request>();

function replaysOf(answered: readonly AnsweredMutation[]): IdempotentReplay[] {
  return answered.filter((each) => each.replayed).map(({ path, mutation }) => ({ path, mutation }));
}

/**
 * Marks replays, so that a client can tell an answer given again from a fresh write (a replayed
 * `provisionUser` "succeeds" for a person deprovisioned since): the answer's
 * `extensions.idempotentReplays` names each mutation field answered from an earlier request (a
 * document may hold several mutations, some fresh), and the response carries
 * `Idempotent-Replayed: true`. Fresh answers carry neither.
 */
export function useIdempotentReplay(): Plugin<GatewayContext> {
  return {
    onExecute({ args }) {
      const context = args.contextValue;
      return {
        onExecuteDone(done) {
          // Mutation fields run before the initial part: an answer in parts knows its replays now.
          const replays = replaysOf(context.answeredMutations);
          if (!replays.length) return undefined;
          replayedRequests.add(context.request);
          return changeInitialResult(done, (result) => ({ ...result, extensions: { ...result.extensions, idempotentReplays: replays } }));
        },
      };
    },
    onResponse({ request, response }) {
      if (replayedRequests.has(request)) response.headers.set(IDEMPOTENT_REPLAYED_HEADER, 'true');
    },
  };
}
