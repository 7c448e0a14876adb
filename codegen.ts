import type { CodegenConfig } from '@graphql-codegen/cli';
import { printSchema } from 'graphql';
import { schema } from './src/schema/index.ts';

const scalars = { DateTime: 'string', SafeInt: 'number', JSON: 'unknown', ID: 'string' };

/** Where the report CLI's operations are typed, and their trusted-documents manifest written. */
export const REPORT_GENERATED = 'src/cli/report/gql/';

/**
 * `npm run codegen`: prints the code-first schema to `schema/schema.graphql` (sorted, committed,
 * checked for staleness in CI), types the test operations in `test/operations/`, and types the
 * command-line tools' operations with their trusted-documents manifests (`persisted-documents.json`,
 * sha256 ids, which a gateway that runs trusted documents only loads with `TRUSTED_DOCUMENTS`): the
 * report keeps its documents' text too (a gateway without the manifest runs them as text), the
 * onboarding CLI only their hashes.
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
    [REPORT_GENERATED]: {
      documents: 'src/cli/report/*.graphql',
      preset: 'client',
      presetConfig: { fragmentMasking: false, persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' } },
      config: { documentMode: 'string', importExtension: '.ts', useTypeImports: true, enumsAsTypes: true, strictScalars: true, scalars },
    },
    'src/cli/onboard/generated/': {
      documents: 'src/cli/onboard/operations.graphql',
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        // The CLI holds each operation's hash, never its text: it runs against a gateway that
        // runs only the documents of the manifest written next to it.
        persistedDocuments: { mode: 'replaceDocumentWithHash', hashAlgorithm: 'sha256' },
      },
      config: { documentMode: 'string', importExtension: '.ts', useTypeImports: true, enumsAsTypes: true, strictScalars: true, scalars },
    },
  },
};

export default config;
