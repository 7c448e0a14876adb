import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import type { Plugin } from 'graphql-yoga';

export interface SchemaExposureOptions {
  /** Whether clients may introspect the schema (`INTROSPECTION`; off in production unless set). */
  introspection: boolean;
}

/** graphql-js's suggestions that graphql-armor's pattern leaves: `Did you mean the enum value "ASC"?`. */
const suggestion = /\s*Did you mean [^?]*\?/g;

/**
 * Where introspection is off, the schema is not shown by other means either: `__schema` and
 * `__type` are refused (validation, GRAPHQL_VALIDATION_FAILED), and errors lose graphql-js's
 * "Did you mean …?" suggestions of fields, arguments, types and enum values.
 */
export function useSchemaExposure(options: SchemaExposureOptions): Plugin<Record<string, unknown>> {
  if (options.introspection) return {};
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(useDisableIntrospection());
      addPlugin(blockFieldSuggestionsPlugin({ mask: '' }));
    },
    onResultProcess({ result }) {
      // Variable values are checked at execution, past graphql-armor's validation hook.
      const results = Array.isArray(result) ? result : Symbol.asyncIterator in result ? [] : [result];
      for (const { errors } of results) {
        for (const error of errors ?? []) error.message = error.message.replace(suggestion, '');
      }
    },
  };
}
