import { defineConfig } from "vitest/config";

export default defineConfig({
  build: { outDir: "dist", assetsDir: "assets", sourcemap: true, target: "es2022" },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
  test: { environment: "happy-dom", include: ["tests/**/*.test.ts"] },
});
