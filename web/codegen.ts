// GraphQL Code Generator: every operation and fragment in src/ typed from the API schema
// the gateway serves (api.graphql at the repository's root, the composed supergraph without its
// @inaccessible parts). The client preset gives `graphql()` typed documents and
// `useFragment` for fragment masking. (The persisted query list is written from the same
// sources by Apollo's own generator: see persisted-query-manifest.config.json.)
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../api.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*', '!src/**/*.test.{ts,tsx}'],
  ignoreNoDocuments: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: true,
      },
      config: {
        scalars: { DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: false,
        dedupeFragments: true,
      },
    },
  },
};

export default config;
