/**
 * The real probes: start each TF.js backend in this browser and check that it computes.
 *
 * Each backend's package is imported only when its probe runs, so a page that runs on WebGPU never
 * downloads the WASM binaries. Uses `globalThis`, never `window`, so it also works in a Worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo, BackendProbes, Capabilities, ProbeOutcome } from './backend';
import { wasmFileMap } from './wasm-paths';

/** The slice of the WebGPU API the probe needs (TypeScript's DOM library does not declare it). */
interface GpuAdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(): Promise<{
    readonly info?: GpuAdapterInfoLike;
    readonly isFallbackAdapter?: boolean;
  } | null>;
}

function gpuApi(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav?.gpu ?? undefined;
}

/** Reads the cheap facts about the page without starting any backend. */
export function readCapabilities(): Capabilities {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    webgpuApi: gpuApi() !== undefined,
    cores: nav?.hardwareConcurrency ?? 1,
  };
}

const fail = (error: string): ProbeOutcome => ({ ok: false, error });

/**
 * Makes `name` the active backend and checks it on a small product of ones, since a backend can
 * initialise yet compute wrongly or not at all (a lost GPU device, a broken WASM thread pool).
 * The product is large enough for the WASM backend to split it over its threads.
 * Returns an error message, or null when all is well.
 */
async function activate(name: string): Promise<string | null> {
  // setBackend catches initialisation errors itself, logs them and answers false.
  if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') failed; see the console`;
  const a = tf.ones([32, CHECK_INNER]);
  const b = tf.ones([CHECK_INNER, 32]);
  const product = tf.matMul(a, b);
  try {
    const got = await product.data();
    const bad = got.findIndex((v) => v !== CHECK_INNER);
    return bad < 0 ? null : `a check product gave ${got[bad]} instead of ${CHECK_INNER}`;
  } finally {
    tf.dispose([a, b, product]);
  }
}

/** Inner dimension of the check product: every entry of ones[32,k]·ones[k,32] equals k exactly. */
const CHECK_INNER = 64;

function describeAdapter(info: GpuAdapterInfoLike | undefined): string {
  const named = [info?.vendor, info?.architecture].filter((s) => s != null && s !== '').join(' ');
  return info?.description || named || 'an unnamed adapter';
}

async function probeWebGpu(): Promise<ProbeOutcome> {
  const gpu = gpuApi();
  if (!gpu) return fail('navigator.gpu missing');
  let adapter: Awaited<ReturnType<GpuLike['requestAdapter']>>;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return fail(`requestAdapter threw: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!adapter) return fail('requestAdapter() found no WebGPU adapter');
  const adapterName = describeAdapter(adapter.info);
  const software =
    adapter.info?.isFallbackAdapter === true ||
    adapter.isFallbackAdapter === true ||
    /swiftshader|llvmpipe|software|microsoft basic/i.test(adapterName);
  await import('@tensorflow/tfjs-backend-webgpu');
  const error = await activate('webgpu');
  if (error) return fail(error);
  const info: BackendInfo = { backend: 'webgpu', adapter: adapterName, software };
  return { ok: true, info };
}

async function probeWasm(): Promise<ProbeOutcome> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmFileMap);
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  // TF.js loads the threaded build exactly when both flags hold (it has no threads without SIMD).
  const multithread = simd && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
  const error = await activate('wasm');
  if (error) return fail(error);
  // The size of the pool the backend really started, not the number of cores.
  const info: BackendInfo = { backend: 'wasm', simd, multithread, threads: wasm.getThreadsCount() };
  return { ok: true, info };
}

async function probeWebGl(): Promise<ProbeOutcome> {
  await import('@tensorflow/tfjs-backend-webgl');
  const version = tf.env().getNumber('WEBGL_VERSION');
  if (version === 0) return fail('no WebGL context');
  const error = await activate('webgl');
  if (error) return fail(error);
  return { ok: true, info: { backend: 'webgl', version } };
}

async function probeCpu(): Promise<ProbeOutcome> {
  await import('@tensorflow/tfjs-backend-cpu');
  const error = await activate('cpu');
  return error ? fail(error) : { ok: true, info: { backend: 'cpu' } };
}

/** The probes for this browser, in the shape {@link chooseBackend} takes. */
export const browserProbes: BackendProbes = {
  webgpu: probeWebGpu,
  wasm: probeWasm,
  webgl: probeWebGl,
  cpu: probeCpu,
};
