import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin, MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionNode, type ValidationContext, type ValidationRule } from 'graphql';
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

/** The rules that check a parsed query's depth, aliases and directives, each refusing with its code. */
export function shapeRules(limits: ShapeLimits): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...refuseWith('QUERY_TOO_DEEP', limits.maxDepth) }),
    maxAliasesRule({ n: limits.maxAliases, ...refuseWith('TOO_MANY_ALIASES', limits.maxAliases) }),
    maxDirectivesRule(limits.maxDirectives),
  ];
}

const tokenLimit = (limits: ShapeLimits) => ({ n: limits.maxTokens, ...refuseWith('QUERY_TOO_LARGE', limits.maxTokens) });

/** Parses a document as a request's is parsed: refused (thrown) past the token limit. */
export function parseWithinTokenLimit(text: string, limits: ShapeLimits): DocumentNode {
  return new MaxTokensParserWLexer(text, tokenLimit(limits)).parseDocument();
}

/**
 * The shape of a query, checked before it runs: depth (fields within fields; fragments add no
 * level, and introspection's `__schema` is not counted, so GraphiQL's schema query passes),
 * aliases, tokens and directives, each refused past its limit with a stable code.
 */
export function useQueryLimits(limits: ShapeLimits): Plugin {
  const rules = shapeRules(limits);
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(maxTokensPlugin(tokenLimit(limits)));
    },
    onValidate({ addValidationRule }) {
      for (const rule of rules) addValidationRule(rule);
    },
  };
}

/**
 * At most `limit` directives in an operation, counted as they are applied: on the operation, its
 * variables, fields and inline fragments, and on each fragment spread together with what its
 * fragment holds, at every spread. (graphql-armor's max-directives, 2.3.1, loses the directives of
 * every spread of a fragment after its first: 100 `...F @include(if: true)` counted 1.)
 */
function maxDirectivesRule(limit: number): ValidationRule {
  return (context) => {
    const perFragment = new Map<string, number>();
    const inFragment = (name: string): number => {
      const known = perFragment.get(name);
      if (known !== undefined) return known;
      // A fragment that spreads itself adds nothing more here; NoFragmentCycles refuses it.
      perFragment.set(name, 0);
      const fragment = context.getFragment(name);
      const found = fragment ? countIn(fragment) : 0;
      perFragment.set(name, found);
      return found;
    };
    const countIn = (node: OperationDefinitionNode | FragmentDefinitionNode | SelectionNode): number => {
      const own = node.directives?.length ?? 0;
      if (node.kind === Kind.FRAGMENT_SPREAD) return own + inFragment(node.name.value);
      const variables = node.kind === Kind.OPERATION_DEFINITION ? (node.variableDefinitions ?? []).reduce((sum, variable) => sum + (variable.directives?.length ?? 0), 0) : 0;
      return own + variables + (node.selectionSet?.selections ?? []).reduce((sum, selection) => sum + countIn(selection), 0);
    };
    return {
      OperationDefinition(operation) {
        const found = countIn(operation);
        if (found > limit) {
          context.reportError(new GraphQLError(`Directives limit of ${limit} exceeded, found ${found}.`, { extensions: { code: 'TOO_MANY_DIRECTIVES', limit } }));
        }
      },
    };
  };
}
