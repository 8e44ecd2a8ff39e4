import { describe, expect, it } from 'vitest';
import type { BackendChoice } from './backend';
import {
  PROTOCOL_VERSION,
  isPageMessage,
  isRgbaPixels,
  isWorkerMessage,
  message,
  transferablesOf,
  type FrameMessage,
  type PageMessage,
  type PredictionMessage,
  type ReadyMessage,
  type WorkerMessage,
} from './protocol';

const rgba = (width: number, height: number) => ({
  data: new Uint8ClampedArray(width * height * 4),
  width,
  height,
});

const choice: BackendChoice = {
  backend: 'wasm',
  reason: 'Running on WASM.',
  info: { backend: 'wasm', simd: true, multithread: false, threads: 1 },
  capabilities: { crossOriginIsolated: false, webgpuApi: false, cores: 2 },
  attempts: [{ backend: 'wasm', ok: true, ms: 3 }],
  override: null,
};

const validPage: PageMessage[] = [
  message({
    type: 'load',
    modelId: 'cox3d-xs',
    variant: null,
    backend: null,
    weightsBaseUrl: null,
  }),
  message({
    type: 'load',
    modelId: 'movinet-a0-stream',
    variant: 'int8',
    backend: { requested: 'webgpu', source: 'url' },
    weightsBaseUrl: '/weights/',
  }),
  message({ type: 'frame', frameId: 0, timestamp: 1.25, pixels: rgba(4, 3) }),
  message({ type: 'setMode', mode: 'both' }),
  message({ type: 'reset', reason: 'seek' }),
  message({ type: 'dispose' }),
];

const ready: ReadyMessage = message({
  type: 'ready',
  modelInfo: {
    id: 'tiny',
    displayName: 'Tiny',
    labels: ['a', 'b'],
    input: { height: 4, width: 4, channels: 3 },
    frameRate: 5,
    clipLength: 4,
    twinLength: 4,
    trained: false,
    params: 120,
    description: 'A test model.',
  },
  backend: 'wasm',
  backendReason: 'Running on WASM.',
  backendChoice: choice,
  flopsPerStep: { macs: 10, elementwise: 4 },
  flopsPerClip: { macs: 40, elementwise: 16 },
  stateBytes: 64,
  onlineDelay: 3,
});

const prediction: PredictionMessage = message({
  type: 'prediction',
  frameId: 7,
  timestamp: 3.5,
  preprocessMs: 0.4,
  online: { kind: 'scores', top5: [{ index: 1, prob: 0.75 }], latencyMs: 2 },
  offline: { kind: 'filling', frames: 2, needed: 4, latencyMs: 0 },
});

const validWorker: WorkerMessage[] = [
  message({ type: 'progress', phase: 'weights', loaded: 10, total: 100 }),
  ready,
  prediction,
  message({
    type: 'prediction',
    frameId: 8,
    timestamp: 3.7,
    preprocessMs: 0,
    online: { kind: 'scores', top5: [], latencyMs: 1 },
    offline: { kind: 'scores', top5: [{ index: 0, prob: 1 }], latencyMs: 5 },
    agreement: { top1Agree: false, maxAbsDiff: 0.5 },
  }),
  message({ type: 'dropped', count: 2, total: 5, reason: 'busy' }),
  message({ type: 'error', kind: 'backend', message: 'No backend.', recoverable: false }),
  message({
    type: 'backendChanged',
    backend: 'wasm',
    previous: 'webgpu',
    reason: 'WebGPU stopped working.',
    backendChoice: choice,
  }),
];

/** A copy of `base` with `patch` applied (undefined values delete the key). */
function patched(base: object, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete out[k];
  return out;
}

describe('isPageMessage', () => {
  it('accepts every well-formed page message', () => {
    for (const m of validPage) expect(isPageMessage(m), m.type).toBe(true);
  });

  it('rejects other versions, unknown types and non-objects', () => {
    const load = validPage[0] as PageMessage;
    expect(isPageMessage({ ...load, v: PROTOCOL_VERSION + 1 })).toBe(false);
    expect(isPageMessage(patched(load, { v: undefined }))).toBe(false);
    expect(isPageMessage({ v: PROTOCOL_VERSION, type: 'launch' })).toBe(false);
    expect(isPageMessage(null)).toBe(false);
    expect(isPageMessage('load')).toBe(false);
    expect(isPageMessage(ready)).toBe(false);
  });

  it('rejects malformed loads', () => {
    const load = validPage[1] as PageMessage;
    expect(isPageMessage(patched(load, { modelId: '' }))).toBe(false);
    expect(isPageMessage(patched(load, { modelId: 3 }))).toBe(false);
    expect(isPageMessage(patched(load, { variant: undefined }))).toBe(false);
    expect(isPageMessage(patched(load, { backend: 'webgpu' }))).toBe(false);
    expect(isPageMessage(patched(load, { backend: { requested: 'webgpu', source: 'x' } }))).toBe(
      false,
    );
    expect(isPageMessage(patched(load, { weightsBaseUrl: 1 }))).toBe(false);
  });

  it('rejects frames with bad ids, times or pixels', () => {
    const frame = validPage[2] as PageMessage;
    expect(isPageMessage(patched(frame, { frameId: -1 }))).toBe(false);
    expect(isPageMessage(patched(frame, { frameId: 1.5 }))).toBe(false);
    expect(isPageMessage(patched(frame, { timestamp: Number.NaN }))).toBe(false);
    expect(isPageMessage(patched(frame, { timestamp: '1' }))).toBe(false);
    expect(isPageMessage(patched(frame, { pixels: undefined }))).toBe(false);
    // 4x3 RGBA needs 48 bytes.
    const short = { data: new Uint8ClampedArray(47), width: 4, height: 3 };
    expect(isPageMessage(patched(frame, { pixels: short }))).toBe(false);
    const plain = { data: new Uint8Array(48), width: 4, height: 3 };
    expect(isPageMessage(patched(frame, { pixels: plain }))).toBe(false);
    expect(isPageMessage(patched(frame, { pixels: rgba(0, 0) }))).toBe(false);
  });

  it('rejects unknown modes and reset reasons', () => {
    expect(isPageMessage(message({ type: 'setMode', mode: 'all' } as never))).toBe(false);
    expect(isPageMessage(message({ type: 'reset', reason: 'because' } as never))).toBe(false);
  });
});

describe('isRgbaPixels', () => {
  it('checks the byte length against the size', () => {
    expect(isRgbaPixels(rgba(2, 2))).toBe(true);
    expect(isRgbaPixels({ data: new Uint8ClampedArray(16), width: 2, height: 3 })).toBe(false);
    expect(isRgbaPixels({ data: new Uint8ClampedArray(16), width: 2.5, height: 2 })).toBe(false);
    expect(isRgbaPixels(null)).toBe(false);
  });
});

describe('isWorkerMessage', () => {
  it('accepts every well-formed worker message', () => {
    for (const m of validWorker) expect(isWorkerMessage(m), m.type).toBe(true);
  });

  it('rejects page messages and other versions', () => {
    for (const m of validPage) expect(isWorkerMessage(m)).toBe(false);
    expect(isWorkerMessage({ ...ready, v: 0 })).toBe(false);
  });

  it('rejects malformed progress and drops', () => {
    const progress = validWorker[0] as WorkerMessage;
    expect(isWorkerMessage(patched(progress, { phase: 'compile' }))).toBe(false);
    expect(isWorkerMessage(patched(progress, { loaded: -1 }))).toBe(false);
    const dropped = validWorker[4] as WorkerMessage;
    expect(isWorkerMessage(patched(dropped, { count: 0 }))).toBe(false);
    expect(isWorkerMessage(patched(dropped, { total: 1 }))).toBe(false); // total < count
    expect(isWorkerMessage(patched(dropped, { reason: 'tired' }))).toBe(false);
  });

  it('rejects a ready message with broken model info, flops or backend', () => {
    const info = ready.modelInfo;
    expect(isWorkerMessage({ ...ready, modelInfo: { ...info, labels: ['a', 2] } })).toBe(false);
    expect(isWorkerMessage({ ...ready, modelInfo: { ...info, clipLength: 0 } })).toBe(false);
    expect(isWorkerMessage({ ...ready, modelInfo: { ...info, frameRate: 0 } })).toBe(false);
    expect(
      isWorkerMessage({ ...ready, modelInfo: { ...info, input: { height: 4, width: 4 } } }),
    ).toBe(false);
    expect(isWorkerMessage({ ...ready, modelInfo: patched(info, { trained: undefined }) })).toBe(
      false,
    );
    expect(isWorkerMessage({ ...ready, flopsPerStep: { macs: -1, elementwise: 0 } })).toBe(false);
    expect(isWorkerMessage({ ...ready, backend: 'metal' })).toBe(false);
    // The choice must be for the backend announced.
    expect(isWorkerMessage({ ...ready, backend: 'cpu' })).toBe(false);
    expect(isWorkerMessage({ ...ready, stateBytes: 1.5 })).toBe(false);
  });

  it('rejects predictions with bad scores or agreement', () => {
    const bad = (patch: Record<string, unknown>) => isWorkerMessage(patched(prediction, patch));
    expect(bad({ frameId: -2 })).toBe(false);
    expect(bad({ preprocessMs: -1 })).toBe(false);
    expect(bad({ online: { kind: 'scores', top5: [{ index: 0, prob: 1.5 }], latencyMs: 1 } })).toBe(
      false,
    );
    const six = Array.from({ length: 6 }, (_, index) => ({ index, prob: 0.1 }));
    expect(bad({ online: { kind: 'scores', top5: six, latencyMs: 1 } })).toBe(false);
    expect(bad({ online: { kind: 'scores', top5: [], latencyMs: -1 } })).toBe(false);
    expect(bad({ offline: { kind: 'filling', frames: 1, latencyMs: 0 } })).toBe(false);
    expect(bad({ offline: { kind: 'guess', latencyMs: 0 } })).toBe(false);
    expect(bad({ agreement: { top1Agree: 1, maxAbsDiff: 0 } })).toBe(false);
    expect(bad({ agreement: { top1Agree: true, maxAbsDiff: -0.1 } })).toBe(false);
    // Both modes may be absent (e.g. a frame that only filled buffers is still answered).
    expect(bad({ online: undefined, offline: undefined })).toBe(true);
  });

  it('rejects errors without a message or a known kind, and bad backend changes', () => {
    const error = validWorker[5] as WorkerMessage;
    expect(isWorkerMessage(patched(error, { message: '' }))).toBe(false);
    expect(isWorkerMessage(patched(error, { kind: 'oops' }))).toBe(false);
    expect(isWorkerMessage(patched(error, { recoverable: 'yes' }))).toBe(false);
    const changed = validWorker[6] as WorkerMessage;
    expect(isWorkerMessage(patched(changed, { previous: 'gpu' }))).toBe(false);
    expect(isWorkerMessage(patched(changed, { backend: 'cpu' }))).toBe(false);
  });
});

describe('transferablesOf', () => {
  it('transfers the pixel buffer of a frame and nothing of other messages', () => {
    const frame = validPage[2] as FrameMessage;
    const list = transferablesOf(frame);
    expect(list).toHaveLength(1);
    expect(list[0]).toBe((frame.pixels as { data: Uint8ClampedArray }).data.buffer);
    expect(transferablesOf(validPage[0] as PageMessage)).toEqual([]);
  });
});
