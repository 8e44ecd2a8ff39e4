import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { disposeState, frameAt } from './base';
import type { Clip, Frame } from './module';
import {
  CoSqueezeExcitation,
  type CoSqueezeExcitationOptions,
  type SqueezePool,
} from './squeeze-excitation';
import { expectNoLeakedTensors, expectSteadyTensors, seededClip, seededTensor } from './testing';
import {
  expectTensorsCloseAsync,
  maxAbsDiffAsync,
  streamAndCompareAsync,
  valuesOf,
} from './testing-async';

const webgpu = tf.getBackend() === 'webgpu';
// Streaming and offline run the same ops per frame; the matmuls see a batch of N rows per step
// and N * T rows offline, which backends may tile differently (a few float32 ulps).
const STREAM_TOL = webgpu ? 1e-5 : 1e-6;
// Against the float64 reference: float32 spatial means, two small matmuls (C, R <= 6) and exp.
const REF_TOL = 1e-5;

type Shape5 = [number, number, number, number, number];

interface Weights {
  reduceKernel: tf.Tensor;
  reduceBias: tf.Tensor;
  expandKernel: tf.Tensor;
  expandBias: tf.Tensor;
}

function seededWeights(c: number, r: number, seed: number): Weights {
  return {
    reduceKernel: seededTensor([c, r], seed, -1, 1),
    reduceBias: seededTensor([r], seed + 1, -0.5, 0.5),
    expandKernel: seededTensor([r, c], seed + 2, -2, 2),
    // Wide enough that hardSigmoid saturates at 0 and 1 for some channels.
    expandBias: seededTensor([c], seed + 3, -4, 4),
  };
}

function disposeWeights(w: Weights): void {
  tf.dispose([w.reduceKernel, w.reduceBias, w.expandKernel, w.expandBias]);
}

/** Plain float64 reference of the causal SE over a clip. */
async function referenceSE(
  clip: Clip,
  w: Weights,
  pool: SqueezePool,
  activation: 'relu' | 'swish',
  gate: 'sigmoid' | 'hardSigmoid',
): Promise<tf.Tensor> {
  const [n, t, h, wd, c] = clip.shape as Shape5;
  const x = await clip.data();
  const w1 = await w.reduceKernel.data();
  const b1 = await w.reduceBias.data();
  const w2 = await w.expandKernel.data();
  const b2 = await w.expandBias.data();
  const r = b1.length;
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  const act = (v: number) => (activation === 'relu' ? Math.max(0, v) : v * sigmoid(v));
  const gated = (v: number) =>
    gate === 'sigmoid' ? sigmoid(v) : Math.min(Math.max(v + 3, 0), 6) / 6;
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) {
    const means: number[][] = [];
    for (let f = 0; f < t; f++) {
      const m = new Array<number>(c).fill(0);
      for (let p = 0; p < h * wd; p++)
        for (let ch = 0; ch < c; ch++)
          m[ch]! += (x[((b * t + f) * h * wd + p) * c + ch] as number) / (h * wd);
      means.push(m);
    }
    for (let f = 0; f < t; f++) {
      const first = pool.kind === 'window' ? f - pool.window + 1 : 0;
      const divisor = pool.kind === 'window' ? pool.window : f + 1;
      const pooled = new Array<number>(c).fill(0);
      for (let j = Math.max(0, first); j <= f; j++)
        for (let ch = 0; ch < c; ch++) pooled[ch]! += (means[j]![ch] as number) / divisor;
      const hidden = new Array<number>(r).fill(0).map((_, k) => {
        let s = b1[k] as number;
        for (let ch = 0; ch < c; ch++) s += (pooled[ch] as number) * (w1[ch * r + k] as number);
        return act(s);
      });
      const gates = new Array<number>(c).fill(0).map((_, ch) => {
        let s = b2[ch] as number;
        for (let k = 0; k < r; k++) s += (hidden[k] as number) * (w2[k * c + ch] as number);
        return gated(s);
      });
      for (let p = 0; p < h * wd; p++)
        for (let ch = 0; ch < c; ch++) {
          const i = ((b * t + f) * h * wd + p) * c + ch;
          out[i] = (x[i] as number) * (gates[ch] as number);
        }
    }
  }
  return tf.tensor(out, [n, t, h, wd, c]);
}

function build(
  c: number,
  r: number,
  pool: SqueezePool,
  weights: Weights,
  extra: Partial<CoSqueezeExcitationOptions> = {},
): CoSqueezeExcitation {
  return new CoSqueezeExcitation({
    name: 'se',
    channels: c,
    reducedChannels: r,
    pool,
    weights,
    ...extra,
  });
}

function streamAll(module: CoSqueezeExcitation, clip: Clip, from = 0, to = clip.shape[1]): Frame[] {
  const outs: Frame[] = [];
  for (let t = from; t < to; t++) {
    const frame = frameAt(clip, t);
    // Inside tf.tidy, as callers do: kept state must survive the scope.
    outs.push(tf.tidy(() => module.forwardStep(frame)));
    frame.dispose();
  }
  return outs;
}

async function expectSameOutputs(a: Frame[], b: Frame[]): Promise<void> {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    expect(await maxAbsDiffAsync(a[i] as Frame, b[i] as Frame)).toBe(0);
}

describe('CoSqueezeExcitation streaming equals its causal offline twin and the reference', () => {
  const cases: [
    string,
    SqueezePool,
    'relu' | 'swish',
    'sigmoid' | 'hardSigmoid',
    Shape5,
    number,
  ][] = [
    [
      'window 1, relu, sigmoid',
      { kind: 'window', window: 1 },
      'relu',
      'sigmoid',
      [1, 5, 3, 3, 4],
      2,
    ],
    [
      'window 3, swish, hardSigmoid',
      { kind: 'window', window: 3 },
      'swish',
      'hardSigmoid',
      [1, 8, 3, 3, 4],
      2,
    ],
    [
      'window 4, relu, hardSigmoid, batch 2',
      { kind: 'window', window: 4 },
      'relu',
      'hardSigmoid',
      [2, 7, 2, 3, 6],
      3,
    ],
    ['cumulative, relu, sigmoid', { kind: 'cumulative' }, 'relu', 'sigmoid', [1, 8, 3, 3, 4], 2],
    [
      'cumulative, swish, hardSigmoid, batch 2',
      { kind: 'cumulative' },
      'swish',
      'hardSigmoid',
      [2, 6, 2, 2, 6],
      3,
    ],
  ];
  for (const [label, pool, activation, gate, shape, r] of cases) {
    it(label, async () => {
      await expectNoLeakedTensors(async () => {
        const c = shape[4];
        const weights = seededWeights(c, r, 61);
        const module = build(c, r, pool, weights, { activation, gate });
        const clip = seededClip(shape, 62);
        const seen = await streamAndCompareAsync(module, clip, STREAM_TOL);
        expect(seen.leadingNulls).toBe(0);
        expect(seen.nullSteps).toBe(0);
        expect(seen.compared).toBe(shape[1]);
        const offline = module.forward(clip);
        const ref = await referenceSE(clip, weights, pool, activation, gate);
        await expectTensorsCloseAsync(offline, ref, REF_TOL);
        tf.dispose([offline, ref, clip]);
        disposeWeights(weights);
        module.dispose();
      });
    });
  }
});

describe('CoSqueezeExcitation hand-computed values', () => {
  // C = 2, R = 1: hidden = relu(p0 + p1); pre-gate = [hidden, -hidden]; hardSigmoid(v) = (v + 3) / 6 clipped.
  const weights = () => ({
    reduceKernel: tf.tensor2d([[1], [1]]),
    reduceBias: tf.tensor1d([0]),
    expandKernel: tf.tensor2d([[1, -1]]),
    expandBias: tf.tensor1d([0, 0]),
  });
  // 1x1 frames [2, 4], [0, -6], [4, 2].
  const clip = () => tf.tensor5d([2, 4, 0, -6, 4, 2], [1, 3, 1, 1, 2]) as Clip;

  for (const [pool, expected] of [
    // Window 2 (zero start): pooled [1, 2] -> gates [1, 0]; [1, -1] -> 0.5; [2, -2] -> 0.5.
    [{ kind: 'window', window: 2 }, [2, 0, 0, -3, 2, 1]],
    // Cumulative: pooled [2, 4] -> [1, 0]; [1, -1] -> 0.5; [2, 0] -> hidden 2 -> [5/6, 1/6].
    [{ kind: 'cumulative' }, [2, 0, 0, -3, 10 / 3, 1 / 3]],
  ] as [SqueezePool, number[]][]) {
    it(`${pool.kind} pool`, async () => {
      const w = weights();
      const x = clip();
      const module = build(2, 1, pool, w, { gate: 'hardSigmoid' });
      const offline = module.forward(x);
      const outs = streamAll(module, x);
      const streamed = tf.stack(outs, 1);
      const want = tf.tensor5d(expected, [1, 3, 1, 1, 2]);
      // Exact arithmetic apart from 1/3 and 5/6 in float32.
      await expectTensorsCloseAsync(offline, want, 1e-6);
      await expectTensorsCloseAsync(streamed, want, 1e-6);
      tf.dispose([offline, streamed, want, x, ...outs]);
      disposeWeights(w);
      module.dispose();
    });
  }

  it('gates every pixel of a channel by the same factor', async () => {
    const w = weights();
    const module = build(2, 1, { kind: 'cumulative' }, w, { gate: 'hardSigmoid' });
    // Spatial mean [1, -1] -> hidden 0 -> gates 0.5 everywhere.
    const frame = tf.tensor4d([3, 1, -1, -3], [1, 2, 1, 2]) as Frame;
    const out = module.forwardStep(frame);
    expect(await valuesOf(out)).toEqual([1.5, 0.5, -0.5, -1.5]);
    tf.dispose([frame, out]);
    disposeWeights(w);
    module.dispose();
  });
});

describe('CoSqueezeExcitation properties, FLOPs and options', () => {
  it('derives receptive field, padding and a zero delay from the pool', () => {
    const w = seededWeights(4, 2, 1);
    const windowed = build(4, 2, { kind: 'window', window: 4 }, w);
    expect(windowed.receptiveField).toBe(4);
    expect(windowed.padding).toEqual({ start: 3, end: 0 });
    expect(windowed.stride).toBe(1);
    expect(windowed.delay).toBe(0);
    expect(windowed.activation).toBe('relu');
    expect(windowed.gate).toBe('sigmoid');
    const cumulative = build(4, 2, { kind: 'cumulative' }, w);
    expect(cumulative.receptiveField).toBe(1);
    expect(cumulative.padding).toEqual({ start: 0, end: 0 });
    expect(cumulative.delay).toBe(0);
    expect(windowed.outputShape({ height: 5, width: 3, channels: 4 })).toEqual({
      height: 5,
      width: 3,
      channels: 4,
    });
    expect(() => windowed.outputShape({ height: 5, width: 3, channels: 3 })).toThrow(
      /expects 4 channels, got 3/,
    );
    windowed.dispose();
    cumulative.dispose();
    disposeWeights(w);
  });

  it('counts FLOPs from shapes (hand-computed)', () => {
    const w = seededWeights(8, 2, 2);
    const input = { height: 4, width: 4, channels: 8 };
    // Pool: 128 spatial reads + 3 * 8 window reads = 152. Excite: 2 * 8 * 2 = 32 MACs;
    // relu on 2, sigmoid on 8, gating multiply on 128.
    const relu = build(8, 2, { kind: 'window', window: 3 }, w);
    expect(relu.flopsPerStep(input)).toEqual({ macs: 32, elementwise: 152 + 2 + 8 + 128 });
    // T = 5 (causal, 5 outputs): pool 5 * 128 + 5 * 24, excite 5 * (32 MACs, 138).
    expect(relu.flopsPerClip(input, 5)).toEqual({ macs: 160, elementwise: 760 + 690 });
    // swish 2 ops, hardSigmoid 3 ops per element.
    const swish = build(8, 2, { kind: 'window', window: 3 }, w, {
      activation: 'swish',
      gate: 'hardSigmoid',
    });
    expect(swish.flopsPerStep(input)).toEqual({ macs: 32, elementwise: 152 + 4 + 24 + 128 });
    // Cumulative pool: 128 + 8 per step.
    const cumulative = build(8, 2, { kind: 'cumulative' }, w);
    expect(cumulative.flopsPerStep(input)).toEqual({ macs: 32, elementwise: 136 + 138 });
    expect(cumulative.flopsPerClip(input, 5)).toEqual({ macs: 160, elementwise: 5 * 274 });
    expect(() => relu.flopsPerStep({ height: 4, width: 4, channels: 6 })).toThrow(
      /expects 8 channels/,
    );
    expect(() => relu.flopsPerClip({ height: 4, width: 4, channels: 6 }, 5)).toThrow(
      /expects 8 channels/,
    );
    // State: the pool's buffer (window - 1 means) or sum + compensation, float32.
    expect(relu.stateBytes(input)).toBe(2 * 8 * 4);
    const wide = build(8, 2, { kind: 'window', window: 5 }, w);
    expect(wide.stateBytes(input)).toBe(4 * 8 * 4);
    expect(cumulative.stateBytes(input)).toBe(2 * 8 * 4);
    for (const m of [relu, swish, cumulative, wide]) m.dispose();
    disposeWeights(w);
  });

  it('keeps its own copies of the weights and releases them on dispose', async () => {
    const before = tf.memory().numTensors;
    const w = seededWeights(4, 2, 3);
    const pool: SqueezePool = { kind: 'window', window: 2 };
    const clip = seededClip([1, 3, 2, 2, 4], 4);
    const expected = await referenceSE(clip, w, pool, 'relu', 'sigmoid');
    // Built inside a tidy, then the caller's weights disposed: the module's own copies must
    // survive both (it is the only holder of the weight data afterwards).
    const holder: CoSqueezeExcitation[] = [];
    tf.tidy(() => {
      holder.push(build(4, 2, pool, w));
    });
    disposeWeights(w);
    const module = holder[0] as CoSqueezeExcitation;
    const out = module.forward(clip);
    await expectTensorsCloseAsync(out, expected, REF_TOL);
    tf.dispose([out, clip, expected]);
    module.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options and inputs', () => {
    const w = seededWeights(4, 2, 5);
    const make = (extra: Record<string, unknown>) => () =>
      new CoSqueezeExcitation({
        name: 'se',
        channels: 4,
        reducedChannels: 2,
        pool: { kind: 'window', window: 2 },
        weights: w,
        ...extra,
      } as CoSqueezeExcitationOptions);
    expect(make({ name: '' })).toThrow(/non-empty name/);
    expect(make({ channels: 0 })).toThrow(/channels must be a positive integer, got 0/);
    expect(make({ reducedChannels: 1.5 })).toThrow(/reducedChannels must be a positive integer/);
    expect(make({ activation: 'tanh' })).toThrow(/activation must be 'relu' or 'swish'/);
    expect(make({ gate: 'relu' })).toThrow(/gate must be 'sigmoid' or 'hardSigmoid'/);
    expect(make({ pool: { kind: 'window', window: 0 } })).toThrow(
      /window must be a positive integer/,
    );
    expect(make({ pool: { kind: 'global' } })).toThrow(
      /pool.kind must be 'window' or 'cumulative'/,
    );
    expect(make({ channels: 5 })).toThrow(/reduceKernel must have shape \[5, 2\], got \[4, 2\]/);
    expect(make({ reducedChannels: 3 })).toThrow(/reduceKernel must have shape \[4, 3\]/);
    const bad = (key: keyof Weights, shape: number[]) => {
      const t = tf.zeros(shape);
      const fn = make({ weights: { ...w, [key]: t } });
      return { fn, t };
    };
    for (const [key, shape, message] of [
      ['reduceKernel', [2, 4], /reduceKernel must have shape \[4, 2\], got \[2, 4\]/],
      ['reduceBias', [4], /reduceBias must have shape \[2\], got \[4\]/],
      ['reduceBias', [1, 2], /reduceBias must have shape \[2\]/],
      ['reduceKernel', [4], /reduceKernel must have shape \[4, 2\], got \[4\]/],
      ['expandKernel', [4, 2], /expandKernel must have shape \[2, 4\]/],
      ['expandBias', [2], /expandBias must have shape \[4\]/],
    ] as [keyof Weights, number[], RegExp][]) {
      const { fn, t } = bad(key, shape);
      expect(fn).toThrow(message);
      t.dispose();
    }
    const module = make({})();
    const frame = tf.zeros([1, 2, 2, 3]) as Frame;
    const clip = tf.zeros([1, 2, 2, 2, 3]) as Clip;
    expect(() => module.forwardStep(frame)).toThrow(/expects 4 channels, got 3/);
    expect(() => module.forward(clip)).toThrow(/expects 4 channels, got 3/);
    tf.dispose([frame, clip]);
    module.dispose();
    disposeWeights(w);
  });
});

describe('CoSqueezeExcitation state', () => {
  for (const pool of [{ kind: 'window', window: 3 }, { kind: 'cumulative' }] as SqueezePool[]) {
    it(`${pool.kind}: resets, and resumes exactly from a mid-stream snapshot`, async () => {
      const w = seededWeights(4, 2, 7);
      await expectNoLeakedTensors(async () => {
        const module = build(4, 2, pool, w, { activation: 'swish' });
        const clip = seededClip([1, 8, 2, 2, 4], 8);
        const first = streamAll(module, clip);
        module.resetState();
        const again = streamAll(module, clip);
        await expectSameOutputs(first, again);
        module.resetState();
        tf.dispose(streamAll(module, clip, 0, 3));
        const snapshot = module.getState();
        expect(Object.keys(snapshot)).toEqual(['pool']);
        const a = streamAll(module, clip, 3, 8);
        module.setState(snapshot);
        const b = streamAll(module, clip, 3, 8);
        const other = build(4, 2, pool, w, { activation: 'swish' });
        other.setState(snapshot);
        disposeState(snapshot);
        const c = streamAll(other, clip, 3, 8);
        await expectSameOutputs(a, b);
        await expectSameOutputs(a, c);
        await expectSameOutputs(a, first.slice(3));
        expect(() => module.setState({ pool: 3 })).toThrow(/"pool" must be a nested state/);
        tf.dispose([...first, ...again, ...a, ...b, ...c, clip]);
        module.dispose();
        other.dispose();
      });
      disposeWeights(w);
    });
  }

  it('leaks no tensors over 1,000 steps', async () => {
    const w = seededWeights(4, 2, 9);
    const module = build(4, 2, { kind: 'window', window: 4 }, w, { gate: 'hardSigmoid' });
    const frame = seededTensor([1, 3, 3, 4], 10) as Frame;
    await expectNoLeakedTensors(() => {
      expectSteadyTensors(() => {
        tf.tidy(() => {
          module.forwardStep(frame).dispose();
        });
      });
      module.resetState();
    });
    frame.dispose();
    module.dispose();
    disposeWeights(w);
  });
});
