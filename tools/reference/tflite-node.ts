/**
 * Runs @tensorflow/tfjs-tflite (0.0.1-alpha.10) in Node, offline, from node_modules.
 *
 * The package's Node bundle is the browser code: its loader puts the Emscripten script in the page
 * with a <script> tag, or calls importScripts() when there is no `window` (which is Node's case).
 * So Node is treated as a web worker with three small shims, installed before the package is
 * first imported (it starts a preload on import):
 * - `self` and `self.location` exist (the loader reads the page's location; we pass an absolute
 *   wasm directory, so only `origin` is used and it is empty);
 * - `importScripts(url)` evaluates the Emscripten script from disk, always the single-threaded
 *   variant: the threaded one needs browser Workers that Node lacks (the loader picks it because
 *   Node has SharedArrayBuffer); the SIMD flag from the loader's feature probe is kept;
 * - the Module factory is given `wasmBinary` read from disk, since Emscripten would `fetch()` it.
 * Anything outside the wasm directory is refused, so the import-time preload (relative path)
 * fails quietly, as the library already handles, and nothing is ever fetched.
 * After loading, `importScripts` is removed so other code does not mistake Node for a worker.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { runInThisContext } from 'node:vm';
import type { TFLiteModel } from '@tensorflow/tfjs-tflite';

type TfliteModule = typeof import('@tensorflow/tfjs-tflite');

/** What {@link loadTfliteInNode} ran. */
export interface NodeTflite {
  /** The loaded model. */
  readonly model: TFLiteModel;
  /** The Emscripten script that was evaluated (absolute path). */
  readonly script: string;
  /** Whether the SIMD build is used. */
  readonly simd: boolean;
}

/** Directory of tfjs-tflite's WASM files (`.../@tensorflow/tfjs-tflite/wasm/`). */
export function tfliteWasmDir(): string {
  const require = createRequire(import.meta.url);
  // package.json's "main" is dist/tf-tflite.node.js; wasm/ sits beside dist/.
  return join(dirname(dirname(require.resolve('@tensorflow/tfjs-tflite'))), 'wasm') + '/';
}

let loaded: Promise<TfliteModule> | undefined;
let lastScript = '';

function installShims(wasmDir: string): void {
  const g = globalThis as Record<string, unknown>;
  if (g['self'] === undefined) g['self'] = globalThis;
  const self = g['self'] as Record<string, unknown>;
  if (self['location'] === undefined) self['location'] = { origin: '', href: '' };
  g['importScripts'] = (url: string) => {
    const wanted = resolve(url);
    if (!wanted.startsWith(wasmDir)) throw new Error(`tflite-node: refusing to load ${url}`);
    const script = wanted.replace(/_threaded\.js$/, '.js');
    runInThisContext(readFileSync(script, 'utf8'), { filename: script });
    const factory = g['tflite_web_api_ModuleFactory'] as (o: object) => Promise<unknown>;
    const wasmBinary = readFileSync(script.replace(/\.js$/, '.wasm'));
    g['tflite_web_api_ModuleFactory'] = (options: object) => factory({ ...options, wasmBinary });
    lastScript = script;
  };
}

async function importTflite(): Promise<TfliteModule> {
  const wasmDir = tfliteWasmDir();
  installShims(wasmDir);
  const tflite = await import('@tensorflow/tfjs-tflite');
  tflite.setWasmPath(wasmDir);
  return tflite;
}

/**
 * Loads a .tflite model (its bytes) with @tensorflow/tfjs-tflite in Node.
 * Single-threaded by construction (see the file comment).
 */
export async function loadTfliteInNode(bytes: Uint8Array): Promise<NodeTflite> {
  loaded ??= importTflite();
  const tflite = await loaded;
  // A copy: the runner takes an ArrayBuffer, and `bytes` may be a view into a larger one.
  const buffer = bytes.slice().buffer;
  try {
    const model = await tflite.loadTFLiteModel(buffer, { numThreads: 1 });
    const features = await tflite.getWasmFeatures();
    return { model, script: lastScript, simd: features.simd };
  } finally {
    // The Emscripten module is loaded once and cached by the library; later loads need no shim.
    delete (globalThis as Record<string, unknown>)['importScripts'];
  }
}
