import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../continual/testing';
import type { BackendInfo, BackendName, Capabilities } from './backend';
import { BACKEND_PRIORITY } from './backend';
import { startBackendWith, type BackendRequest } from './backend-fallback';
import {
  InferenceEngine,
  compareProbabilities,
  isLikelyBackendFailure,
  topK,
  type CreateModelOptions,
} from './inference-engine';
import {
  isWorkerMessage,
  message,
  type FrameMessage,
  type InferenceMode,
  type MessageOfType,
  type ModeOutcome,
  type WorkerMessage,
} from './protocol';
import { buildTinyModel, type TinyModel, type TinyModelOptions } from './testing-model';

// Probabilities computed by the engine and by an independent reference path on the same backend:
// float32 throughout; 1e-5 on cpu/wasm; the webgpu adapter's reductions round differently, 1e-4.
const TOL = tf.getBackend() === 'webgpu' ? 1e-4 : 1e-5;

const SIZE = 4;
const CLIP = 4;

const caps: Capabilities = { crossOriginIsolated: true, webgpuApi: true, cores: 4 };
const infos: Record<BackendName, BackendInfo> = {
  webgpu: { backend: 'webgpu', adapter: 'test adapter', software: false },
  wasm: { backend: 'wasm', simd: true, multithread: true, threads: 2 },
  webgl: { backend: 'webgl', version: 2 },
  cpu: { backend: 'cpu' },
};

/**
 * Backend starts decided by the real backend module over fake probes that touch no TF.js state:
 * the engine sees 'webgpu' etc. while the tests compute on the test project's backend.
 */
function fakeBackends(available: readonly BackendName[]) {
  const requests: BackendRequest[] = [];
  const probe = (b: BackendName) => () =>
    Promise.resolve(
      available.includes(b)
        ? { ok: true as const, info: infos[b] }
        : { ok: false as const, error: 'absent in this test' },
    );
  const probes = {
    webgpu: probe('webgpu'),
    wasm: probe('wasm'),
    webgl: probe('webgl'),
    cpu: probe('cpu'),
  };
  return {
    requests,
    start: (r: BackendRequest) => {
      requests.push(r);
      return startBackendWith(probes, caps, r);
    },
  };
}

interface HarnessOptions {
  /** Model options, or per backend. */
  readonly model?: TinyModelOptions | ((backend: string) => TinyModelOptions);
  readonly available?: readonly BackendName[];
  readonly failModel?: boolean;
  readonly watchBackend?: (backend: BackendName, onLost: (reason: string) => void) => void;
}

function harness(options: HarnessOptions = {}) {
  const posted: WorkerMessage[] = [];
  const models: TinyModel[] = [];
  const factoryCalls: { id: string; options: CreateModelOptions }[] = [];
  const backends = fakeBackends(options.available ?? BACKEND_PRIORITY);
  const engine = new InferenceEngine({
    createModel: (id, opts) => {
      factoryCalls.push({ id, options: opts });
      opts.onProgress?.({ phase: 'weights', loaded: 50, total: 100 });
      opts.onProgress?.({ phase: 'weights', loaded: 100, total: 100 });
      if (options.failModel) return Promise.reject(new Error('weights missing'));
      const m = options.model;
      const built = buildTinyModel(typeof m === 'function' ? m(opts.backend ?? '') : m);
      models.push(built);
      return Promise.resolve(built);
    },
    startBackend: backends.start,
    post: (msg) => {
      // Everything the engine says must pass the page's guard.
      expect(isWorkerMessage(msg), JSON.stringify(msg)).toBe(true);
      posted.push(msg);
    },
    ...(options.watchBackend ? { watchBackend: options.watchBackend } : {}),
  });
  const of = <T extends WorkerMessage['type']>(type: T) =>
    posted.filter((m): m is MessageOfType<T> => m.type === type);
  const load = (variant: string | null = null) =>
    engine.handle(
      message({ type: 'load', modelId: 'tiny', variant, backend: null, weightsBaseUrl: null }),
    );
  const setMode = (mode: InferenceMode) => engine.handle(message({ type: 'setMode', mode }));
  return { engine, posted, of, models, factoryCalls, backends, load, setMode };
}

/** Seeded RGBA bytes of a SIZE x SIZE frame, and the model input the engine should derive. */
function frameData(seed: number): { bytes: Uint8ClampedArray; input: number[] } {
  const rand = seededRandom(seed);
  const bytes = new Uint8ClampedArray(SIZE * SIZE * 4);
  const input: number[] = [];
  for (let i = 0; i < SIZE * SIZE; i++) {
    for (let c = 0; c < 4; c++) {
      const v = Math.floor(rand() * 256);
      bytes[i * 4 + c] = v;
      if (c < 3) input.push(v / 255);
    }
  }
  return { bytes, input };
}

function frame(frameId: number, seed = frameId + 100): FrameMessage {
  const { bytes } = frameData(seed);
  return message({
    type: 'frame',
    frameId,
    timestamp: frameId / 5,
    pixels: { data: bytes, width: SIZE, height: SIZE },
  });
}

function inputTensor(seed: number): tf.Tensor4D {
  return tf.tensor4d(frameData(seed).input, [1, SIZE, SIZE, 3]);
}

async function probs(logits: tf.Tensor2D): Promise<number[]> {
  const p = tf.softmax(logits);
  const values = Array.from(await p.data());
  tf.dispose([p, logits]);
  return values;
}

/** Online probabilities of a fresh reference model over frames with the given seeds. */
async function referenceOnline(
  seeds: readonly number[],
  options: TinyModelOptions = {},
): Promise<(number[] | null)[]> {
  const model = buildTinyModel(options);
  const out: (number[] | null)[] = [];
  for (const s of seeds) {
    const x = inputTensor(s);
    const logits = model.step(x);
    x.dispose();
    out.push(logits === null ? null : await probs(logits));
  }
  model.dispose();
  return out;
}

/** Clip-based probabilities of the reference model over frames with the given seeds. */
async function referenceOffline(seeds: readonly number[], options: TinyModelOptions = {}) {
  const model = buildTinyModel(options);
  const frames = seeds.map(inputTensor);
  const clip = tf.stack(frames, 1) as tf.Tensor5D;
  const values = await probs(model.predictClip(clip));
  tf.dispose([clip, ...frames]);
  model.dispose();
  return values;
}

function expectScoresMatch(outcome: ModeOutcome | undefined, expected: readonly number[]): void {
  expect(outcome?.kind).toBe('scores');
  if (outcome?.kind !== 'scores') return;
  const want = topK(expected, 5);
  expect(outcome.top5.map((s) => s.index)).toEqual(want.map((s) => s.index));
  outcome.top5.forEach((s, i) =>
    expect(Math.abs(s.prob - (want[i] as { prob: number }).prob)).toBeLessThanOrEqual(TOL),
  );
  expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
}

describe('topK and compareProbabilities', () => {
  it('orders the k largest, lower index first on ties, and copes with k > length', () => {
    expect(topK([0.1, 0.4, 0.2, 0.4, 0.05, 0.3], 3)).toEqual([
      { index: 1, prob: 0.4 },
      { index: 3, prob: 0.4 },
      { index: 5, prob: 0.3 },
    ]);
    expect(topK([0.5, 0.5], 5)).toEqual([
      { index: 0, prob: 0.5 },
      { index: 1, prob: 0.5 },
    ]);
    expect(topK([], 5)).toEqual([]);
    expect(topK([3, 1, 2], 1)).toEqual([{ index: 0, prob: 3 }]);
  });

  it('reports top-1 agreement and the largest per-class difference', () => {
    expect(compareProbabilities([0.7, 0.2, 0.1], [0.6, 0.1, 0.3])).toEqual({
      top1Agree: true,
      maxAbsDiff: expect.closeTo(0.2, 12),
    });
    const b = compareProbabilities([0.2, 0.5, 0.3], [0.5, 0.2, 0.3]);
    expect(b.top1Agree).toBe(false);
    expect(b.maxAbsDiff).toBeCloseTo(0.3, 12);
    expect(compareProbabilities([1], [1])).toEqual({ top1Agree: true, maxAbsDiff: 0 });
    expect(() => compareProbabilities([1, 0], [1])).toThrow(/Cannot compare 2/);
  });
});

describe('isLikelyBackendFailure', () => {
  it('counts any error on a GPU backend, crashes on wasm, nothing on cpu', () => {
    expect(isLikelyBackendFailure(new Error('shape mismatch'), 'webgpu')).toBe(true);
    expect(isLikelyBackendFailure('lost', 'webgl')).toBe(true);
    expect(
      isLikelyBackendFailure(new Error('RuntimeError: memory access out of bounds'), 'wasm'),
    ).toBe(true);
    expect(isLikelyBackendFailure(new Error('Aborted(OOM)'), 'wasm')).toBe(true);
    expect(isLikelyBackendFailure(new Error('shape mismatch'), 'wasm')).toBe(false);
    expect(isLikelyBackendFailure(new Error('Aborted()'), 'cpu')).toBe(false);
  });
});

describe('InferenceEngine loading', () => {
  it('starts the preferred backend, forwards progress and announces the model', async () => {
    const h = harness();
    await h.engine.handle(
      message({
        type: 'load',
        modelId: 'tiny',
        variant: 'v2',
        backend: null,
        weightsBaseUrl: '/w/',
      }),
    );
    expect(h.of('progress').map((p) => p.loaded)).toEqual([50, 100]);
    const ready = h.of('ready');
    expect(ready).toHaveLength(1);
    const r = ready[0] as MessageOfType<'ready'>;
    const model = h.models[0] as TinyModel;
    expect(r.backend).toBe('webgpu');
    expect(r.backendReason).toMatch(/WebGPU/);
    expect(r.modelInfo.labels).toEqual(model.info.labels);
    expect(r.modelInfo.clipLength).toBe(CLIP);
    expect(r.flopsPerStep).toEqual(model.flopsPerStep);
    expect(r.flopsPerClip).toEqual(model.flopsPerClip);
    expect(r.stateBytes).toBe(model.stateBytes);
    // Causal conv (delay 0) then a valid 4-frame pool: 3 steps without output.
    expect(r.onlineDelay).toBe(CLIP - 1);
    expect(h.factoryCalls).toEqual([
      {
        id: 'tiny',
        options: {
          backend: 'webgpu',
          variant: 'v2',
          weightsBaseUrl: '/w/',
          onProgress: expect.any(Function),
        },
      },
    ]);
    expect(h.engine.backend).toBe('webgpu');
    h.engine.dispose();
  });

  it('sends a variant’s description (pruning, recovery, held-out agreement) with ready', async () => {
    const variant = {
      baseModel: 'tiny',
      displayName: '30 % pruned + SPLoRA r8',
      pruneRatio: 0.3,
      criterion: 'l1-expand',
      adapter: 'splora' as const,
      rank: 8,
      learnedParams: 120,
      params: 900,
      evaluation: { top1Agreement: 0.853, meanKl: 0.341, frames: 211 },
    };
    const h = harness({ model: { variant } });
    await h.load('v');
    const r = h.of('ready')[0] as MessageOfType<'ready'>;
    expect(r.modelInfo.variant).toEqual(variant);
    expect(r.modelInfo.variant).not.toBe(variant);
    const dense = harness();
    await dense.load();
    expect('variant' in (dense.of('ready')[0] as MessageOfType<'ready'>).modelInfo).toBe(false);
    h.engine.dispose();
    dense.engine.dispose();
  });

  it('passes no variant or weights URL when none is given, and honours an override', async () => {
    const h = harness();
    await h.engine.handle(
      message({
        type: 'load',
        modelId: 'tiny',
        variant: null,
        backend: { requested: 'wasm', source: 'url' },
        weightsBaseUrl: null,
      }),
    );
    const opts = h.factoryCalls[0]?.options as CreateModelOptions;
    expect('variant' in opts).toBe(false);
    expect('weightsBaseUrl' in opts).toBe(false);
    expect(opts.backend).toBe('wasm');
    expect(h.of('ready')[0]?.backendReason).toMatch(/as requested by \?backend=wasm/);
    h.engine.dispose();
  });

  it('reports a model that fails to load, and a browser with no backend', async () => {
    const h = harness({ failModel: true });
    await h.load();
    expect(h.of('error')).toEqual([
      expect.objectContaining({ kind: 'model-load', recoverable: false }),
    ]);
    expect(h.of('error')[0]?.message).toMatch(/"tiny" could not be loaded: weights missing/);
    expect(h.of('ready')).toHaveLength(0);

    const none = harness({ available: [] });
    await none.load();
    expect(none.of('error')).toEqual([
      expect.objectContaining({ kind: 'backend', recoverable: false }),
    ]);
    expect(none.of('error')[0]?.message).toMatch(/No TF.js backend could start/);
  });

  it('lets a newer load supersede one still waiting', async () => {
    const h = harness();
    const first = h.load('a');
    const second = h.load('b');
    await Promise.all([first, second]);
    expect(h.factoryCalls.map((c) => c.options.variant)).toEqual(['b']);
    expect(h.of('ready')).toHaveLength(1);
    h.engine.dispose();
  });

  it('drops frames that arrive before a model, and rejects malformed messages', async () => {
    const h = harness();
    await h.engine.handle(frame(0));
    expect(h.of('dropped')).toEqual([
      expect.objectContaining({ count: 1, total: 1, reason: 'not-ready' }),
    ]);
    await h.engine.handle({ v: 1, type: 'frame', frameId: 1 });
    await h.engine.handle('hello');
    expect(h.of('error').map((e) => [e.kind, e.recoverable])).toEqual([
      ['protocol', true],
      ['protocol', true],
    ]);
  });
});

describe('InferenceEngine predictions', () => {
  it('online: fills for clipLength - 1 frames, then matches a reference stream', async () => {
    const h = harness();
    await h.load();
    const seeds = [1, 2, 3, 4, 5, 6].map((i) => i + 100);
    for (let i = 0; i < seeds.length; i++) await h.engine.handle(frame(i));
    const preds = h.of('prediction');
    expect(preds.map((p) => p.frameId)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i));
    const ref = await referenceOnline([0, 1, 2, 3, 4, 5].map((i) => i + 100));
    for (let i = 0; i < 6; i++) {
      const p = preds[i] as MessageOfType<'prediction'>;
      expect(p.offline).toBeUndefined();
      expect(p.agreement).toBeUndefined();
      expect(p.timestamp).toBe(i / 5);
      expect(p.preprocessMs).toBeGreaterThanOrEqual(0);
      if (i < CLIP - 1) {
        expect(p.online).toEqual({
          kind: 'filling',
          frames: i + 1,
          needed: CLIP,
          latencyMs: expect.any(Number),
        });
        expect(ref[i]).toBeNull();
      } else {
        expectScoresMatch(p.online, ref[i] as number[]);
        // Six classes: five reported, most probable first.
        const top5 = p.online?.kind === 'scores' ? p.online.top5 : [];
        expect(top5).toHaveLength(5);
        for (let k = 1; k < 5; k++)
          expect(top5[k - 1]?.prob).toBeGreaterThanOrEqual(top5[k]?.prob as number);
      }
    }
    expect(h.engine.stats).toEqual({ received: 6, predicted: 6, dropped: 0 });
    h.engine.dispose();
  });

  it('offline: fills until clipLength frames, then scores the last clipLength frames', async () => {
    const h = harness({ model: { kt: 3 } });
    await h.load();
    await h.setMode('offline');
    for (let i = 0; i < 6; i++) await h.engine.handle(frame(i));
    const preds = h.of('prediction');
    for (let i = 0; i < CLIP - 1; i++) {
      expect(preds[i]?.offline).toEqual({
        kind: 'filling',
        frames: i + 1,
        needed: CLIP,
        latencyMs: 0,
      });
      expect(preds[i]?.online).toBeUndefined();
    }
    for (let i = CLIP - 1; i < 6; i++) {
      const window = [i - 3, i - 2, i - 1, i].map((j) => j + 100);
      expectScoresMatch(preds[i]?.offline, await referenceOffline(window, { kt: 3 }));
    }
    h.engine.dispose();
  });

  it('both, temporal kernel 1: online equals the clip baseline (agreement within tolerance)', async () => {
    const h = harness();
    await h.load();
    await h.setMode('both');
    for (let i = 0; i < 6; i++) await h.engine.handle(frame(i));
    const preds = h.of('prediction');
    expect(preds.slice(0, CLIP - 1).every((p) => p.agreement === undefined)).toBe(true);
    for (const p of preds.slice(CLIP - 1)) {
      expect(p.agreement?.top1Agree).toBe(true);
      expect(p.agreement?.maxAbsDiff).toBeLessThanOrEqual(TOL);
    }
  });

  it('both, temporal kernel 3: agreement numbers equal those of the reference paths', async () => {
    const h = harness({ model: { kt: 3 } });
    await h.load();
    await h.setMode('both');
    const n = 7;
    for (let i = 0; i < n; i++) await h.engine.handle(frame(i));
    const preds = h.of('prediction');
    const online = await referenceOnline(
      Array.from({ length: n }, (_, i) => i + 100),
      { kt: 3 },
    );
    let largest = 0;
    for (let i = CLIP - 1; i < n; i++) {
      const offline = await referenceOffline(
        [i - 3, i - 2, i - 1, i].map((j) => j + 100),
        { kt: 3 },
      );
      const want = compareProbabilities(online[i] as number[], offline);
      const got = preds[i]?.agreement;
      expect(got?.top1Agree).toBe(want.top1Agree);
      expect(Math.abs((got?.maxAbsDiff as number) - want.maxAbsDiff)).toBeLessThanOrEqual(2 * TOL);
      largest = Math.max(largest, got?.maxAbsDiff as number);
    }
    // The clip's zero padding hides the two frames before the window from the baseline, so the
    // modes really differ here (else this test could not tell a wrong comparison).
    expect(largest).toBeGreaterThan(1e-3);
  });

  it('switching online off and on restarts the online state; the window keeps filling', async () => {
    const h = harness();
    await h.load();
    await h.setMode('online');
    for (let i = 0; i < 5; i++) await h.engine.handle(frame(i));
    await h.setMode('offline');
    await h.engine.handle(frame(5));
    await h.setMode('online');
    await h.engine.handle(frame(6));
    await h.setMode('both');
    await h.engine.handle(frame(7));
    const preds = h.of('prediction');
    // Frame 5, offline only: the window already holds frames 2..5.
    expect(preds[5]?.online).toBeUndefined();
    expectScoresMatch(preds[5]?.offline, await referenceOffline([102, 103, 104, 105]));
    // Frame 6, online again: a fresh state, filling from 1.
    expect(preds[6]?.online).toMatchObject({ kind: 'filling', frames: 1, needed: CLIP });
    expect(preds[6]?.offline).toBeUndefined();
    expect(preds[7]?.online).toMatchObject({ kind: 'filling', frames: 2 });
    expect(preds[7]?.offline?.kind).toBe('scores');
    h.engine.dispose();
  });

  it('reset clears the online state and the clip window', async () => {
    const h = harness();
    await h.load();
    await h.setMode('both');
    for (let i = 0; i < 5; i++) await h.engine.handle(frame(i));
    await h.engine.handle(message({ type: 'reset', reason: 'seek' }));
    await h.engine.handle(frame(5));
    const last = h.of('prediction')[5];
    expect(last?.online).toMatchObject({ kind: 'filling', frames: 1 });
    expect(last?.offline).toMatchObject({ kind: 'filling', frames: 1 });
    expect(h.engine.heldFrames).toBe(1);
    // After the reset the stream restarts: frames 6..8 complete a window of frames 5..8.
    for (let i = 6; i < 9; i++) await h.engine.handle(frame(i));
    expectScoresMatch(
      h.of('prediction')[8]?.online,
      (await referenceOnline([105, 106, 107, 108]))[3] as number[],
    );
    h.engine.dispose();
  });

  it('reads frames of any size: crops the centre and resizes to the model input', async () => {
    const h = harness();
    await h.load();
    // 8 x 6: centre square 6 x 6 at x = 1; resized to 4 x 4.
    const data = new Uint8ClampedArray(8 * 6 * 4).fill(128);
    await h.engine.handle(
      message({ type: 'frame', frameId: 0, timestamp: 0, pixels: { data, width: 8, height: 6 } }),
    );
    expect(h.of('prediction')).toHaveLength(1);
    h.engine.dispose();
  });

  it.skipIf(typeof OffscreenCanvas === 'undefined')(
    'takes ImageBitmaps and closes them (browser only: Node has no ImageBitmap)',
    async () => {
      const h = harness();
      await h.load();
      const canvas = new OffscreenCanvas(6, 4);
      const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
      ctx.fillStyle = 'rgb(10, 200, 30)';
      ctx.fillRect(0, 0, 6, 4);
      const bitmap = await createImageBitmap(canvas);
      await h.engine.handle(message({ type: 'frame', frameId: 0, timestamp: 0, pixels: bitmap }));
      expect(h.of('prediction')).toHaveLength(1);
      // A closed ImageBitmap reports a size of 0.
      expect(bitmap.width).toBe(0);
      h.engine.dispose();
    },
  );
});

describe('InferenceEngine back-pressure', () => {
  it('keeps one frame in flight and only the newest waiting', async () => {
    const h = harness();
    await h.load();
    // Ten frames arrive while the first is being processed (its read-back is awaited).
    const pending = Array.from({ length: 10 }, (_, i) => h.engine.handle(frame(i)));
    await Promise.all(pending);
    expect(h.of('prediction').map((p) => p.frameId)).toEqual([0, 9]);
    const drops = h.of('dropped');
    expect(drops).toHaveLength(8);
    expect(drops.every((d) => d.count === 1 && d.reason === 'busy')).toBe(true);
    expect(drops.map((d) => d.total)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(h.engine.stats).toEqual({ received: 10, predicted: 2, dropped: 8 });
    h.engine.dispose();
  });

  it('with a slow model, answers every frame exactly once and drops the excess', async () => {
    const h = harness({ model: { stepDelayMs: 15 } });
    await h.load();
    const sent = 30;
    const handled: Promise<void>[] = [];
    // A producer on another thread: frame i is due 3i ms after the start, and every frame due
    // by the time this thread is free again arrives at once (as queued messages do in a Worker).
    await new Promise<void>((resolve) => {
      const start = performance.now();
      let i = 0;
      const timer = setInterval(() => {
        while (i < sent && performance.now() - start >= 3 * i) {
          handled.push(h.engine.handle(frame(i)));
          i++;
        }
        if (i === sent) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    await Promise.all(handled);
    const predicted = h.of('prediction').length;
    const dropped = h.of('dropped').reduce((n, d) => n + d.count, 0);
    expect(predicted + dropped).toBe(sent);
    // Frames come every ~3 ms and a step takes >= 15 ms: most must be dropped.
    expect(dropped).toBeGreaterThanOrEqual(sent / 2);
    expect(predicted).toBeGreaterThanOrEqual(2);
    // Frame ids of predictions increase: nothing is processed out of order.
    const ids = h.of('prediction').map((p) => p.frameId);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    h.engine.dispose();
  });

  it('drops the frame in flight and the waiting one when a reset arrives', async () => {
    const h = harness();
    await h.load();
    // Frames 0..2 fill the buffers (no read-back); frame 3 is scored, so it awaits a read-back.
    for (let i = 0; i < 3; i++) await h.engine.handle(frame(i));
    const inFlight = h.engine.handle(frame(3));
    const waiting = h.engine.handle(frame(4));
    await h.engine.handle(message({ type: 'reset', reason: 'seek' }));
    await Promise.all([inFlight, waiting]);
    expect(h.of('prediction').map((p) => p.frameId)).toEqual([0, 1, 2]);
    expect(h.of('dropped').map((d) => d.reason)).toEqual(['reset', 'reset']);
    expect(h.engine.heldFrames).toBe(0);
    await h.engine.handle(frame(5));
    expect(h.of('prediction')[3]?.online).toMatchObject({ kind: 'filling', frames: 1 });
    h.engine.dispose();
  });
});

describe('InferenceEngine tensors', () => {
  it('leaks no tensors over 200 frames in both modes, and frees everything on dispose', async () => {
    const before = tf.memory().numTensors;
    const h = harness({ model: { kt: 2 } });
    await h.load();
    await h.setMode('both');
    let steady = 0;
    for (let i = 0; i < 200; i++) {
      await h.engine.handle(frame(i, i % 7));
      if (i === 19) steady = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(steady);
    expect(h.engine.heldFrames).toBe(CLIP);
    expect(h.of('error')).toEqual([]);
    expect(h.of('prediction')).toHaveLength(200);
    await h.engine.handle(message({ type: 'dispose' }));
    expect(h.models[0]?.disposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('InferenceEngine backend failure', () => {
  /** A model that throws a device-loss error on its 3rd step, when built for WebGPU. */
  const losesDeviceOnWebgpu = (backend: string): TinyModelOptions =>
    backend === 'webgpu'
      ? {
          beforeStep: (n) => {
            if (n === 3) throw new Error('GPUDevice was lost');
          },
        }
      : {};

  it('moves to the next backend, rebuilds the model and keeps the stream going', async () => {
    const before = tf.memory().numTensors;
    const h = harness({ model: losesDeviceOnWebgpu });
    await h.load();
    await h.setMode('both');
    for (let i = 0; i < 8; i++) await h.engine.handle(frame(i));

    const changed = h.of('backendChanged');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ backend: 'wasm', previous: 'webgpu' });
    expect(changed[0]?.reason).toMatch(
      /^WebGPU stopped working \(GPUDevice was lost\); inference continues on WASM with SIMD/,
    );
    expect(h.factoryCalls.map((c) => c.options.backend)).toEqual(['webgpu', 'wasm']);
    expect(h.backends.requests.map((r) => r.exclude)).toEqual([[], ['webgpu']]);
    expect(h.models[0]?.disposed).toBe(true);
    expect(h.engine.backend).toBe('wasm');
    expect(h.of('error')).toHaveLength(0);

    // Frame 2 failed and was dropped; every other frame was answered.
    expect(h.of('dropped')).toEqual([expect.objectContaining({ count: 1, reason: 'error' })]);
    const preds = h.of('prediction');
    expect(preds.map((p) => p.frameId)).toEqual([0, 1, 3, 4, 5, 6, 7]);
    // Frame 3 is the first on the new model: its state and window start empty.
    expect(preds[2]?.online).toMatchObject({ kind: 'filling', frames: 1 });
    expect(preds[2]?.offline).toMatchObject({ kind: 'filling', frames: 1 });
    // Frames 3..6 fill a window; frame 6 is scored online and offline from frames 3..6.
    expectScoresMatch(
      preds[5]?.online,
      (await referenceOnline([103, 104, 105, 106]))[3] as number[],
    );
    expectScoresMatch(preds[5]?.offline, await referenceOffline([103, 104, 105, 106]));

    // A later load stays off the failed backend.
    await h.load();
    expect(h.backends.requests[2]?.exclude).toEqual(['webgpu']);
    expect(h.of('ready')[1]?.backend).toBe('wasm');
    h.engine.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('falls back when the device is reported lost between frames (device.lost)', async () => {
    const watchers: { backend: BackendName; onLost: (reason: string) => void }[] = [];
    const h = harness({ watchBackend: (backend, onLost) => watchers.push({ backend, onLost }) });
    await h.load();
    await h.engine.handle(frame(0));
    expect(watchers.map((w) => w.backend)).toEqual(['webgpu']);
    watchers[0]?.onLost('the GPU device was lost: unknown');
    await h.engine.handle(frame(1)); // waits behind the fallback
    expect(h.of('backendChanged')[0]).toMatchObject({ backend: 'wasm', previous: 'webgpu' });
    expect(watchers.map((w) => w.backend)).toEqual(['webgpu', 'wasm']);
    // A late report from the old device changes nothing.
    watchers[0]?.onLost('again');
    await h.engine.handle(frame(2));
    expect(h.of('backendChanged')).toHaveLength(1);
    expect(h.of('prediction').map((p) => p.frameId)).toEqual([0, 1, 2]);
    h.engine.dispose();
  });

  it('reports a dead end when no other backend can take over', async () => {
    const h = harness({ model: losesDeviceOnWebgpu, available: ['webgpu'] });
    await h.load();
    for (let i = 0; i < 4; i++) await h.engine.handle(frame(i));
    const errors = h.of('error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'backend', recoverable: false });
    expect(errors[0]?.message).toMatch(
      /^WebGPU stopped working \(GPUDevice was lost\) and no other backend could take over/,
    );
    expect(h.of('dropped').map((d) => d.reason)).toEqual(['error', 'not-ready']);
    expect(h.engine.backend).toBeNull();
  });

  it('reports an ordinary inference error on the CPU backend and goes on', async () => {
    const h = harness({
      available: ['cpu'],
      model: {
        beforeStep: (n) => {
          if (n === 2) throw new Error('bad frame');
        },
      },
    });
    await h.load();
    for (let i = 0; i < 3; i++) await h.engine.handle(frame(i));
    expect(h.of('error')).toEqual([
      expect.objectContaining({
        kind: 'inference',
        recoverable: true,
        message: 'A frame could not be processed: bad frame',
      }),
    ]);
    expect(h.of('prediction').map((p) => p.frameId)).toEqual([0, 2]);
    expect(h.of('backendChanged')).toHaveLength(0);
    h.engine.dispose();
  });
});
