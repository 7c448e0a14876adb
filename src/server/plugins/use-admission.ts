import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../../schema/context.ts';
import type { Admission, Refused } from '../admission.ts';
import { estimatedUpstreamCallsOf } from './use-query-cost.ts';
import type { ClientOf } from './use-rate-limit.ts';

export interface AdmissionPluginOptions {
  admission: Admission;
  /** Whose share of the queue a request counts against (see `clientsBy`). */
  clientOf: ClientOf;
  /** Told when refusals begin after a calm, and when they have stopped (with how many there were). */
  onShedding?: (shedding: { started: true } | { started: false; refused: number }) => void;
}

/** Refusals this far apart are one episode of shedding: its start and end are logged once each. */
const SHEDDING_CALM_MS = 5000;

function overloaded(refusal: Refused): ExecutionResult {
  const retryAfter = refusal.retryAfterSeconds;
  const why = refusal.reason === 'deadline' ? 'it would wait past its deadline' : refusal.reason === 'client-queue-full' ? "this client's queue is full" : 'the queue is full';
  return {
    errors: [
      new GraphQLError(`The gateway is overloaded and did not run this operation (${why}). Retry after ${retryAfter} s.`, {
        extensions: { code: 'OVERLOADED', retryAfter, http: { status: 503, headers: { 'retry-after': String(retryAfter) } } },
      }),
    ],
  };
}

/**
 * Admission control (see `admission.ts`): each operation waits for its estimated upstream calls
 * (from `useQueryCost`, which must come before) to fit the process's budget, before its first
 * upstream call, or is refused at once with 503, `Retry-After` and `OVERLOADED`. Once admitted it
 * is never cancelled by load: a mutation under way runs to its end. Its share is given back when
 * its execution ends, however it ends. Operations that call no upstream are never held.
 */
export function useAdmission(options: AdmissionPluginOptions): Plugin {
  const { admission, clientOf, onShedding } = options;
  let shedding: { lastAt: number; refused: number } | undefined;
  const noteRefusal = () => {
    if (!shedding) onShedding?.({ started: true });
    shedding = { lastAt: performance.now(), refused: (shedding?.refused ?? 0) + 1 };
  };
  const noteAdmission = () => {
    if (shedding && performance.now() - shedding.lastAt >= SHEDDING_CALM_MS) {
      onShedding?.({ started: false, refused: shedding.refused });
      shedding = undefined;
    }
  };
  return {
    async onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const context = args.contextValue as unknown as GatewayContext & { request: Request } & Record<string, unknown>;
      const cost = estimatedUpstreamCallsOf(context) ?? 0;
      if (cost === 0) return;
      const outcome = await admission.request({ client: clientOf(context.request, context), cost, deadline: context.deadline });
      if (!outcome.admitted) {
        noteRefusal();
        setResultAndStopExecution(overloaded(outcome));
        return;
      }
      noteAdmission();
      setExecuteFn(async (executed) => {
        try {
          return await executeFn(executed);
        } finally {
          outcome.release();
        }
      });
    },
  };
}
