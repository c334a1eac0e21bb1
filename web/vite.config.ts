// Vite builds two pages: the dashboard (index.html, served at /dashboard/) and the API
// reference (docs.html, served at /docs). Every script and stylesheet is an external,
// content-hashed file under /dashboard/assets/ (the server's strict CSP allows no inline
// script or style), and nothing is fetched from anywhere else at run time.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/dashboard/",
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0, // no data: URLs for assets: every asset is a hashed file
    modulePreload: { polyfill: false },
    cssCodeSplit: true,
    rollupOptions: {
      input: {
        index: new URL("./index.html", import.meta.url).pathname,
        docs: new URL("./docs.html", import.meta.url).pathname,
      },
    },
  },
});
