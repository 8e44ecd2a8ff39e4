import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { disposeState, frameAt } from './base';
import type { Clip, Frame, TemporalFill } from './module';
import { CoAvgPool3d, CoMaxPool3d, CoPool3d, type CoPool3dOptions, type PoolKind } from './pool3d';
import { expectNoLeakedTensors, expectSteadyTensors, seededClip, seededTensor } from './testing';
import {
  expectTensorsCloseAsync,
  maxAbsDiffAsync,
  streamAndCompareAsync,
  valuesOf,
} from './testing-async';

// Streaming and offline run the same ops in the same order (spatial pool, then frames combined
// oldest first), so cpu and wasm agree to float32 rounding of a few adds; webgpu's shaders may
// differ with the batch size of a dispatch, hence the looser bound there.
const webgpu = tf.getBackend() === 'webgpu';
const STREAM_TOL = webgpu ? 1e-5 : 1e-6;
// Against a float64 JS reference: float32 rounding of sums of up to 27 values in [-5, 1].
const REF_TOL = 1e-5;

type Shape5 = [number, number, number, number, number];

/**
 * Plain float64 reference of this module's semantics: time padded with real frames (zeros or
 * copies) that count in the average; TF SAME in space with the padding excluded.
 */
function referencePool(
  values: Float32Array,
  shape: Shape5,
  kind: PoolKind,
  kernel: [number, number, number],
  stride: [number, number, number],
  spatial: 'same' | 'valid',
  pad: { start: number; end: number },
  fill: TemporalFill,
): { values: number[]; shape: Shape5 } {
  const [n, t, h, w, c] = shape;
  const [kt, kh, kw] = kernel;
  const [st, sh, sw] = stride;
  const outLen = (size: number, k: number, s: number) =>
    spatial === 'same' ? Math.ceil(size / s) : Math.floor((size - k) / s) + 1;
  const ho = outLen(h, kh, sh);
  const wo = outLen(w, kw, sw);
  const padTop = spatial === 'same' ? Math.floor(Math.max((ho - 1) * sh + kh - h, 0) / 2) : 0;
  const padLeft = spatial === 'same' ? Math.floor(Math.max((wo - 1) * sw + kw - w, 0) / 2) : 0;
  const to = Math.floor((t + pad.start + pad.end - kt) / st) + 1;
  const at = (b: number, f: number, y: number, x: number, ch: number) =>
    values[(((b * t + f) * h + y) * w + x) * c + ch] as number;
  // Spatial pass of padded frame tp: null for a zero frame.
  const source = (tp: number): number | null => {
    const f = tp - pad.start;
    if (f >= 0 && f < t) return f;
    if (fill === 'zeros') return null;
    return f < 0 ? 0 : t - 1;
  };
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let o = 0; o < to; o++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++)
          for (let ch = 0; ch < c; ch++) {
            const perFrame: number[] = [];
            for (let j = 0; j < kt; j++) {
              const f = source(o * st + j);
              let acc = kind === 'avg' ? 0 : -Infinity;
              let count = 0;
              for (let dy = 0; dy < kh; dy++)
                for (let dx = 0; dx < kw; dx++) {
                  const y = oy * sh - padTop + dy;
                  const x = ox * sw - padLeft + dx;
                  if (y < 0 || y >= h || x < 0 || x >= w) continue;
                  const v = f === null ? 0 : at(b, f, y, x, ch);
                  acc = kind === 'avg' ? acc + v : Math.max(acc, v);
                  count++;
                }
              perFrame.push(kind === 'avg' ? acc / count : acc);
            }
            out.push(
              kind === 'avg' ? perFrame.reduce((a, v) => a + v, 0) / kt : Math.max(...perFrame),
            );
          }
  return { values: out, shape: [n, to, ho, wo, c] };
}

interface Config {
  readonly label: string;
  readonly options: Omit<CoPool3dOptions, 'kind' | 'name'>;
  readonly shape: Shape5;
  /** Hand-derived delay: kt - 1 - padding.start. */
  readonly delay: number;
}

const configs: Config[] = [
  {
    label: '3x2x2 stride 1, valid',
    options: { kernelSize: [3, 2, 2], stride: [1, 1, 1] },
    shape: [1, 8, 4, 4, 3],
    delay: 2,
  },
  {
    label: '3x2x2 spatial stride 2, causal zeros',
    options: { kernelSize: [3, 2, 2], stride: [1, 2, 2], temporalPadding: 'causal' },
    shape: [1, 7, 4, 4, 2],
    delay: 0,
  },
  {
    label: '3x3x3 same, causal replicate',
    options: {
      kernelSize: [3, 3, 3],
      stride: [1, 1, 1],
      spatialPadding: 'same',
      temporalPadding: 'causal',
      temporalFill: 'replicate',
    },
    shape: [1, 6, 5, 5, 2],
    delay: 0,
  },
  {
    label: '2x3x3 stride 2 same, valid',
    options: { kernelSize: [2, 3, 3], stride: [2, 2, 2], spatialPadding: 'same' },
    shape: [1, 9, 5, 6, 2],
    delay: 1,
  },
  {
    label: '3x2x2 temporal stride 2, symmetric padding 1, zeros',
    options: { kernelSize: [3, 2, 2], stride: [2, 1, 1], temporalPadding: 1 },
    shape: [1, 9, 3, 3, 2],
    delay: 1,
  },
  {
    label: '3x2x2 default stride, padding 2 replicate',
    options: { kernelSize: [3, 2, 2], temporalPadding: 2, temporalFill: 'replicate' },
    shape: [1, 10, 4, 4, 2],
    delay: 0,
  },
  {
    label: '1x2x2 default stride',
    options: { kernelSize: [1, 2, 2] },
    shape: [1, 4, 4, 4, 2],
    delay: 0,
  },
  {
    label: '4x1x1 stride 1 (no spatial pass), causal',
    options: { kernelSize: [4, 1, 1], stride: [1, 1, 1], temporalPadding: 'causal' },
    shape: [1, 7, 3, 3, 2],
    delay: 0,
  },
  {
    label: '3x3x2 stride [2,1,2] same, causal, batch 2',
    options: {
      kernelSize: [3, 3, 2],
      stride: [2, 1, 2],
      spatialPadding: 'same',
      temporalPadding: 'causal',
    },
    shape: [2, 8, 4, 5, 3],
    delay: 0,
  },
];

function build(kind: PoolKind, options: Config['options']): CoPool3d {
  return new CoPool3d({ name: 'pool', kind, ...options });
}

async function referenceFor(module: CoPool3d, clip: Clip): Promise<tf.Tensor> {
  const [kt, kh, kw] = module.kernelSize;
  const [st, sh, sw] = module.strides;
  const ref = referencePool(
    (await clip.data()) as Float32Array,
    clip.shape as Shape5,
    module.kind,
    [kt, kh, kw],
    [st, sh, sw],
    module.spatialPadding,
    module.padding,
    module.temporalFill,
  );
  return tf.tensor(ref.values, ref.shape);
}

/** Every step's output (null where the step returned none), from a reset state. */
function streamAll(module: CoPool3d, clip: Clip, from = 0, to = clip.shape[1]): (Frame | null)[] {
  const outs: (Frame | null)[] = [];
  for (let t = from; t < to; t++) {
    const frame = frameAt(clip, t);
    // Inside tf.tidy, as callers do: kept state must survive the scope.
    outs.push(tf.tidy(() => module.forwardStep(frame) ?? undefined) ?? null);
    frame.dispose();
  }
  return outs;
}

async function expectSameOutputs(a: (Frame | null)[], b: (Frame | null)[]): Promise<void> {
  expect(a.map((x) => x === null)).toEqual(b.map((x) => x === null));
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x && y) expect(await maxAbsDiffAsync(x, y)).toBe(0);
  }
}

/** Disposes tensors, skipping the nulls of steps without output. */
function release(tensors: (tf.Tensor | null)[]): void {
  for (const t of tensors) t?.dispose();
}

/** The first value of each step's output (null where there was none). */
async function firsts(outs: (Frame | null)[]): Promise<(number | null)[]> {
  const values: (number | null)[] = [];
  for (const x of outs) values.push(x === null ? null : ((await x.data())[0] ?? Number.NaN));
  return values;
}

describe('CoPool3d streaming equals the offline twin', () => {
  for (const kind of ['avg', 'max'] as const) {
    for (const config of configs) {
      it(`${kind} ${config.label}`, async () => {
        await expectNoLeakedTensors(async () => {
          const module = build(kind, config.options);
          expect(module.delay).toBe(config.delay);
          const clip = seededClip(config.shape, 11);
          const seen = await streamAndCompareAsync(module, clip, STREAM_TOL);
          expect(seen.leadingNulls).toBe(config.delay);
          const t = config.shape[1];
          const expectedOutputs = Math.floor((t - 1 - config.delay) / module.stride) + 1;
          expect(seen.compared).toBe(expectedOutputs);
          expect(seen.nullSteps).toBe(t - expectedOutputs);
          // The offline twin against the float64 reference of the documented semantics.
          const offline = module.forward(clip);
          const ref = await referenceFor(module, clip);
          await expectTensorsCloseAsync(offline, ref, REF_TOL);
          release([offline, ref, clip]);
          module.dispose();
        });
      });
    }
  }

  it('all-negative clips give negative maxima (not 0) wherever no zero padding is read', async () => {
    const clip = seededTensor([1, 6, 4, 4, 2], 5, -5, -1) as Clip;
    for (const options of [
      { kernelSize: [3, 2, 2], stride: [1, 1, 1] },
      { kernelSize: [2, 3, 3], stride: [1, 2, 2], spatialPadding: 'same' },
      {
        kernelSize: [3, 3, 3],
        stride: [1, 1, 1],
        spatialPadding: 'same',
        temporalPadding: 'causal',
        temporalFill: 'replicate',
      },
    ] as Config['options'][]) {
      const module = new CoMaxPool3d({ name: 'max', ...options });
      await streamAndCompareAsync(module, clip, STREAM_TOL);
      const offline = module.forward(clip);
      const top = tf.max(offline);
      expect((await valuesOf(top))[0]).toBeLessThan(-1);
      const ref = await referenceFor(module, clip);
      await expectTensorsCloseAsync(offline, ref, REF_TOL);
      release([offline, ref, top]);
      module.dispose();
    }
    clip.dispose();
  });
});

describe('CoPool3d hand-computed values', () => {
  const frameClip = (values: number[]) => tf.tensor5d(values, [1, values.length, 1, 1, 1]) as Clip;

  it("'same' spatial average excludes the padding, as tf.avgPool does", async () => {
    const clip = tf.tensor5d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3, 1]) as Clip;
    const avg = new CoAvgPool3d({
      name: 'a',
      kernelSize: [1, 2, 2],
      stride: [1, 1, 1],
      spatialPadding: 'same',
    });
    const max = new CoMaxPool3d({
      name: 'm',
      kernelSize: [1, 2, 2],
      stride: [1, 1, 1],
      spatialPadding: 'same',
    });
    const a = avg.forward(clip);
    const m = max.forward(clip);
    expect(a.shape).toEqual([1, 1, 3, 3, 1]);
    expect(await valuesOf(a)).toEqual([3, 4, 4.5, 6, 7, 7.5, 7.5, 8.5, 9]);
    expect(await valuesOf(m)).toEqual([5, 6, 6, 8, 9, 9, 8, 9, 9]);
    const frame = frameAt(clip, 0);
    const step = avg.forwardStep(frame);
    expect(step === null ? null : await valuesOf(step)).toEqual([
      3, 4, 4.5, 6, 7, 7.5, 7.5, 8.5, 9,
    ]);
    release([clip, a, m, frame, step]);
    avg.dispose();
    max.dispose();
  });

  it('temporal zero padding counts in the average; replicate copies the first frame', async () => {
    const clip = frameClip([4, 8, -2]);
    const zeros = new CoAvgPool3d({
      name: 'z',
      kernelSize: [2, 1, 1],
      stride: [1, 1, 1],
      temporalPadding: 'causal',
    });
    const repl = new CoAvgPool3d({
      name: 'r',
      kernelSize: [2, 1, 1],
      stride: [1, 1, 1],
      temporalPadding: 'causal',
      temporalFill: 'replicate',
    });
    const z = zeros.forward(clip);
    const r = repl.forward(clip);
    expect(await valuesOf(z)).toEqual([2, 6, 3]);
    expect(await valuesOf(r)).toEqual([4, 6, 3]);
    const zs = streamAll(zeros, clip);
    const rs = streamAll(repl, clip);
    expect(await firsts(zs)).toEqual([2, 6, 3]);
    expect(await firsts(rs)).toEqual([4, 6, 3]);
    release([clip, z, r, ...zs, ...rs]);
    zeros.dispose();
    repl.dispose();
  });

  it('max over zero padding gives 0 for negative frames; replicate and valid do not', async () => {
    const clip = frameClip([-4, -8, -2]);
    const make = (temporalPadding: 'valid' | 'causal', temporalFill: TemporalFill) =>
      new CoMaxPool3d({
        name: 'm',
        kernelSize: [2, 1, 1],
        stride: [1, 1, 1],
        temporalPadding,
        temporalFill,
      });
    const cases: [CoPool3d, number[]][] = [
      [make('causal', 'zeros'), [0, -4, -2]],
      [make('causal', 'replicate'), [-4, -4, -2]],
      [make('valid', 'zeros'), [-4, -2]],
    ];
    for (const [module, expected] of cases) {
      const offline = module.forward(clip);
      expect(await valuesOf(offline)).toEqual(expected);
      const outs = streamAll(module, clip).filter((x): x is Frame => x !== null);
      expect(await firsts(outs)).toEqual(expected);
      release([offline, ...outs]);
      module.dispose();
    }
    clip.dispose();
  });

  it('symmetric padding pads both ends; the stream cannot emit the end-padded outputs', async () => {
    const clip = frameClip([3, 6, 9]);
    const zeros = new CoAvgPool3d({
      name: 'z',
      kernelSize: [3, 1, 1],
      stride: [1, 1, 1],
      temporalPadding: 1,
    });
    const repl = new CoAvgPool3d({
      name: 'r',
      kernelSize: [3, 1, 1],
      stride: [1, 1, 1],
      temporalPadding: 1,
      temporalFill: 'replicate',
    });
    const z = zeros.forward(clip);
    const r = repl.forward(clip);
    expect(await valuesOf(z)).toEqual([3, 6, 5]);
    expect(await valuesOf(r)).toEqual([4, 6, 8]);
    const zs = streamAll(zeros, clip);
    const rs = streamAll(repl, clip);
    expect(await firsts(zs)).toEqual([null, 3, 6]);
    expect(await firsts(rs)).toEqual([null, 4, 6]);
    release([clip, z, r, ...zs, ...rs]);
    zeros.dispose();
    repl.dispose();
  });

  it('temporal stride emits on steps delay, delay + st, ...', async () => {
    const clip = frameClip([1, 2, 3, 4, 5, 6, 7]);
    const valid = new CoAvgPool3d({ name: 'v', kernelSize: [2, 1, 1], stride: [3, 1, 1] });
    const causal = new CoMaxPool3d({
      name: 'c',
      kernelSize: [3, 1, 1],
      stride: [2, 1, 1],
      temporalPadding: 'causal',
    });
    const v = streamAll(valid, clip);
    const c = streamAll(causal, clip);
    expect(await firsts(v)).toEqual([null, 1.5, null, null, 4.5, null, null]);
    expect(await firsts(c)).toEqual([1, null, 3, null, 5, null, 7]);
    const vo = valid.forward(clip);
    expect(await valuesOf(vo)).toEqual([1.5, 4.5]);
    release([clip, vo, ...v, ...c]);
    valid.dispose();
    causal.dispose();
  });

  it('a clip shorter than the window has no offline outputs', () => {
    const module = new CoAvgPool3d({ name: 'p', kernelSize: [3, 1, 1], stride: [1, 1, 1] });
    const clip = frameClip([1, 2]);
    const out = module.forward(clip);
    expect(out.shape).toEqual([1, 0, 1, 1, 1]);
    release([clip, out]);
    module.dispose();
  });
});

describe('CoPool3d derived properties and shapes', () => {
  it('derives receptive field, padding, stride and delay from the options', () => {
    const cases: [Config['options'], number, { start: number; end: number }, number, number][] = [
      [{ kernelSize: [3, 2, 2] }, 3, { start: 0, end: 0 }, 3, 2],
      [{ kernelSize: [3, 2, 2], temporalPadding: 'causal' }, 3, { start: 2, end: 0 }, 3, 0],
      [
        { kernelSize: [5, 1, 1], stride: [2, 1, 1], temporalPadding: 1 },
        5,
        { start: 1, end: 1 },
        2,
        3,
      ],
      [
        { kernelSize: [4, 1, 1], stride: [1, 1, 1], temporalPadding: 0 },
        4,
        { start: 0, end: 0 },
        1,
        3,
      ],
      [{ kernelSize: [1, 3, 3], temporalPadding: 'causal' }, 1, { start: 0, end: 0 }, 1, 0],
    ];
    for (const [options, rf, padding, stride, delay] of cases) {
      const module = new CoAvgPool3d({ name: 'p', ...options });
      expect(module.receptiveField).toBe(rf);
      expect(module.padding).toEqual(padding);
      expect(module.stride).toBe(stride);
      expect(module.delay).toBe(delay);
      module.dispose();
    }
  });

  it('defaults: stride = kernel, valid padding, zero fill', () => {
    const module = new CoMaxPool3d({ name: 'p', kernelSize: [2, 3, 1] });
    expect(module.kind).toBe('max');
    expect(module.strides).toEqual([2, 3, 1]);
    expect(module.spatialPadding).toBe('valid');
    expect(module.temporalFill).toBe('zeros');
    expect(module.padding).toEqual({ start: 0, end: 0 });
    expect(new CoAvgPool3d({ name: 'a', kernelSize: [1, 1, 1] }).kind).toBe('avg');
  });

  it('computes output shapes for valid and same, and rejects windows that do not fit', () => {
    const valid = new CoAvgPool3d({ name: 'v', kernelSize: [1, 3, 2], stride: [1, 2, 2] });
    const same = new CoAvgPool3d({
      name: 's',
      kernelSize: [1, 3, 2],
      stride: [1, 2, 2],
      spatialPadding: 'same',
    });
    expect(valid.outputShape({ height: 8, width: 7, channels: 5 })).toEqual({
      height: 3,
      width: 3,
      channels: 5,
    });
    expect(same.outputShape({ height: 8, width: 7, channels: 5 })).toEqual({
      height: 4,
      width: 4,
      channels: 5,
    });
    expect(valid.outputShape({ height: 3, width: 2, channels: 1 })).toEqual({
      height: 1,
      width: 1,
      channels: 1,
    });
    expect(same.outputShape({ height: 2, width: 1, channels: 1 })).toEqual({
      height: 1,
      width: 1,
      channels: 1,
    });
    expect(() => valid.outputShape({ height: 2, width: 7, channels: 5 })).toThrow(
      /does not fit an input of 2/,
    );
    expect(() => valid.outputShape({ height: 8, width: 1, channels: 5 })).toThrow(
      /does not fit an input of 1/,
    );
  });
});

describe('CoPool3d FLOPs and state size (hand-computed)', () => {
  const input = { height: 8, width: 8, channels: 4 };

  it('3x2x2, spatial stride 2: 256 spatial reads per frame, 3 * 64 temporal reads per output', () => {
    const module = new CoAvgPool3d({ name: 'p', kernelSize: [3, 2, 2], stride: [1, 2, 2] });
    expect(module.flopsPerStep(input)).toEqual({ macs: 0, elementwise: 256 + 192 });
    // T = 10, valid: 8 outputs.
    expect(module.flopsPerClip(input, 10)).toEqual({ macs: 0, elementwise: 10 * 256 + 8 * 192 });
    expect(module.stateBytes(input)).toBe(2 * 4 * 4 * 4 * 4);
  });

  it('temporal stride 2 halves the temporal cost per step', () => {
    const module = new CoMaxPool3d({ name: 'p', kernelSize: [3, 2, 2], stride: [2, 2, 2] });
    expect(module.flopsPerStep(input)).toEqual({ macs: 0, elementwise: 256 + 96 });
    // T = 10, valid, stride 2: floor(7 / 2) + 1 = 4 outputs.
    expect(module.flopsPerClip(input, 10)).toEqual({ macs: 0, elementwise: 2560 + 4 * 192 });
  });

  it('kt = 1 has no temporal pass and no state', () => {
    const module = new CoAvgPool3d({ name: 'p', kernelSize: [1, 2, 2] });
    expect(module.flopsPerStep(input)).toEqual({ macs: 0, elementwise: 256 });
    expect(module.flopsPerClip(input, 5)).toEqual({ macs: 0, elementwise: 1280 });
    expect(module.stateBytes(input)).toBe(0);
  });

  it('a 1x1 stride-1 window has no spatial pass', () => {
    const module = new CoAvgPool3d({
      name: 'p',
      kernelSize: [3, 1, 1],
      stride: [1, 1, 1],
      temporalPadding: 'causal',
    });
    expect(module.flopsPerStep(input)).toEqual({ macs: 0, elementwise: 3 * 256 });
    expect(module.flopsPerClip(input, 6)).toEqual({ macs: 0, elementwise: 6 * 768 });
    expect(module.stateBytes(input)).toBe(2 * 256 * 4);
    // A 1x1 window with spatial stride 2 still subsamples: it reads the frame.
    const strided = new CoAvgPool3d({ name: 'q', kernelSize: [1, 1, 1], stride: [1, 2, 2] });
    expect(strided.flopsPerStep(input)).toEqual({ macs: 0, elementwise: 256 });
  });

  it("'same' padding counts the larger output", () => {
    const module = new CoAvgPool3d({
      name: 'p',
      kernelSize: [2, 3, 3],
      stride: [1, 2, 2],
      spatialPadding: 'same',
      temporalPadding: 'causal',
    });
    const odd = { height: 7, width: 5, channels: 2 };
    // Output 4 x 3 x 2 = 24; 2 * 24 temporal reads; spatial 70.
    expect(module.flopsPerStep(odd)).toEqual({ macs: 0, elementwise: 70 + 48 });
    expect(module.flopsPerClip(odd, 3)).toEqual({ macs: 0, elementwise: 210 + 3 * 48 });
    expect(module.stateBytes(odd)).toBe(24 * 4);
  });
});

describe('CoPool3d state', () => {
  const options = {
    name: 'p',
    kernelSize: [3, 2, 2],
    stride: [2, 1, 1],
    temporalPadding: 1,
    temporalFill: 'replicate',
  } as const;

  it('resetState returns to a fresh module: same outputs, same leading nulls', async () => {
    await expectNoLeakedTensors(async () => {
      const module = new CoAvgPool3d(options);
      const clip = seededClip([1, 7, 3, 3, 2], 21);
      const first = streamAll(module, clip);
      module.resetState();
      const state = module.getState();
      expect(state['step']).toBe(0);
      expect(state['frames']).toEqual({ '0': null, '1': null });
      const second = streamAll(module, clip);
      await expectSameOutputs(first, second);
      expect(first[0]).toBeNull();
      release([...first, ...second, clip]);
      module.dispose();
    });
  });

  it('a snapshot taken mid-stream resumes the stream exactly, here and in a new module', async () => {
    await expectNoLeakedTensors(async () => {
      const module = new CoMaxPool3d(options);
      const clip = seededClip([1, 10, 3, 3, 2], 22);
      release(streamAll(module, clip, 0, 4));
      const snapshot = module.getState();
      expect(snapshot['step']).toBe(4);
      const frames = snapshot['frames'] as Record<string, tf.Tensor>;
      expect(Object.keys(frames)).toEqual(['0', '1']);
      expect(frames['1']?.shape).toEqual([1, 2, 2, 2]);
      const a = streamAll(module, clip, 4, 10);
      module.setState(snapshot);
      const b = streamAll(module, clip, 4, 10);
      const other = new CoMaxPool3d(options);
      other.setState(snapshot);
      disposeState(snapshot); // setState cloned it
      const c = streamAll(other, clip, 4, 10);
      await expectSameOutputs(a, b);
      await expectSameOutputs(a, c);
      // delay 1, stride 2: outputs on odd steps.
      expect(a.map((x) => x === null)).toEqual([true, false, true, false, true, false]);
      release([...a, ...b, ...c, clip]);
      module.dispose();
      other.dispose();
    });
  });

  it('getState returns clones: disposing them leaves the module working', async () => {
    const module = new CoAvgPool3d({ name: 'p', kernelSize: [2, 1, 1], stride: [1, 1, 1] });
    const clip = tf.tensor5d([2, 4, 6], [1, 3, 1, 1, 1]) as Clip;
    release(streamAll(module, clip, 0, 1));
    disposeState(module.getState());
    const outs = streamAll(module, clip, 1, 3);
    expect(await firsts(outs)).toEqual([3, 5]);
    release([...outs, clip]);
    module.dispose();
  });

  it('rejects states of another configuration', () => {
    const module = new CoAvgPool3d({ name: 'p', kernelSize: [3, 1, 1], stride: [1, 1, 1] });
    expect(() => module.setState({ step: 0, frames: { '0': null } })).toThrow(
      /holds 1 frames; this window keeps 2/,
    );
    expect(() => module.setState({ step: -1, frames: { '0': null, '1': null } })).toThrow(
      /non-negative integer/,
    );
    expect(() => module.setState({ step: 1.5, frames: { '0': null, '1': null } })).toThrow(
      /non-negative integer/,
    );
    expect(() => module.setState({ frames: { '0': null, '1': null } })).toThrow(
      /"step" must be a number/,
    );
    expect(() => module.setState({ step: 0 })).toThrow(/"frames" must be a nested state/);
    expect(() => module.setState({ step: 0, frames: { '0': null, '1': 3 } })).toThrow(
      /"1" must be a tensor or null/,
    );
    module.dispose();
  });

  it('leaks no tensors over 1,000 steps, and its tensor count stays flat', async () => {
    const module = new CoAvgPool3d({
      name: 'p',
      kernelSize: [3, 2, 2],
      stride: [1, 2, 2],
      spatialPadding: 'same',
      temporalPadding: 'causal',
    });
    const frame = seededTensor([1, 4, 4, 2], 9) as Frame;
    await expectNoLeakedTensors(() => {
      expectSteadyTensors(() => {
        tf.tidy(() => {
          module.forwardStep(frame)?.dispose();
        });
      });
      const clip = seededClip([1, 5, 4, 4, 2], 10);
      release([module.forward(clip), clip]);
      disposeState(module.getState());
      module.resetState();
    });
    frame.dispose();
    module.dispose();
  });
});

describe('CoPool3d option validation', () => {
  const make = (options: Record<string, unknown>) => () =>
    new CoPool3d({ name: 'p', kind: 'avg', kernelSize: [3, 2, 2], ...options } as CoPool3dOptions);

  it('rejects bad options with a message naming the problem', () => {
    expect(make({ name: '' })).toThrow(/non-empty name/);
    expect(make({ kind: 'min' })).toThrow(/kind must be 'avg' or 'max'/);
    expect(make({ kernelSize: [0, 2, 2] })).toThrow(/kernelSize must be three positive integers/);
    expect(make({ kernelSize: [2.5, 2, 2] })).toThrow(/kernelSize must be three positive integers/);
    expect(make({ kernelSize: [2, 2] })).toThrow(/kernelSize must be three positive integers/);
    expect(make({ kernelSize: [2, 2, 2, 2] })).toThrow(
      /kernelSize must be three positive integers/,
    );
    expect(make({ stride: [1, 0, 1] })).toThrow(/stride must be three positive integers/);
    expect(make({ spatialPadding: 'full' })).toThrow(/spatialPadding must be 'same' or 'valid'/);
    expect(make({ temporalPadding: 3 })).toThrow(/integer in \[0, 2\], got 3/);
    expect(make({ temporalPadding: -1 })).toThrow(/integer in \[0, 2\]/);
    expect(make({ temporalPadding: 1.5 })).toThrow(
      /temporalPadding must be .* integer in \[0, 2\], got 1.5/,
    );
    expect(make({ temporalPadding: 'same' })).toThrow(/'valid', 'causal' or an integer/);
    expect(make({ temporalFill: 'edge' })).toThrow(/fill must be 'zeros' or 'replicate'/);
    expect(make({ temporalPadding: 2, stride: [1, 1, 1] })).not.toThrow();
  });
});
