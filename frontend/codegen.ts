// TypeScript types and typed documents from the server's exported SDL. `npm run codegen`
// rewrites src/gql/; `npm run codegen:check` (run by `make test`) fails when they are stale.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../graphql_schema/schema.graphql",
  documents: ["src/**/*.{ts,tsx,graphql}", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        // Money amounts are decimal strings, never floats.
        scalars: { DateTime: "string", Date: "string", Decimal: "string", JSON: "unknown" },
        enumsAsTypes: true,
        // Only the types our documents use: an unrelated API change leaves the output as it is.
        onlyOperationTypes: true,
        useTypeImports: true,
        skipTypename: true,
      },
    },
  },
};

export default config;
