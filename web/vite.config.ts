import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The build lands inside the Python package, which serves it (src/neuropilot/console.py): index.html and
// content-hashed files under /assets/. Nothing may be inlined: the page's CSP allows 'self' only, so no
// data: URLs (assetsInlineLimit 0) and no inline module-preload polyfill.
export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: {
    outDir: "../src/neuropilot/web", // relative to web/
    emptyOutDir: true,
    assetsDir: "assets",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
    sourcemap: false,
  },
  server: {
    // `npm run dev` beside `make run`: the API on the same origin through the dev server.
    proxy: { "/v1": "http://127.0.0.1:8000" },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
