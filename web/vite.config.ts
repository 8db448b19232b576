/// <reference types="node" />
import { copyFileSync, mkdirSync } from "node:fs";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

// The API reference (Scalar, at /api/docs) is served from our own assets, so the docs work on a
// server without internet access.
function apiReference(): Plugin {
  return {
    name: "fairview-api-reference",
    apply: "build",
    closeBundle() {
      const from = "node_modules/@scalar/api-reference/dist";
      mkdirSync("dist/assets/scalar", { recursive: true });
      copyFileSync(`${from}/browser/standalone.js`, "dist/assets/scalar/standalone.js");
      copyFileSync(`${from}/style.css`, "dist/assets/scalar/style.css");
    },
  };
}

export default defineConfig({
  plugins: [apiReference()],
  build: { outDir: "dist", assetsDir: "assets", sourcemap: true, target: "es2022" },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
  test: { environment: "happy-dom", include: ["tests/**/*.test.ts"] },
});
