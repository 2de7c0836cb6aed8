import { readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { readDocumentMap, readDocumentObjects, replaceDocumentCalls } from "./graphqlDocuments";

const GQL_TS = readFileSync(path.resolve("src/gql/gql.ts"), "utf8") // vitest runs in frontend/;
const GRAPHQL_TS = readFileSync(path.resolve("src/gql/graphql.ts"), "utf8");
const LOGOUT = "\n  mutation Logout {\n    logout {\n      ok\n    }\n  }\n";

describe("graphqlDocuments", () => {
  const documents = readDocumentMap(GQL_TS);
  const objects = readDocumentObjects(GRAPHQL_TS);

  it("knows every document of the generated map, each with its object in graphql.ts", () => {
    expect(documents.size).toBeGreaterThan(100);
    for (const name of documents.values()) expect(objects.has(name), name).toBe(true);
    expect(documents.get(LOGOUT)).toBe("LogoutDocument");
    expect(JSON.parse(objects.get("LogoutDocument")!).definitions[0].name.value).toBe("Logout");
  });

  it("replaces a call by an import of its document, keeping the lines", () => {
    const source = `import { graphql } from "../gql";\nconst Logout = graphql(\`${LOGOUT}\`);\nuse(Logout);\n`;
    const result = replaceDocumentCalls(source, documents)!;
    expect(result).toContain('import LogoutDocument from "virtual:afp-gql/LogoutDocument";');
    expect(result).toContain("const Logout = LogoutDocument");
    expect(result).not.toMatch(/from "\.\.\/gql"/); // the map of every document is not imported
    expect(result.split("\n").length).toBe(source.split("\n").length);
  });

  it("turns an exported document into a re-export of its own module", () => {
    const source = `import { graphql } from "../../gql";\nexport const LogoutMutation = graphql(\`${LOGOUT}\`);\n`;
    const result = replaceDocumentCalls(source, documents)!;
    expect(result).toContain('import LogoutMutation from "virtual:afp-gql/LogoutDocument"; export { LogoutMutation };');
  });

  it("fails the build on a document codegen has not seen", () => {
    const source = 'import { graphql } from "../gql";\nconst X = graphql(`\n  query NotGenerated { me { id } }\n`);\n';
    expect(() => replaceDocumentCalls(source, documents, "x.ts")).toThrow(/query NotGenerated .*npm run codegen/);
  });

  it("leaves a file without calls alone", () => {
    expect(replaceDocumentCalls('const url = "/graphql/";\n', documents)).toBeNull();
  });
});
