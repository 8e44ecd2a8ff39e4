/**
 * The inference Worker: binds {@link InferenceEngine} to `onmessage`/`postMessage`. Started by the
 * page as `new Worker(new URL('./inference.worker.ts', import.meta.url), { type: 'module' })`.
 * Everything with logic lives in the engine, which is tested in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './backend';
import { InferenceEngine, type ModelFactory } from './inference-engine';
import { message, type WorkerMessage } from './protocol';
import { startWorkerBackend } from './worker-backend';

/** The slice of the worker scope used here (the DOM and WebWorker libraries disagree on `self`). */
interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: WorkerMessage): void;
}

/** The slice of a WebGPU device the loss watcher needs. */
interface LosableDevice {
  readonly lost: Promise<{ readonly reason?: string; readonly message?: string }>;
}

const scope = globalThis as unknown as WorkerScope;

// The registry pulls in every model's code; loading it lazily keeps the worker's start quick.
const createModel: ModelFactory = async (id, options) =>
  (await import('../models/registry')).createModel(id, options);

/**
 * Reports a lost WebGPU device. tfjs-webgpu does not watch `device.lost` itself; without this the
 * loss would only surface as a failed read-back on the next frame.
 */
function watchBackend(backend: BackendName, onLost: (reason: string) => void): void {
  if (backend !== 'webgpu') return;
  const device = (tf.backend() as unknown as { device?: LosableDevice }).device;
  void device?.lost.then((info) => {
    // 'destroyed' means we (or TF.js) destroyed the device on purpose.
    if (info.reason === 'destroyed') return;
    onLost(`the GPU device was lost${info.message ? `: ${info.message}` : ''}`);
  });
}

const engine = new InferenceEngine({
  createModel,
  startBackend: startWorkerBackend,
  post: (msg) => scope.postMessage(msg),
  watchBackend,
});

scope.onmessage = (event) => {
  // The engine reports its own failures; anything escaping it is a bug, still worth a message.
  engine.handle(event.data).catch((e: unknown) =>
    scope.postMessage(
      message({
        type: 'error',
        kind: 'inference',
        message: `The inference worker hit an unexpected error: ${e instanceof Error ? e.message : String(e)}`,
        recoverable: true,
      }),
    ),
  );
};
