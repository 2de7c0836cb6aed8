#!/usr/bin/env node
// Copies the offline GraphiQL playground assets from node_modules into
// dist/playground/, which Django serves under /static/playground/
// (frontend/dist is a STATICFILES_DIRS entry).
//
// Usage (from frontend/):  npm install && npm run build:playground
//
// No bundler is involved: every file below is a prebuilt browser bundle that
// ships inside its npm package. Nothing is ever loaded from a CDN.

import { createRequire } from "node:module";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const frontendDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(frontendDir, "dist", "playground");

// [npm package, file inside the package, output file name]
const ASSETS = [
  ["react", "umd/react.production.min.js", "react.production.min.js"],
  ["react-dom", "umd/react-dom.production.min.js", "react-dom.production.min.js"],
  ["graphiql", "graphiql.min.js", "graphiql.min.js"],
  ["graphiql", "graphiql.min.css", "graphiql.min.css"],
  ["graphql-ws", "umd/graphql-ws.min.js", "graphql-ws.min.js"],
];

function packageDir(name) {
  try {
    return dirname(require.resolve(`${name}/package.json`, { paths: [frontendDir] }));
  } catch {
    throw new Error(
      `Package "${name}" is not installed. Run "npm ci" (or "npm install") in frontend/ first.`,
    );
  }
}

// Some bundles end with a "//# sourceMappingURL=..." comment naming a map file
// we do not ship. Drop it so browsers don't request a missing file and Django's
// ManifestStaticFilesStorage doesn't fail on it during collectstatic. Only the
// trailing comment lines of the file are touched.
function stripSourceMapComments(text) {
  return text.replace(/(?:\s*\/[/*][#@][ \t]*sourceMappingURL=[^\n]*)+\s*$/, "\n");
}

async function main() {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const versions = {};
  const files = [];
  for (const [pkg, file, outName] of ASSETS) {
    const dir = packageDir(pkg);
    const { version } = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
    versions[pkg] = version;

    const text = await readFile(join(dir, file), "utf8");
    await writeFile(join(outDir, outName), stripSourceMapComments(text));
    files.push(outName);
    console.log(`playground: ${pkg}@${version}/${file} -> dist/playground/${outName}`);
  }

  const stamp = { builtAt: new Date().toISOString(), versions, files };
  await writeFile(join(outDir, ".built"), JSON.stringify(stamp, null, 2) + "\n");
  console.log(`playground: wrote ${files.length} assets and .built to ${outDir}`);
}

main().catch((err) => {
  console.error(`build:playground failed: ${err.message}`);
  process.exit(1);
});
