/// <reference types="vitest/config" />
// The web app. `npm run build` writes dist/app/ (Django serves it under /static/app/ and
// renders index.html on every brand host); `npm run dev` serves it with hot reload and
// proxies the API to Django (DJANGO_URL, default http://127.0.0.1:$PORT, the port `make run`
// serves on, 8000 unless told): open
// http://nova.localhost:5173/. The Host header is kept, so Django picks the brand.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

import { graphqlDocuments } from "./vite-plugins/graphqlDocuments.ts";
import { precompress } from "./vite-plugins/precompress.ts";

const DJANGO_URL = process.env.DJANGO_URL ?? `http://127.0.0.1:${process.env.PORT || "8000"}`;
const BOOT_DOCUMENT = fileURLToPath(new URL("./src/api/boot.graphql", import.meta.url));
const GQL_DIRECTORY = fileURLToPath(new URL("./src/gql", import.meta.url));

/** The boot document ships beside index.html: Django runs it to inline the first data. */
function bootDocument(): Plugin {
  return {
    name: "afp-boot-document",
    generateBundle() {
      this.emitFile({ type: "asset", fileName: "boot.graphql", source: readFileSync(BOOT_DOCUMENT, "utf8") });
    },
  };
}

const toDjango = { target: DJANGO_URL, changeOrigin: false };

export default defineConfig(({ command }) => ({
  base: command === "build" ? "/static/app/" : "/",
  // graphqlDocuments: each page's chunk carries only the GraphQL documents it uses.
  // precompress: .br and .gz beside each asset, served by WhiteNoise (immutable: hashed names).
  plugins: [graphqlDocuments(GQL_DIRECTORY), react(), bootDocument(), precompress()],
  build: {
    outDir: "dist/app",
    emptyOutDir: true,
    // .vite/manifest.json: the chunk graph, read by the JS budget test (tests/webapp).
    manifest: true,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    allowedHosts: [".localhost"],
    proxy: {
      "/graphql": { ...toDjango, ws: true },
      "/r/": toDjango,
      "/csrf/": toDjango,
      "/postback/": toDjango,
      "/media/": toDjango,
      "/static/": toDjango,
      "^/links/[^/]+/qr\\.(svg|png)": toDjango,
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}", "vite-plugins/**/*.test.ts"],
    setupFiles: ["src/test/setup.ts"],
    css: false,
  },
}));
