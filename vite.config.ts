import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Cross-origin isolation: SharedArrayBuffer (and so WASM threads) needs both headers on the page
 * and on every script, worker and .wasm it loads. Everything is served from our own origin.
 */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

/**
 * Whitespace-only minification. The threaded WASM backend starts its pthread workers from the
 * source text of its Emscripten factory (`factory.toString()` into a Blob). Vite's default oxc
 * minifier (compress + mangle) rewrites that function to use names bound outside it; in the worker
 * they do not exist ("ReferenceError: e is not defined"), the pool never starts and the backend
 * hangs. With compress and mangle off the text stays self-contained; e2e/boot.spec.ts checks it.
 * Applies to the app's chunks and to any Worker bundle (the inference worker loads the backend too).
 */
const minify = { compress: false, mangle: false, codegen: true } as const;

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', headers: isolationHeaders },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, headers: isolationHeaders },
  worker: { format: 'es', rolldownOptions: { output: { minify } } },
  build: {
    target: 'es2022',
    // Large chunks are expected: the TF.js backends alone are several hundred kB.
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      output: { minify },
      // classify.html: the page `npm run classify` drives (tools/classify/classify.ts).
      input: { main: 'index.html', classify: 'classify.html' },
    },
  },
});
