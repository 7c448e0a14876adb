import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * `npm run codegen`: types the operations in `src/**\/*.graphql` against the gateway's committed
 * schema, and writes the trusted-documents manifest the gateway loads (`TRUSTED_DOCUMENTS`).
 */
const config: CodegenConfig = {
  schema: '../../schema/schema.graphql',
  documents: 'src/**/*.graphql',
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        // The bundle holds each operation's hash, never its text: the gateway runs only the
        // documents of `src/gql/persisted-documents.json`, the manifest written next to it.
        persistedDocuments: { mode: 'replaceDocumentWithHash', hashAlgorithm: 'sha256' },
      },
      config: {
        documentMode: 'string',
        // Generated imports end in `.ts`: they resolve as written under `moduleResolution` bundler and NodeNext alike.
        importExtension: '.ts',
        useTypeImports: true,
        enumsAsTypes: true,
        // A scalar the gateway adds fails codegen until it is mapped here.
        strictScalars: true,
        scalars: { DateTime: 'string', SafeInt: 'number', JSON: 'unknown', ID: 'string' },
      },
    },
  },
};

export default config;
