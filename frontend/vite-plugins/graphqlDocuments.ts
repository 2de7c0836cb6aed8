/**
 * Per-document imports for the client preset's `graphql(`…`)` calls.
 *
 * At run time `graphql(source)` looks `source` up in the map of src/gql/gql.ts, which imports
 * every document of the app: every page would download all of them. This transform replaces
 * each call by the document the map gives for that exact source (the same lookup, done at build
 * time), imported from a module of its own (`virtual:afp-gql/XxxDocument`, the document's
 * object copied from src/gql/graphql.ts). A bundler never splits a module between chunks, so
 * importing the documents from graphql.ts itself would still put every used document in one
 * chunk shared by all pages; one module per document lets each go to the chunks of the pages
 * that use it. (The codegen preset's babel plugin imports from graphql.ts.) A call whose text
 * is not in the map (stale codegen) fails the build instead of yielding an empty document.
 * Line numbers are kept (a replaced call is padded with its own line breaks).
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";

import type { Plugin } from "vite";

/** `"<source>": types.XxxDocument,` entries of gql.ts's `documents` object. */
const MAP_ENTRY = /^\s*("(?:[^"\\]|\\.)*"): types\.([A-Za-z_$][\w$]*),$/;
const EXPORTED_CALL = /\bexport const ([A-Za-z_$][\w$]*) = graphql\(\s*`((?:[^`\\$]|\$(?!\{))*)`\s*\);/g;
const CALL = /\bgraphql\(\s*`((?:[^`\\$]|\$(?!\{))*)`\s*\)/g;
const DOCUMENT_EXPORT = /^export const ([A-Za-z_$][\w$]*) = (\{.*\}) as unknown as DocumentNode<.*>;$/;
const VIRTUAL = "virtual:afp-gql/";
const IMPORT = /^import\s*\{\s*graphql\s*\}\s*from\s*["']((?:\.\.?\/)+(?:[\w.-]+\/)*gql)(?:\/index|\/gql)?["'];?[ \t]*$/m;

export function readDocumentMap(gqlTs: string): Map<string, string> {
  const map = new Map<string, string>();
  let inside = false;
  for (const line of gqlTs.split("\n")) {
    if (line.startsWith("const documents")) inside = true;
    else if (inside && line.startsWith("};")) break;
    else if (inside) {
      const match = MAP_ENTRY.exec(line);
      if (!match) throw new Error(`unexpected line in gql.ts's documents map: ${line.slice(0, 80)}`);
      map.set(JSON.parse(match[1]) as string, match[2]);
    }
  }
  if (!inside || map.size === 0) throw new Error("gql.ts has no documents map (run npm run codegen)");
  return map;
}

/** The documents' objects (as JSON text) exported by graphql.ts, by export name. */
export function readDocumentObjects(graphqlTs: string): Map<string, string> {
  const objects = new Map<string, string>();
  for (const line of graphqlTs.split("\n")) {
    const match = DOCUMENT_EXPORT.exec(line);
    if (match) objects.set(match[1], match[2]);
  }
  return objects;
}

/** `code` with its `graphql(`…`)` calls replaced by imports of their documents; null if it has none. */
export function replaceDocumentCalls(code: string, documents: Map<string, string>, where = "source"): string | null {
  if (!code.includes("graphql(")) return null;
  const names = new Set<string>();
  const lookUp = (source: string) => {
    const name = documents.get(source);
    if (!name) {
      const first = source.trim().split("\n")[0];
      throw new Error(`${where}: graphql(\`${first} …\`) is not in src/gql/gql.ts: run npm run codegen`);
    }
    return name;
  };
  const padding = (text: string) => "\n".repeat(text.split("\n").length - 1);
  // `export const X = graphql(…);` becomes an import re-exported, so the importers of X are
  // linked to the document's module itself: a file of documents then ties none of them to
  // another (each goes to the chunks of the pages using it).
  const reexported = code.replace(EXPORTED_CALL, (statement, local: string, source: string) => {
    const name = lookUp(source);
    return `import ${local} from "${VIRTUAL}${name}"; export { ${local} };${padding(statement)}`;
  });
  const replaced = reexported.replace(CALL, (call, source: string) => {
    const name = lookUp(source);
    names.add(name);
    return name + padding(call);
  });
  if (replaced === code) return null;
  if (/\bgraphql\(\s*`/.test(replaced)) {
    throw new Error(`${where}: a graphql(\`…\`) call with \${…} or a backslash: write the document as plain text`);
  }
  // The tagged function is no longer called: drop its import (it would pull in the whole map)
  // unless something else in the file still uses it.
  let result = replaced;
  const usedElsewhere = /\bgraphql\b/.test(replaced.replace(IMPORT, ""));
  if (!usedElsewhere) result = replaced.replace(IMPORT, "");
  const imports = [...names].sort().map((name) => `import ${name} from "${VIRTUAL}${name}";`);
  return imports.join(" ") + result;
}

export function graphqlDocuments(gqlDirectory: string): Plugin {
  const gqlTs = path.join(gqlDirectory, "gql.ts");
  const graphqlTs = path.join(gqlDirectory, "graphql.ts");
  const sources = path.dirname(gqlDirectory) + path.sep;
  const cache = new Map<string, { stamp: number; value: Map<string, string> }>();
  const read = (file: string, parse: (text: string) => Map<string, string>) => {
    const stamp = statSync(file).mtimeMs;
    const hit = cache.get(file);
    if (hit && hit.stamp === stamp) return hit.value;
    const value = parse(readFileSync(file, "utf8"));
    cache.set(file, { stamp, value });
    return value;
  };
  return {
    name: "afp-graphql-documents",
    enforce: "pre",
    resolveId(id) {
      return id.startsWith(VIRTUAL) ? `\0${id}` : null;
    },
    load(id) {
      if (!id.startsWith(`\0${VIRTUAL}`)) return null;
      this.addWatchFile(graphqlTs);
      const name = id.slice(VIRTUAL.length + 1);
      const object = read(graphqlTs, readDocumentObjects).get(name);
      if (!object) throw new Error(`src/gql/graphql.ts exports no document ${name}: run npm run codegen`);
      return { code: `export default ${object};\n`, map: null };
    },
    transform(code, id) {
      const file = id.split("?")[0];
      // The app's sources only (src/), not the generated files themselves.
      if (!/\.[cm]?tsx?$/.test(file) || !file.startsWith(sources) || file.startsWith(gqlDirectory + path.sep)) {
        return null;
      }
      const result = replaceDocumentCalls(code, read(gqlTs, readDocumentMap), file);
      return result === null ? null : { code: result, map: null };
    },
  };
}
