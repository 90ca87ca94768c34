import { defineConfig } from 'vite';

// The gateway serves index.html at / and every built file under /dashboard/ (see
// gateway/src/http/dashboard.ts). Hashed file names let it cache assets for good.
export default defineConfig({
  base: '/dashboard/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: true,
    // Everything ships inline or as a file of the bundle: the page fetches nothing from elsewhere.
    modulePreload: { polyfill: false },
  },
});
