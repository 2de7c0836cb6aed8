/**
 * Brotli and gzip copies of the build's text assets (`x.js.br`, `x.js.gz` beside `x.js`).
 *
 * WhiteNoise serves such a sibling instead of the file when the request's Accept-Encoding
 * allows it (with `Vary: Accept-Encoding`), under `make run` (it looks files up on each
 * request) as in production (collectstatic copies them, WhiteNoise indexes them at start-up).
 * Compressing once at build time allows the slowest, best settings (brotli quality 11). A copy
 * that saves less than 5 % is not written (WhiteNoise's own rule): the plain file is served.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

import type { Plugin } from "vite";

const COMPRESSIBLE = /\.(js|mjs|css|svg|json|html|txt|map|graphql|wasm)$/;

function* files(directory: string): Generator<string> {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile()) yield full;
  }
}

export function compress(file: string): { br: number | null; gz: number | null } {
  const data = readFileSync(file);
  const br = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  const gz = gzipSync(data, { level: 9 });
  const worth = (size: number) => size < data.length * 0.95;
  if (worth(br.length)) writeFileSync(`${file}.br`, br);
  if (worth(gz.length)) writeFileSync(`${file}.gz`, gz);
  return { br: worth(br.length) ? br.length : null, gz: worth(gz.length) ? gz.length : null };
}

/** Compresses every text file under `<outDir>/<subdirectory>` once the bundle is written. */
export function precompress(subdirectory = "assets"): Plugin {
  let outDir = "";
  return {
    name: "afp-precompress",
    apply: "build",
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    writeBundle() {
      const root = path.join(outDir, subdirectory);
      let plain = 0;
      let brotli = 0;
      for (const file of files(root)) {
        if (!COMPRESSIBLE.test(file)) continue;
        const sizes = compress(file);
        const size = statSync(file).size;
        plain += size;
        brotli += sizes.br ?? size;
      }
      this.info(`precompressed ${subdirectory}/: ${(plain / 1024).toFixed(0)} KiB, ${(brotli / 1024).toFixed(0)} KiB brotli`);
    },
  };
}
