import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { QueryLimits } from '../config.ts';

export type ShapeLimits = Pick<QueryLimits, 'maxDepth' | 'maxAliases' | 'maxTokens' | 'maxDirectives'>;

/**
 * The one place graphql-armor's refusals get the gateway's codes: its message says the limit
 * ("Query depth limit of 12 exceeded, found 14."), without the "Syntax Error: " it puts before
 * it. A refusal found while validating is reported as a validation error (HTTP 400 for
 * `application/graphql-response+json`); the token count runs while parsing, with no validation
 * context, and is thrown from the parser instead.
 */
function refuseWith(code: string, limit: number) {
  return {
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const refusal = new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code, limit } });
        if (context) context.reportError(refusal);
        else throw refusal;
      },
    ],
  };
}

/**
 * The shape of a query, checked before it runs: depth (fields within fields; fragments add no
 * level, and introspection's `__schema` is not counted, so GraphiQL's schema query passes),
 * aliases, tokens and directives, each refused past its limit with a stable code.
 */
export function useQueryLimits(limits: ShapeLimits): Plugin {
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(maxDepthPlugin({ n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...refuseWith('QUERY_TOO_DEEP', limits.maxDepth) }));
      addPlugin(maxAliasesPlugin({ n: limits.maxAliases, ...refuseWith('TOO_MANY_ALIASES', limits.maxAliases) }));
      addPlugin(maxTokensPlugin({ n: limits.maxTokens, ...refuseWith('QUERY_TOO_LARGE', limits.maxTokens) }));
      addPlugin(maxDirectivesPlugin({ n: limits.maxDirectives, ...refuseWith('TOO_MANY_DIRECTIVES', limits.maxDirectives) }));
    },
  };
}
