/// <reference types="vitest/config" />
import { readFileSync } from "node:fs";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The dev server proxies every API path (taken from the committed OpenAPI schema) to the API process,
// so `npm run dev` works against `lakecast serve` without listing routes twice.
const apiTarget = process.env.LAKECAST_API_URL ?? "http://127.0.0.1:8000";
const schema = JSON.parse(readFileSync(new URL("./openapi.json", import.meta.url), "utf-8")) as {
  paths: Record<string, unknown>;
};
const apiPrefixes = [...new Set(Object.keys(schema.paths).map((p) => "/" + p.split("/")[1]))];
const proxy = Object.fromEntries(apiPrefixes.map((prefix) => [prefix, { target: apiTarget }]));

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  test: { environment: "node", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
