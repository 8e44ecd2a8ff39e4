import { defineConfig, type Plugin } from 'vite';
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
 * Content-Security-Policy of the built app: everything from our own origin and nothing else.
 * - script-src: 'wasm-unsafe-eval' compiles the TF.js WASM backends; blob: is where the threaded
 *   backend's pthread workers come from (it builds their script from its own factory's text).
 * - worker-src: the inference worker (own origin) and those pthread workers (blob:).
 * - connect-src: weights, labels and .wasm files (own origin); blob:/data: for fetches of local
 *   buffers. media-src: a dropped file plays from a blob: URL, the camera from a MediaStream.
 * - No inline scripts or styles, no plugins, no forms, no <base>.
 * The dev server sends none: React's fast refresh injects an inline script there.
 */
const cspDirectives = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "style-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

/** The policy as an HTTP header (frame-ancestors works only there: no framing by other sites). */
export const contentSecurityPolicy = [...cspDirectives, "frame-ancestors 'none'"].join('; ');

/** Writes the policy into every built page too, so any static host serves it. */
function cspMeta(): Plugin {
  return {
    name: 'continual-video-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: cspDirectives.join('; ') },
        injectTo: 'head-prepend',
      },
    ],
  };
}

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
  plugins: [react(), cspMeta()],
  server: { host: '127.0.0.1', headers: isolationHeaders },
  preview: {
    host: '127.0.0.1',
    port: 4173,
    strictPort: true,
    headers: { ...isolationHeaders, 'Content-Security-Policy': contentSecurityPolicy },
  },
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
