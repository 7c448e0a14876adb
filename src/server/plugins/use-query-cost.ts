import { GraphQLError, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import type { GatewayContext } from '../../schema/context.ts';
import { estimateUpstreamCalls, type CostModel } from '../query-cost.ts';
import { changeInitialResult } from './use-incremental-delivery.ts';

export interface QueryCostOptions {
  /** The most upstream calls one operation may make in the worst case (`MAX_UPSTREAM_CALLS`). */
  maxUpstreamCalls: number;
  /** Other upstream page sizes than the defaults (see `CostModel`). */
  model?: Partial<CostModel>;
  /** The estimate made ahead of any request (a trusted document's operation without variables), when there is one. */
  estimatedAhead?: (document: DocumentNode, operationName: string | null | undefined, organizationBound: boolean) => number | undefined;
}

/** What a client that asks for it reads in `extensions.queryCost`. */
export interface QueryCostReport {
  upstreamCalls: number;
  limit: number;
}

/** The request header, or the request body's `extensions.queryCost`, by which a client asks for its query's cost. */
export const QUERY_COST_HEADER = 'x-query-cost';

function asksForCost(context: Partial<YogaInitialContext>): boolean {
  if (context.request?.headers.get(QUERY_COST_HEADER)?.trim().toLowerCase() === 'true') return true;
  const extensions: unknown = context.params?.extensions;
  return typeof extensions === 'object' && extensions !== null && (extensions as Record<string, unknown>)['queryCost'] === true;
}

/** Each executing operation's estimate, by its context: what admission control counts (`use-admission.ts`). */
const estimates = new WeakMap<object, number>();

/** The worst-case upstream calls of the operation running with this context, once `useQueryCost` has estimated it. */
export function estimatedUpstreamCallsOf(context: object): number | undefined {
  return estimates.get(context);
}

const withReport = (result: ExecutionResult, report: QueryCostReport): ExecutionResult => ({
  ...result,
  extensions: { ...result.extensions, queryCost: report },
});

/**
 * Refuses, before anything runs, an operation whose worst-case upstream calls (see
 * `query-cost.ts`) exceed the limit: one `QUERY_TOO_COSTLY` error with `cost` and `limit`, and no
 * data. The estimate is made at execution, when the variables are known. A client that sends
 * `X-Query-Cost: true` (or `extensions: { queryCost: true }`) reads the estimate in
 * `extensions.queryCost` of the answer (of its initial part, for an answer in parts: deferred
 * fields and streamed items are estimated with the rest). A caller bound to one organization is estimated as such:
 * some of its lists are filtered at the gateway, which reads more (see `CostModel`).
 */
export function useQueryCost(options: QueryCostOptions): Plugin<YogaInitialContext> {
  const limit = options.maxUpstreamCalls;
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const organizationBound = (args.contextValue as Partial<GatewayContext>).caller?.organization !== undefined;
      const upstreamCalls =
        options.estimatedAhead?.(args.document, args.operationName, organizationBound) ??
        estimateUpstreamCalls({
          schema: args.schema,
          document: args.document,
          operationName: args.operationName,
          variables: args.variableValues,
          model: { organizationBound, ...options.model },
        });
      estimates.set(args.contextValue, upstreamCalls);
      const report: QueryCostReport | undefined = asksForCost(args.contextValue) ? { upstreamCalls, limit } : undefined;
      if (upstreamCalls > limit) {
        const refusal: ExecutionResult = {
          errors: [
            new GraphQLError(
              `This query could make up to ${upstreamCalls} upstream calls, more than the ${limit} one query may make (MAX_UPSTREAM_CALLS). Ask for smaller pages, or fewer nested lists.`,
              // Answered like a validation error: 400 for application/graphql-response+json, 200 for application/json.
              { extensions: { code: 'QUERY_TOO_COSTLY', cost: upstreamCalls, limit, http: { spec: true, status: 400 } } },
            ),
          ],
        };
        setResultAndStopExecution(report ? withReport(refusal, report) : refusal);
        return;
      }
      if (!report) return;
      // An answer in parts (@defer, @stream) reports it in its initial part.
      return { onExecuteDone: (done) => changeInitialResult(done, (result) => withReport(result, report)) };
    },
  };
}
