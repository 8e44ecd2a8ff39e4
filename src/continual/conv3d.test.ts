import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { Activation } from './activation';
import { frameAt } from './base';
import { CoConv3d, defaultConvStateForm, type CoConv3dOptions, type ConvStateForm } from './conv3d';
import { spatialPadAmounts } from './flops';
import type { Clip, CoState, Frame } from './module';
import { expectNoLeakedTensors, expectSteadyTensors, seededClip, seededTensor } from './testing';
import { expectTensorsCloseAsync, maxAbsDiffAsync, streamAndCompareAsync } from './testing-async';

const backend = tf.getBackend();
// float32 sums of up to 135 products of values in [-1, 1] x [-0.5, 0.5]: cpu/wasm agree with each
// other (and with a float64 reference) to ~1e-6; the software WebGPU adapter accumulates in another
// order and with fused multiply-adds, so it gets 1e-4.
const TOL = backend === 'webgpu' ? 1e-4 : 1e-5;
const FORMS: readonly ConvStateForm[] = ['partial-sums', 'frame-buffer'];

// On the software WebGPU adapter dataSync can read back zeros, which makes any comparison pass (a
// deliberately wrong tap order passed the synchronous streamAndCompare there), so this file reads
// tensors only asynchronously, through testing-async.ts.

type Shape5 = [number, number, number, number, number];

/** A configuration under test: the options without weights, and the clip shape. */
interface Case {
  readonly label: string;
  readonly options: Omit<CoConv3dOptions, 'name' | 'kernel' | 'bias' | 'stateForm'>;
  readonly bias: boolean;
  readonly clip: Shape5;
}

const CASES: readonly Case[] = [
  {
    label: 'depthwise 3x3x3, same, valid time, bias, relu',
    options: {
      inChannels: 4,
      outChannels: 4,
      kernelSize: [3, 3, 3],
      groups: 4,
      activation: 'relu',
    },
    bias: true,
    clip: [1, 7, 5, 5, 4],
  },
  {
    label: 'dense 3x1x1, causal, bias, swish',
    options: {
      inChannels: 4,
      outChannels: 6,
      kernelSize: [3, 1, 1],
      temporalPadding: 'causal',
      activation: 'swish',
    },
    bias: true,
    clip: [1, 7, 4, 4, 4],
  },
  {
    label: 'dense 5x3x3, spatial stride 2 same (odd size), temporal pad 2, replicate, hardSwish',
    options: {
      inChannels: 3,
      outChannels: 4,
      kernelSize: [5, 3, 3],
      stride: [1, 2, 2],
      temporalPadding: 2,
      temporalFill: 'replicate',
      activation: 'hardSwish',
    },
    bias: true,
    clip: [1, 8, 5, 5, 3],
  },
  {
    label: 'grouped (2) 2x3x1, valid spatial, temporal pad 1, sigmoid, no bias',
    options: {
      inChannels: 4,
      outChannels: 6,
      kernelSize: [2, 3, 1],
      groups: 2,
      spatialPadding: 'valid',
      temporalPadding: 1,
      activation: 'sigmoid',
    },
    bias: false,
    clip: [1, 6, 5, 4, 4],
  },
  {
    label: 'dense 1x5x5, spatial stride 2, explicit pad 2, relu6',
    options: {
      inChannels: 3,
      outChannels: 5,
      kernelSize: [1, 5, 5],
      stride: [1, 2, 2],
      spatialPadding: 2,
      activation: 'relu6',
    },
    bias: true,
    clip: [1, 4, 6, 6, 3],
  },
  {
    label:
      'depthwise x2 3x5x3, explicit pad 1 (non-square), causal replicate, temporal stride 2, hardSigmoid',
    options: {
      inChannels: 3,
      outChannels: 6,
      kernelSize: [3, 5, 3],
      groups: 3,
      spatialPadding: 1,
      temporalPadding: 'causal',
      temporalFill: 'replicate',
      stride: [2, 1, 1],
      activation: 'hardSigmoid',
    },
    bias: true,
    clip: [1, 9, 5, 5, 3],
  },
  {
    label: 'dense 3x3x3, temporal stride 2, linear',
    options: { inChannels: 2, outChannels: 3, kernelSize: [3, 3, 3], stride: [2, 1, 1] },
    bias: true,
    clip: [1, 10, 4, 4, 2],
  },
  {
    label: 'depthwise 2x1x1, causal zeros, temporal stride 2, no bias',
    options: {
      inChannels: 4,
      outChannels: 4,
      kernelSize: [2, 1, 1],
      groups: 4,
      temporalPadding: 'causal',
      stride: [2, 1, 1],
    },
    bias: false,
    clip: [1, 9, 3, 3, 4],
  },
  {
    label: 'grouped (2) 5x1x1, temporal pad 2 replicate, temporal stride 2, relu',
    options: {
      inChannels: 4,
      outChannels: 4,
      kernelSize: [5, 1, 1],
      groups: 2,
      temporalPadding: 2,
      temporalFill: 'replicate',
      stride: [2, 1, 1],
      activation: 'relu',
    },
    bias: true,
    clip: [1, 11, 3, 3, 4],
  },
  {
    label: 'batch 2, depthwise 3x3x3, temporal pad 1 replicate, swish',
    options: {
      inChannels: 2,
      outChannels: 2,
      kernelSize: [3, 3, 3],
      groups: 2,
      temporalPadding: 1,
      temporalFill: 'replicate',
      activation: 'swish',
    },
    bias: true,
    clip: [2, 6, 4, 4, 2],
  },
  {
    label: 'dense 3x3x3, spatial stride 2 valid, causal',
    options: {
      inChannels: 2,
      outChannels: 3,
      kernelSize: [3, 3, 3],
      stride: [1, 2, 2],
      spatialPadding: 'valid',
      temporalPadding: 'causal',
    },
    bias: false,
    clip: [1, 6, 6, 6, 2],
  },
  {
    label: 'dense 2x1x3 even kernel, same, asymmetric stride [1, 1, 2], temporal pad 1 zeros',
    options: {
      inChannels: 3,
      outChannels: 2,
      kernelSize: [2, 1, 3],
      stride: [1, 1, 2],
      temporalPadding: 1,
      activation: 'relu',
    },
    bias: true,
    clip: [1, 6, 3, 6, 3],
  },
  {
    label:
      'dense 2x3x5, explicit pad 0 (non-square), spatial stride [2, 1], temporal pad 1 replicate',
    options: {
      inChannels: 2,
      outChannels: 3,
      kernelSize: [2, 3, 5],
      stride: [1, 2, 1],
      spatialPadding: 0,
      temporalPadding: 1,
      temporalFill: 'replicate',
    },
    bias: true,
    clip: [1, 5, 5, 6, 2],
  },
  {
    label: 'depthwise 3x3x3, explicit pad 1 (square, tfjs numeric pad), spatial stride 2',
    options: {
      inChannels: 3,
      outChannels: 3,
      kernelSize: [3, 3, 3],
      groups: 3,
      stride: [1, 2, 2],
      spatialPadding: 1,
      activation: 'relu',
    },
    bias: true,
    clip: [1, 5, 6, 6, 3],
  },
];

let nextSeed = 1;

/** Builds a module with seeded weights (kernel in [-0.5, 0.5), bias in [-1, 1)). */
function build(
  c: Pick<Case, 'options' | 'bias'>,
  stateForm: ConvStateForm,
  seed = nextSeed++,
): CoConv3d {
  const { inChannels, outChannels, kernelSize } = c.options;
  const groups = c.options.groups ?? 1;
  const kernel = seededTensor(
    [...kernelSize, inChannels / groups, outChannels],
    1000 + seed,
    -0.5,
    0.5,
  );
  return new CoConv3d({
    name: 'conv',
    ...c.options,
    stateForm,
    kernel,
    ...(c.bias ? { bias: seededTensor([outChannels], 2000 + seed) } : {}),
  });
}

function activate(v: number, activation: Activation): number {
  const relu6 = (x: number): number => Math.min(6, Math.max(0, x));
  switch (activation) {
    case 'linear':
      return v;
    case 'relu':
      return Math.max(0, v);
    case 'relu6':
      return relu6(v);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'swish':
      return v / (1 + Math.exp(-v));
    case 'hardSigmoid':
      return relu6(v + 3) / 6;
    case 'hardSwish':
      return (v * relu6(v + 3)) / 6;
  }
}

/**
 * A direct float64 3D convolution written from the definition (independent of tfjs' ops), so
 * every backend's offline pass is checked against the same numbers.
 */
async function referenceConv3d(module: CoConv3d, clip: Clip): Promise<tf.Tensor> {
  const o = module.options;
  const [n, t, h, w, c] = clip.shape;
  const [kt, kh, kw] = o.kernelSize;
  const [st, sh, sw] = o.stride;
  const x = await clip.data();
  const k = await o.kernel.data();
  const b = (await o.bias?.data()) ?? null;
  const { start, end } = module.padding;
  const [top] = spatialPadAmounts(h, kh, sh, o.spatialPadding);
  const [left] = spatialPadAmounts(w, kw, sw, o.spatialPadding);
  const out = module.outputShape({ height: h, width: w, channels: c });
  const to = Math.floor((t + start + end - kt) / st) + 1;
  const cg = c / o.groups;
  const og = o.outChannels / o.groups;
  const result = new Float32Array(n * to * out.height * out.width * out.channels);
  let idx = 0;
  for (let bi = 0; bi < n; bi++)
    for (let j = 0; j < to; j++)
      for (let y = 0; y < out.height; y++)
        for (let xx = 0; xx < out.width; xx++)
          for (let oc = 0; oc < out.channels; oc++) {
            const g = Math.floor(oc / og);
            let sum = b === null ? 0 : (b[oc] ?? 0);
            for (let dt = 0; dt < kt; dt++) {
              let ti = j * st + dt - start;
              if (ti < 0 || ti >= t) {
                if (o.temporalFill === 'zeros') continue;
                ti = Math.min(t - 1, Math.max(0, ti));
              }
              for (let dy = 0; dy < kh; dy++) {
                const yi = y * sh + dy - top;
                if (yi < 0 || yi >= h) continue;
                for (let dx = 0; dx < kw; dx++) {
                  const xi = xx * sw + dx - left;
                  if (xi < 0 || xi >= w) continue;
                  for (let ci = 0; ci < cg; ci++) {
                    const xv = x[(((bi * t + ti) * h + yi) * w + xi) * c + g * cg + ci] ?? NaN;
                    const kv =
                      k[(((dt * kh + dy) * kw + dx) * cg + ci) * o.outChannels + oc] ?? NaN;
                    sum += xv * kv;
                  }
                }
              }
            }
            result[idx++] = activate(sum, o.activation);
          }
  return tf.tensor(result, [n, to, out.height, out.width, out.channels]);
}

describe(`CoConv3d on ${backend}`, () => {
  describe.each(CASES)('$label', (c) => {
    it('forward equals a direct 3D convolution', async () => {
      const module = build(c, 'frame-buffer');
      const clip = seededClip(c.clip, 7);
      await expectNoLeakedTensors(async () => {
        const actual = module.forward(clip);
        const expected = await referenceConv3d(module, clip);
        await expectTensorsCloseAsync(actual, expected, TOL);
        tf.dispose([actual, expected]);
      });
      clip.dispose();
      module.dispose();
    });

    it.each(FORMS)('streams like the clip model (%s)', async (form) => {
      const module = build(c, form);
      const clip = seededClip(c.clip, 11);
      const seen = await streamAndCompareAsync(module, clip, TOL);
      // The first output comes after `delay` null steps, then one every `stride` steps.
      expect(seen.leadingNulls).toBe(module.delay);
      expect(seen.compared).toBeGreaterThan(0);
      const steps = c.clip[1];
      expect(seen.nullSteps).toBe(steps - seen.compared);
      expect(seen.compared).toBe(Math.floor((steps - 1 - module.delay) / module.stride) + 1);
      clip.dispose();
      module.dispose();
    });
  });

  it('derives receptive field, padding, delay and stride from the options', () => {
    const base = { inChannels: 2, outChannels: 2 } as const;
    const expectations: [Partial<CoConv3dOptions>, number, number, number, number][] = [
      // [options, receptiveField, padding.start, padding.end, delay]
      [{ kernelSize: [3, 1, 1] }, 3, 0, 0, 2],
      [{ kernelSize: [3, 1, 1], temporalPadding: 'causal' }, 3, 2, 0, 0],
      [{ kernelSize: [5, 1, 1], temporalPadding: 1 }, 5, 1, 1, 3],
      [{ kernelSize: [5, 1, 1], temporalPadding: 0 }, 5, 0, 0, 4],
      [{ kernelSize: [1, 3, 3], temporalPadding: 'causal' }, 1, 0, 0, 0],
    ];
    for (const [options, rf, start, end, delay] of expectations) {
      const kernelSize = options.kernelSize ?? [1, 1, 1];
      const module = new CoConv3d({
        name: 'c',
        ...base,
        ...options,
        kernelSize,
        stride: [2, 1, 1],
        kernel: tf.zeros([...kernelSize, 2, 2]),
      });
      expect(module.receptiveField).toBe(rf);
      expect(module.padding).toEqual({ start, end });
      expect(module.delay).toBe(delay);
      expect(module.stride).toBe(2);
      expect(module.name).toBe('c');
      module.dispose();
    }
  });

  it('resolves defaults: stride 1, same, valid, zeros, groups 1, linear, no bias', () => {
    const module = new CoConv3d({
      name: 'd',
      inChannels: 2,
      outChannels: 3,
      kernelSize: [2, 3, 3],
      kernel: tf.zeros([2, 3, 3, 2, 3]),
    });
    const { stride, spatialPadding, temporalPadding, temporalFill, groups, activation, bias } =
      module.options;
    expect({
      stride,
      spatialPadding,
      temporalPadding,
      temporalFill,
      groups,
      activation,
      bias,
    }).toEqual({
      stride: [1, 1, 1],
      spatialPadding: 'same',
      temporalPadding: 'valid',
      temporalFill: 'zeros',
      groups: 1,
      activation: 'linear',
      bias: null,
    });
    expect(module.stateForm).toBe(defaultConvStateForm(backend, module.options));
    expect(module.outputShape({ height: 5, width: 7, channels: 2 })).toEqual({
      height: 5,
      width: 7,
      channels: 3,
    });
    module.dispose();
  });

  it('computes output shapes for same, valid and explicit padding', () => {
    const shape = (spatialPadding: CoConv3dOptions['spatialPadding'], stride: number) => {
      const m = new CoConv3d({
        name: 's',
        inChannels: 1,
        outChannels: 2,
        kernelSize: [1, 3, 5],
        stride: [1, stride, stride],
        ...(spatialPadding === undefined ? {} : { spatialPadding }),
        kernel: tf.zeros([1, 3, 5, 1, 2]),
      });
      const out = m.outputShape({ height: 9, width: 12, channels: 1 });
      m.dispose();
      return [out.height, out.width, out.channels];
    };
    expect(shape('same', 1)).toEqual([9, 12, 2]);
    expect(shape('same', 2)).toEqual([5, 6, 2]);
    expect(shape('valid', 1)).toEqual([7, 8, 2]);
    expect(shape('valid', 2)).toEqual([4, 4, 2]);
    expect(shape(1, 1)).toEqual([9, 10, 2]);
    expect(shape(2, 2)).toEqual([6, 6, 2]);
  });

  it('rejects inputs with the wrong channels, rank or size', () => {
    const module = build(CASES[0] as Case, 'frame-buffer');
    expect(() => module.outputShape({ height: 4, width: 4, channels: 3 })).toThrow(
      /4 input channels/,
    );
    const wrong = tf.zeros([1, 5, 5, 3]) as Frame;
    expect(() => module.forwardStep(wrong)).toThrow(/frame \[N, H, W, 4\]/);
    const clip3 = tf.zeros([1, 3, 5, 5, 3]) as Clip;
    expect(() => module.forward(clip3)).toThrow(/clip \[N, T, H, W, 4\]/);
    const first = tf.zeros([1, 5, 5, 4]) as Frame;
    module.forwardStep(first);
    const bigger = tf.zeros([1, 6, 5, 4]) as Frame;
    expect(() => module.forwardStep(bigger)).toThrow(/resetState/);
    module.resetState();
    expect(module.forwardStep(bigger)).toBeNull();
    tf.dispose([wrong, clip3, first, bigger]);
    module.dispose();
  });

  it.each(FORMS)('rejects a frame of another size than the partial sums / frames (%s)', (form) => {
    const module = build(
      { options: { inChannels: 2, outChannels: 2, kernelSize: [2, 1, 1] }, bias: false },
      form,
    );
    const a = tf.ones([1, 3, 3, 2]) as Frame;
    const b = tf.ones([2, 3, 3, 2]) as Frame;
    expect(module.forwardStep(a)).toBeNull();
    expect(() => module.forwardStep(b)).toThrow(/does not match the streaming state/);
    tf.dispose([a, b]);
    module.dispose();
  });

  it('returns an empty clip when the clip is shorter than the window', () => {
    const module = build(CASES[0] as Case, 'frame-buffer');
    const clip = seededClip([1, 2, 5, 5, 4], 3);
    const out = module.forward(clip);
    expect(out.shape).toEqual([1, 0, 5, 5, 4]);
    tf.dispose([clip, out]);
    module.dispose();
  });

  describe.each(FORMS)('state (%s)', (form) => {
    const c = CASES[2] as Case; // kt 5, temporal pad 2, replicate: the richest start-up

    it('keeps its state when stepped inside tf.tidy, as callers do', async () => {
      const seed = 79;
      const inside = build(c, form, seed);
      const outside = build(c, form, seed);
      const clip = seededClip(c.clip, 9);
      const a: Frame[] = [];
      const b: Frame[] = [];
      for (let t = 0; t < c.clip[1]; t++) {
        // Separate frames: a clone the other module keeps would keep a disposed slot's data alive.
        const frame = frameAt(clip, t);
        const same = frameAt(clip, t);
        const x = tf.tidy(() => inside.forwardStep(frame) ?? undefined);
        const y = outside.forwardStep(same);
        if (x !== undefined) a.push(x);
        if (y !== null) b.push(y);
        tf.dispose([frame, same]);
      }
      // A state setState restores must survive an enclosing tidy too.
      const snapshot = inside.getState();
      tf.tidy(() => inside.setState(snapshot));
      const next = frameAt(clip, 0);
      const x = inside.forwardStep(next) as Frame;
      const y = outside.forwardStep(next) as Frame;
      expect(a.length).toBe(b.length);
      for (let k = 0; k < a.length; k++) {
        await expectTensorsCloseAsync(a[k] as Frame, b[k] as Frame, 0);
      }
      await expectTensorsCloseAsync(x, y, 0);
      tf.dispose([clip, next, x, y, ...a, ...b]);
      tf.dispose(Object.values(snapshot).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
      inside.dispose();
      outside.dispose();
    });

    it('resetState makes the module behave like a new one', async () => {
      const seed = 77;
      const used = build(c, form, seed);
      const fresh = build(c, form, seed);
      const noise = seededClip([1, 4, 5, 5, 3], 5);
      used.forwardSteps(noise)?.dispose();
      used.resetState();
      const clip = seededClip(c.clip, 6);
      const a = used.forwardSteps(clip);
      const b = fresh.forwardSteps(clip);
      expect(a).not.toBeNull();
      await expectTensorsCloseAsync(a as Clip, b as Clip, 0); // same ops on the same data: bit-identical
      tf.dispose([noise, clip, a as Clip, b as Clip]);
      used.dispose();
      fresh.dispose();
    });

    it('continues from a snapshot in a second module', async () => {
      const seed = 78;
      const first = build(c, form, seed);
      const second = build(c, form, seed);
      const clip = seededClip([1, 12, 5, 5, 3], 8);
      const head = tf.slice(clip, [0, 0, 0, 0, 0], [1, 3, 5, 5, 3]) as Clip;
      const tail = tf.slice(clip, [0, 3, 0, 0, 0], [1, 9, 5, 5, 3]) as Clip;
      first.forwardSteps(head)?.dispose();
      const snapshot = first.getState();
      expect(snapshot.step).toBe(3);
      second.setState(snapshot);
      const { numTensors } = tf.memory();
      tf.dispose(Object.values(snapshot).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
      // setState cloned the snapshot, so disposing it frees no data the module uses.
      expect(tf.memory().numTensors).toBeLessThan(numTensors);
      const a = first.forwardSteps(tail);
      const b = second.forwardSteps(tail);
      await expectTensorsCloseAsync(b as Clip, a as Clip, 0);
      expect(second.getState().step).toBe(12);
      tf.dispose([clip, head, tail, a as Clip, b as Clip]);
      first.dispose();
      second.dispose();
    });

    it('exposes its state in the documented layout', async () => {
      const module = build(c, form);
      const empty = module.getState();
      expect(empty.step).toBe(0);
      const frame = seededTensor([1, 5, 5, 3], 4) as Frame;
      expect(module.forwardStep(frame)).toBeNull(); // delay = 5 - 1 - 2 = 2
      const state = module.getState();
      if (form === 'partial-sums') {
        expect(Object.keys(state).sort()).toEqual(['step', 'sum0', 'sum1', 'sum2', 'sum3']);
        expect(empty.sum0).toBeNull();
        // After the two replicated padding frames and the first frame (positions 0, 1, 2), the
        // outputs ending at 4, 5, 6 have 3, 2, 1 taps; the one ending at 7 none yet. Sums are
        // output-sized: spatial stride 2 on 5 -> 3, 4 channels.
        for (const key of ['sum0', 'sum1', 'sum2']) {
          expect((state[key] as tf.Tensor).shape).toEqual([1, 3, 3, 4]);
        }
        expect(state.sum3).toBeNull();
      } else {
        expect(Object.keys(state).sort()).toEqual(['frame0', 'frame1', 'frame2', 'frame3', 'step']);
        // Two replicated padding frames and the first frame sit at padded positions 0, 1, 2.
        for (const key of ['frame0', 'frame1', 'frame2']) {
          await expectTensorsCloseAsync(state[key] as tf.Tensor, frame, 0);
        }
        expect(state.frame3).toBeNull();
      }
      expect(state.step).toBe(1);
      for (const s of [empty, state]) {
        Object.values(s).forEach((v) => v instanceof tf.Tensor && v.dispose());
      }
      frame.dispose();
      module.dispose();
    });

    it('setState frees the state it replaces', async () => {
      const module = build(c, form);
      const clip = seededClip([1, 4, 5, 5, 3], 10);
      module.forwardSteps(clip)?.dispose();
      const snapshot = module.getState();
      const held = Object.values(snapshot).filter((v) => v instanceof tf.Tensor).length;
      expect(held).toBe(4); // kt - 1 frames, or the sums of the outputs ending 1 to 4 steps on
      await expectNoLeakedTensors(() => module.setState(snapshot));
      tf.dispose(Object.values(snapshot).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
      const before = tf.memory().numTensors;
      module.resetState();
      expect(tf.memory().numTensors).toBe(before - held);
      clip.dispose();
      module.dispose();
    });

    it('rejects a malformed state and keeps its own', () => {
      const module = build(c, form);
      const frame = seededTensor([1, 5, 5, 3], 4) as Frame;
      module.forwardStep(frame);
      const bad: CoState = { step: 1, sum0: tf.zeros([2, 2]), frame0: tf.zeros([2, 2]) };
      expect(() => module.setState(bad)).toThrow(/state\.(sum0|frame0) must be a rank-4 tensor/);
      expect(() => module.setState({ step: 1 })).toThrow(/state\.(sum0|frame0) must be/);
      expect(() => module.setState({ step: -1 })).toThrow(/step must be a non-negative integer/);
      expect(() => module.setState({ step: 1.5 })).toThrow(/step must be a non-negative integer/);
      expect(module.getState().step).toBe(1);
      Object.values(bad).forEach((v) => v instanceof tf.Tensor && v.dispose());
      frame.dispose();
      module.dispose();
    });
  });

  it('replicate fill: a constant clip gives its steady-state output from the first step', async () => {
    // With causal padding filled by copies of the first frame, every window of a constant clip
    // is the same, so all outputs are equal; with zero fill the first kt - 1 outputs differ.
    for (const fill of ['replicate', 'zeros'] as const) {
      const module = build(
        {
          options: {
            inChannels: 2,
            outChannels: 2,
            kernelSize: [3, 1, 1],
            temporalPadding: 'causal',
            temporalFill: fill,
          },
          bias: true,
        },
        'partial-sums',
        31,
      );
      const frame = seededTensor([1, 2, 2, 2], 9) as Frame;
      const outs = [0, 1, 2, 3].map(() => module.forwardStep(frame) as Frame);
      const drift = await maxAbsDiffAsync(outs[0] as Frame, outs[3] as Frame);
      if (fill === 'replicate') expect(drift).toBeLessThanOrEqual(TOL);
      else expect(drift).toBeGreaterThan(1e-3);
      await expectTensorsCloseAsync(outs[2] as Frame, outs[3] as Frame, TOL); // full window from step 2 on
      tf.dispose([frame, ...outs]);
      module.dispose();
    }
  });

  it.each(FORMS)('holds no leaked tensors over 1,000 steps (%s)', async (form) => {
    await expectNoLeakedTensors(() => {
      const module = build(CASES[5] as Case, form); // depthwise, replicate, temporal stride 2
      const frame = seededTensor([1, 3, 3, 3], 12) as Frame;
      expectSteadyTensors(() => {
        const out = module.forwardStep(frame);
        out?.dispose();
      });
      frame.dispose();
      module.dispose(); // frees the kernel and bias it owns too
    });
  });

  // 10,000 single-frame steps take ~2 s on cpu/wasm but minutes on the software WebGPU adapter,
  // where every step is several dispatches; the arithmetic is the same, so webgpu skips it.
  it.skipIf(backend === 'webgpu').each(FORMS)(
    'does not drift: after 10,000 steps the output equals forward over the last window (%s)',
    async (form) => {
      const module = build(
        {
          options: { inChannels: 2, outChannels: 2, kernelSize: [3, 3, 3], activation: 'relu' },
          bias: true,
        },
        form,
        41,
      );
      const frames = seededClip([1, 16, 3, 3, 2], 13);
      const pool = Array.from({ length: 16 }, (_, i) => frameAt(frames, i));
      let last: Frame | null = null;
      const steps = 10_000;
      for (let i = 0; i < steps; i++) {
        last?.dispose();
        last = module.forwardStep(pool[i % 16] as Frame);
      }
      // The last window is the frames of steps 9997, 9998, 9999 (pool indices 13, 14, 15).
      const window = tf.slice(frames, [0, 13, 0, 0, 0], [1, 3, 3, 3, 2]) as Clip;
      const offline = module.forward(window);
      const expected = frameAt(offline, 0);
      await expectTensorsCloseAsync(last as Frame, expected, TOL);
      tf.dispose([frames, ...pool, last as Frame, window, offline, expected]);
      module.dispose();
    },
  );

  it('dispose frees the weights it owns and its state', async () => {
    await expectNoLeakedTensors(() => {
      for (const c of CASES) {
        for (const form of FORMS) {
          const module = build(c, form);
          const frame = tf.ones([c.clip[0], c.clip[2], c.clip[3], c.clip[4]]) as Frame;
          module.forwardStep(frame)?.dispose();
          module.dispose();
          frame.dispose();
        }
      }
    });
  });

  describe('FLOP counts (hand-computed)', () => {
    // Depthwise 3x3x3 on 8x8x4, 'same', bias + relu: an output frame has 8*8*4 = 256 elements,
    // each 27 MACs over 1 channel = 6,912 MACs, and 256 * (1 bias + 1 relu) = 512 elementwise.
    const depthwise = (form: ConvStateForm, st: number) =>
      new CoConv3d({
        name: 'dw',
        inChannels: 4,
        outChannels: 4,
        kernelSize: [3, 3, 3],
        groups: 4,
        stride: [st, 1, 1],
        activation: 'relu',
        stateForm: form,
        kernel: tf.zeros([3, 3, 3, 1, 4]),
        bias: tf.zeros([4]),
      });
    const frame = { height: 8, width: 8, channels: 4 };

    it('per clip', () => {
      const m = depthwise('frame-buffer', 1);
      // 10 frames, valid: 8 outputs
      expect(m.flopsPerClip(frame, 10)).toEqual({ macs: 55_296, elementwise: 4_096 });
      expect(m.flopsPerClip(frame, 2)).toEqual({ macs: 0, elementwise: 0 });
      m.dispose();
      const s2 = depthwise('frame-buffer', 2);
      // 10 frames, stride 2: floor(7 / 2) + 1 = 4 outputs
      expect(s2.flopsPerClip(frame, 10)).toEqual({ macs: 27_648, elementwise: 2_048 });
      s2.dispose();
    });

    it('per step, stride 1: both forms cost one output per frame', () => {
      for (const form of FORMS) {
        const m = depthwise(form, 1);
        expect(m.flopsPerStep(frame)).toEqual({ macs: 6_912, elementwise: 512 });
        m.dispose();
      }
    });

    it('per step, temporal stride 2: both forms halve (partial sums skip unwanted outputs)', () => {
      for (const form of FORMS) {
        const m = depthwise(form, 2);
        expect(m.flopsPerStep(frame)).toEqual({ macs: 3_456, elementwise: 256 });
        m.dispose();
      }
    });

    it('dense and grouped, with spatial stride and no bias', () => {
      // 3x1x1, 64 -> 32 channels, groups 2, on 12x12, spatial stride 2 'same' -> 6x6x32:
      // 1,152 elements * 3 taps * 32 input channels per group = 110,592 MACs; swish = 2 ops.
      const m = new CoConv3d({
        name: 'g',
        inChannels: 64,
        outChannels: 32,
        kernelSize: [3, 1, 1],
        stride: [1, 2, 2],
        groups: 2,
        activation: 'swish',
        stateForm: 'partial-sums',
        kernel: tf.zeros([3, 1, 1, 32, 32]),
      });
      const input = { height: 12, width: 12, channels: 64 };
      expect(m.flopsPerStep(input)).toEqual({ macs: 110_592, elementwise: 2_304 });
      // kt = 1 has no past: one conv per output step in either form.
      const pointwise = new CoConv3d({
        name: 'p',
        inChannels: 64,
        outChannels: 32,
        kernelSize: [1, 1, 1],
        stride: [2, 1, 1],
        activation: 'hardSwish',
        stateForm: 'partial-sums',
        kernel: tf.zeros([1, 1, 1, 64, 32]),
        bias: tf.zeros([32]),
      });
      // 12*12*32 = 4,608 elements * 64 = 294,912 MACs per output, halved by the stride;
      // elementwise 4,608 * (1 + 4) / 2 = 11,520.
      expect(pointwise.flopsPerStep(input)).toEqual({ macs: 147_456, elementwise: 11_520 });
      m.dispose();
      pointwise.dispose();
    });

    it('state bytes: kt - 1 input frames, or the open output-sized partial sums', () => {
      const make = (form: ConvStateForm, kt: number, st: number) =>
        new CoConv3d({
          name: 'b',
          inChannels: 4,
          outChannels: 6,
          kernelSize: [kt, 3, 3],
          stride: [st, 2, 2],
          stateForm: form,
          kernel: tf.zeros([kt, 3, 3, 4, 6]),
        });
      const input = { height: 8, width: 8, channels: 4 };
      const expectations: [ConvStateForm, number, number, number][] = [
        ['frame-buffer', 3, 1, 4 * 8 * 8 * 4 * 2], // 2,048: two input frames
        ['frame-buffer', 5, 2, 4 * 8 * 8 * 4 * 4], // 4,096: four, whatever the stride
        ['partial-sums', 3, 1, 4 * 4 * 4 * 6 * 2], // 768: two 4x4x6 sums
        ['partial-sums', 3, 2, 4 * 4 * 4 * 6 * 1], // 384: ceil(2 / 2) = 1 open sum
        ['partial-sums', 5, 2, 4 * 4 * 4 * 6 * 2], // 768: ceil(4 / 2) = 2 open sums
        ['partial-sums', 5, 3, 4 * 4 * 4 * 6 * 2], // 768: ceil(4 / 3) = 2 open sums
        ['partial-sums', 1, 1, 0],
      ];
      for (const [form, kt, st, bytes] of expectations) {
        const m = make(form, kt, st);
        expect(m.stateBytes(input), `${form} kt ${kt} stride ${st}`).toBe(bytes);
        expect(() => m.stateBytes({ ...input, channels: 3 })).toThrow(/input channels/);
        m.dispose();
      }
    });

    it.each(FORMS)('state bytes match the tensors the state holds in steady state (%s)', (form) => {
      for (const [kt, st] of [
        [3, 1],
        [3, 2],
        [5, 2],
        [5, 3],
        [2, 3],
      ] as const) {
        const m = new CoConv3d({
          name: 'h',
          inChannels: 2,
          outChannels: 3,
          kernelSize: [kt, 1, 1],
          stride: [st, 1, 1],
          temporalPadding: 'causal',
          stateForm: form,
          kernel: tf.zeros([kt, 1, 1, 2, 3]),
        });
        const frame = tf.zeros([1, 2, 2, 2]) as Frame;
        let most = 0;
        for (let i = 0; i < 12; i++) {
          m.forwardStep(frame)?.dispose();
          const state = m.getState();
          const held = Object.values(state).filter((v): v is tf.Tensor => v instanceof tf.Tensor);
          most = Math.max(
            most,
            held.reduce((sum, t) => sum + 4 * t.size, 0),
          );
          tf.dispose(held);
        }
        expect(most, `kt ${kt} stride ${st}`).toBe(
          m.stateBytes({ height: 2, width: 2, channels: 2 }),
        );
        frame.dispose();
        m.dispose();
      }
    });
  });

  describe('option validation', () => {
    const ok: CoConv3dOptions = {
      name: 'v',
      inChannels: 4,
      outChannels: 6,
      kernelSize: [3, 3, 3],
      groups: 2,
      kernel: tf.zeros([3, 3, 3, 2, 6]),
    };
    const bad: [string, Partial<CoConv3dOptions>, RegExp][] = [
      ['empty name', { name: '' }, /name must be a non-empty string/],
      ['zero channels', { inChannels: 0 }, /positive integers/],
      ['fractional channels', { outChannels: 2.5 }, /positive integers/],
      ['kernel size 0', { kernelSize: [0, 3, 3] }, /kernelSize/],
      ['stride 0', { stride: [1, 0, 1] }, /stride must be/],
      ['groups not dividing inChannels', { groups: 3 }, /groups \(3\) must divide/],
      ['groups not dividing outChannels', { groups: 4 }, /groups \(4\) must divide/],
      ['groups 0', { groups: 0 }, /groups must be a positive integer/],
      ['negative spatial padding', { spatialPadding: -1 }, /spatialPadding/],
      ['fractional spatial padding', { spatialPadding: 0.5 }, /spatialPadding/],
      ['temporal padding = kt', { temporalPadding: 3 }, /\[0, 2\], got 3/],
      ['negative temporal padding', { temporalPadding: -1 }, /temporalPadding/],
      ['fractional temporal padding', { temporalPadding: 1.5 }, /temporalPadding/],
      ['fractional kernel size', { kernelSize: [3, 1.5, 3] }, /kernelSize/],
      ['unknown fill', { temporalFill: 'reflect' as 'zeros' }, /temporalFill/],
      ['unknown activation', { activation: 'gelu' as Activation }, /unknown activation "gelu"/],
      ['unknown state form', { stateForm: 'cache' as ConvStateForm }, /stateForm/],
      [
        'kernel shape',
        { kernel: tf.zeros([3, 3, 3, 4, 6]) },
        /\[3, 3, 3, 2, 6\], got float32 \[3, 3, 3, 4, 6\]/,
      ],
      ['kernel rank', { kernel: tf.zeros([3, 3, 2, 6]) }, /kernel must be/],
      ['kernel dtype', { kernel: tf.zeros([3, 3, 3, 2, 6], 'int32') }, /got int32/],
      ['bias shape', { bias: tf.zeros([4]) }, /bias must be float32 of shape \[6\]/],
      ['bias dtype', { bias: tf.zeros([6], 'int32') }, /bias must be/],
    ];
    it.each(bad)('throws on %s', (_label, change, message) => {
      expect(() => new CoConv3d({ ...ok, ...change })).toThrow(message);
      if (change.kernel) change.kernel.dispose();
      if (change.bias) change.bias.dispose();
    });

    it('throws on disposed weights', () => {
      const kernel = tf.zeros([3, 3, 3, 2, 6]);
      kernel.dispose();
      expect(() => new CoConv3d({ ...ok, kernel })).toThrow(/kernel tensor is disposed/);
      const bias = tf.zeros([6]);
      bias.dispose();
      expect(() => new CoConv3d({ ...ok, kernel: tf.zeros([3, 3, 3, 2, 6]), bias })).toThrow(
        /bias tensor is disposed/,
      );
    });

    it('accepts the boundary temporal padding kt - 1 and groups = channels', () => {
      const m = new CoConv3d({ ...ok, temporalPadding: 2, kernel: tf.zeros([3, 3, 3, 2, 6]) });
      expect(m.delay).toBe(0);
      m.dispose();
      const dw = new CoConv3d({
        ...ok,
        outChannels: 8,
        groups: 4,
        kernel: tf.zeros([3, 3, 3, 1, 8]),
      });
      expect(dw.flopsPerStep({ height: 1, width: 1, channels: 4 }).macs).toBe(8 * 27);
      dw.dispose();
    });

    it('rejects a spatial size the window cannot fit', () => {
      const m = new CoConv3d({
        ...ok,
        spatialPadding: 'valid',
        kernel: tf.zeros([3, 3, 3, 2, 6]),
      });
      expect(() => m.outputShape({ height: 2, width: 8, channels: 4 })).toThrow(/does not fit/);
      m.dispose();
    });
  });

  it('defaultConvStateForm: frame-buffer, measured on wasm and cpu, by op count elsewhere', () => {
    const opts = { inChannels: 96, outChannels: 96, kernelSize: [3, 3, 3] as const, groups: 96 };
    for (const name of ['cpu', 'wasm', 'webgpu', 'webgl', 'unknown']) {
      expect(defaultConvStateForm(name, opts)).toBe('frame-buffer');
    }
  });
});
