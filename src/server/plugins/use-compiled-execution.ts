import { useGraphQlJit } from '@envelop/graphql-jit';
import { GraphQLError, Kind, type DocumentNode, type ExecutionResult, type Source } from 'graphql';
import type { CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import { asksForIncrementalDelivery } from './use-incremental-delivery.ts';

/** The character offset in `body` of a 1-based line and column, lines ending as GraphQL's do. */
function positionOf(body: string, line: number, column: number): number {
  const lineBreak = /\r\n|[\n\r]/g;
  let lineStart = 0;
  for (let current = 1; current < line; current++) {
    const found = lineBreak.exec(body);
    if (!found) break;
    lineStart = found.index + found[0].length;
  }
  return lineStart + column - 1;
}

/**
 * graphql-jit's errors say where they are by `locations` alone, with no AST nodes, source or
 * positions, and no extensions: whoever copies such an error (Yoga's masking and serialisation do)
 * would drop its locations. The same error, placed in the document's source.
 */
function placedInSource(error: GraphQLError, source: Source): GraphQLError {
  if (error.nodes?.length || error.positions?.length || !error.locations?.length) return error;
  return new GraphQLError(error.message, {
    source,
    positions: error.locations.map(({ line, column }) => positionOf(source.body, line, column)),
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

function holdsOneOperation(document: DocumentNode): boolean {
  let operations = 0;
  for (const definition of document.definitions) if (definition.kind === Kind.OPERATION_DEFINITION && ++operations > 1) return false;
  return true;
}

export interface CompiledExecutionOptions {
  /** An operation compiled ahead of any request (a trusted document's, at load), when there is one. */
  precompiled?: (document: DocumentNode, operationName: string | null | undefined) => CompiledQuery | undefined;
}

/**
 * Runs each query as code compiled once per document (graphql-jit, through envelop; or ahead of
 * time, `precompiled`), which costs less CPU per query than graphql-js's executor, and answers
 * errors as graphql-js does: with their locations in the query. graphql-jit knows nothing of
 * `@defer` and `@stream`: a document that uses them (a trusted one too) runs on Yoga's standard
 * executor, which answers it in parts. Nor does envelop's cache of compiled code know operation names (it keys by the
 * document alone): a document of several operations runs on the standard executor too, lest the
 * operation compiled first answer for another one of the same text.
 */
export function useCompiledExecution(options: CompiledExecutionOptions = {}): Plugin {
  const compiled = useGraphQlJit({}, { enableIf: ({ document }) => holdsOneOperation(document) && !asksForIncrementalDelivery(document) });
  return {
    onExecute(payload) {
      // A trusted document's code, compiled at load, would answer a deferred fragment at once, inline.
      const ahead = asksForIncrementalDelivery(payload.args.document) ? undefined : options.precompiled?.(payload.args.document, payload.args.operationName);
      if (ahead) payload.setExecuteFn((args) => ahead.query(args.rootValue, args.contextValue, args.variableValues));
      else void compiled.onExecute?.(payload);
      const source = payload.args.document.loc?.source;
      if (!source) return undefined;
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          const { errors } = result as ExecutionResult;
          if (errors?.length) setResult({ ...result, errors: errors.map((error) => placedInSource(error, source)) });
        },
      };
    },
  };
}
