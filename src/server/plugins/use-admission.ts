import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../../schema/context.ts';
import type { Admission, AdmissionEvents, Refused } from '../admission.ts';
import { estimatedUpstreamCallsOf } from './use-query-cost.ts';
import { asksForGraphiQL } from './use-authentication.ts';
import type { ClientOf } from './use-rate-limit.ts';
import { whenAnswered } from './use-incremental-delivery.ts';

export interface AdmissionPluginOptions {
  admission: Admission;
  /** Whose share of the queue a request counts against (see `clientsBy`). */
  clientOf: ClientOf;
  /** How long a request may take (`REQUEST_DEADLINE_MS`): one that would wait longer is refused. */
  requestDeadlineMs: number;
}

/** Refusals this far apart are one episode of shedding: its start and end are logged once each. */
const SHEDDING_CALM_MS = 5000;

export type SheddingEpisode = { started: true } | { started: false; refused: number };

/**
 * Admission's decisions as episodes of shedding, wherever a refusal was made (here, or before Yoga:
 * see `refuseUnread`): told when refusals begin after a calm, and at the first admission 5 s or
 * more after the last one, with how many there were.
 */
export function sheddingEpisodes(onShedding: (shedding: SheddingEpisode) => void): AdmissionEvents {
  let shedding: { lastAt: number; refused: number } | undefined;
  return {
    refused: () => {
      if (!shedding) onShedding({ started: true });
      shedding = { lastAt: performance.now(), refused: (shedding?.refused ?? 0) + 1 };
    },
    admitted: () => {
      if (shedding && performance.now() - shedding.lastAt >= SHEDDING_CALM_MS) {
        onShedding({ started: false, refused: shedding.refused });
        shedding = undefined;
      }
    },
  };
}

function overloadedMessage(refusal: Refused): string {
  const why = refusal.reason === 'deadline' ? 'it would wait past its deadline' : refusal.reason === 'client-queue-full' ? "this client's queue is full" : 'the queue is full';
  return `The gateway is overloaded and did not run this operation (${why}). Retry after ${refusal.retryAfterSeconds} s.`;
}

/** The error of a refusal answered before the request was parsed, as JSON has it. */
export function overloadedError(refusal: Refused): { message: string; extensions: { code: string; retryAfter: number } } {
  return { message: overloadedMessage(refusal), extensions: { code: 'OVERLOADED', retryAfter: refusal.retryAfterSeconds } };
}

function overloaded(refusal: Refused): ExecutionResult {
  const retryAfter = refusal.retryAfterSeconds;
  return {
    errors: [
      new GraphQLError(overloadedMessage(refusal), {
        extensions: { code: 'OVERLOADED', retryAfter, http: { status: 503, headers: { 'retry-after': String(retryAfter) } } },
      }),
    ],
  };
}

/** The same refusal, answered before the request is parsed. */
function overloadedResponse(fetchAPI: { Response: typeof Response }, refusal: Refused): Response {
  return new fetchAPI.Response(JSON.stringify({ errors: [overloadedError(refusal)] }), {
    status: 503,
    headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(refusal.retryAfterSeconds) },
  });
}

/**
 * Admission control (see `admission.ts`): each operation waits for its estimated upstream calls
 * (from `useQueryCost`, which must come before) to fit the process's budget, before its first
 * upstream call, or is refused at once with 503, `Retry-After` and `OVERLOADED`. Once admitted it
 * is never cancelled by load: a mutation under way runs to its end. Its share is given back when
 * its execution ends, however it ends (an answer in parts: after its last part), and one call of it
 * at once for each read the upstream cache answered. Operations that call no upstream are never held.
 */
export function useAdmission(options: AdmissionPluginOptions): Plugin {
  const { admission, clientOf, requestDeadlineMs } = options;
  return {
    // While the queue, or the client's share of it, is full, or the wait already too long, whatever
    // the request asks it would be refused: it is, before its body is read and parsed, which under
    // a flood is most of the cost (a client sending again at once would otherwise be parsed each time).
    onRequestParse({ request, serverContext, fetchAPI, endResponse }) {
      if (asksForGraphiQL(request)) return;
      const refusal = admission.certainRefusal(clientOf(request, serverContext), performance.now() + requestDeadlineMs);
      if (!refusal) return;
      endResponse(overloadedResponse(fetchAPI, refusal));
    },
    async onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const context = args.contextValue as unknown as GatewayContext & { request: Request } & Record<string, unknown>;
      const cost = estimatedUpstreamCallsOf(context) ?? 0;
      if (cost === 0) return;
      const outcome = await admission.request({ client: clientOf(context.request, context), cost, deadline: context.deadline });
      if (!outcome.admitted) {
        setResultAndStopExecution(overloaded(outcome));
        return;
      }
      // A read the cache answers makes no upstream call: what it was estimated at goes back at once.
      context.cacheUse.onHit = () => outcome.giveBack(1);
      // An answer in parts (@defer, @stream) keeps its share until its last part: its deferred
      // fields make the upstream calls they were estimated at.
      setExecuteFn(async (executed) => {
        try {
          return whenAnswered(await executeFn(executed), outcome.release);
        } catch (error) {
          outcome.release();
          throw error;
        }
      });
    },
  };
}
