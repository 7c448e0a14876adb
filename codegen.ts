import type { CodegenConfig } from '@graphql-codegen/cli';
import { printSchema } from 'graphql';
import { schema } from './src/schema/index.ts';

/**
 * `npm run codegen`: prints the code-first schema to `schema/schema.graphql` (sorted, committed,
 * checked for staleness in CI) and types the test operations in `test/operations/`.
 */
const config: CodegenConfig = {
  schema: printSchema(schema),
  documents: 'test/operations/*.graphql',
  generates: {
    'schema/schema.graphql': {
      plugins: ['schema-ast'],
      config: { includeDirectives: true, sort: true },
    },
    'test/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { importExtension: '.ts', useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: 'string', SafeInt: 'number', JSON: 'unknown', ID: 'string' } },
    },
  },
};

export default config;
