import type { CodegenConfig } from '@graphql-codegen/cli';
import { printSchema } from 'graphql';
import { schema } from './src/schema/index.ts';

const scalars = { DateTime: 'string', SafeInt: 'number', JSON: 'unknown', ID: 'string' };

/** Where the command-line tools' operations are typed, and their one trusted-documents manifest written. */
export const CLI_GENERATED = 'src/cli/generated/';

/**
 * `npm run codegen`: prints the code-first schema to `schema/schema.graphql` (sorted, committed,
 * checked for staleness in CI), types the test operations in `test/operations/`, and types the
 * command-line tools' operations (every `.graphql` file under `src/cli/`) with one
 * trusted-documents manifest for them all (`persisted-documents.json`, sha256 ids, which a gateway
 * that runs trusted documents only loads with `TRUSTED_DOCUMENTS`). Each document keeps its text
 * beside its id: the tools send the id, and the text to a gateway that does not hold the manifest.
 */
const config: CodegenConfig = {
  schema: printSchema(schema),
  generates: {
    'schema/schema.graphql': {
      plugins: ['schema-ast'],
      config: { includeDirectives: true, sort: true },
    },
    'test/generated/': {
      documents: 'test/operations/*.graphql',
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { importExtension: '.ts', useTypeImports: true, enumsAsTypes: true, scalars },
    },
    [CLI_GENERATED]: {
      documents: 'src/cli/**/*.graphql',
      preset: 'client',
      presetConfig: { fragmentMasking: false, persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' } },
      config: { documentMode: 'string', importExtension: '.ts', useTypeImports: true, enumsAsTypes: true, strictScalars: true, scalars },
    },
  },
};

export default config;
