import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { Frame } from './module';
import {
  CoActivation,
  CoBatchNorm,
  CoLambda,
  CoPointwiseConv,
  CoScale,
  foldBatchNorm,
} from './pointwise';
import { expectNoLeakedTensors, seededClip, seededTensor } from './testing';
import { expectTensorsCloseAsync, streamAndCompareAsync, valuesOf } from './testing-async';

// float32 sums of a few products: cpu and wasm agree with the reference to 1e-5; webgpu's
// software adapter orders and fuses the arithmetic differently, so it gets 1e-4.
const tol = (): number => (tf.getBackend() === 'webgpu' ? 1e-4 : 1e-5);

const shape = { height: 2, width: 3, channels: 2 };

/** One frame [1, 1, 1, C] of the given channel values. */
function pixel(values: number[]): Frame {
  return tf.tensor4d(values, [1, 1, 1, values.length]);
}

/** Steps one frame and returns the output values (the output is disposed). */
async function stepData(
  module: { forwardStep(f: Frame): Frame | null },
  frame: Frame,
): Promise<number[]> {
  const out = module.forwardStep(frame);
  if (out === null) throw new Error('a pointwise module never returns null');
  const data = await valuesOf(out);
  out.dispose();
  return data;
}

function expectValues(actual: number[], expected: number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) =>
    expect(Math.abs(v - (expected[i] ?? Number.NaN))).toBeLessThanOrEqual(tolerance),
  );
}

describe('CoActivation', () => {
  it('is stateless: receptive field 1, delay 0, no padding, stride 1, empty state', async () => {
    const a = new CoActivation({ name: 'act', activation: 'relu' });
    expect(a.receptiveField).toBe(1);
    expect(a.delay).toBe(0);
    expect(a.padding).toEqual({ start: 0, end: 0 });
    expect(a.stride).toBe(1);
    expect(a.getState()).toEqual({});
    expect(a.stateBytes()).toBe(0);
    expect(a.outputShape(shape)).toEqual(shape);
    a.setState();
    a.resetState();
    a.dispose();
  });

  it('applies the activation to each frame', async () => {
    const a = new CoActivation({ name: 'act', activation: 'relu6' });
    const f = pixel([-1, 0.5, 7]);
    expect(await stepData(a, f)).toEqual([0, 0.5, 6]);
    f.dispose();
  });

  it('streams like its clip twin, with no null steps', async () => {
    const a = new CoActivation({ name: 'act', activation: 'hardSwish' });
    const clip = seededClip([2, 5, 2, 3, 2], 11);
    // The same element-wise op on the same values: exact but for webgpu's fused arithmetic.
    const seen = await streamAndCompareAsync(a, clip, tol());
    expect(seen.leadingNulls).toBe(0);
    expect(seen.nullSteps).toBe(0);
    expect(seen.compared).toBe(5);
    clip.dispose();
  });

  it('counts element-wise ops per frame and per clip', async () => {
    const a = new CoActivation({ name: 'act', activation: 'swish' });
    // 2 * 3 * 2 elements, 2 ops each (sigmoid, multiply).
    expect(a.flopsPerStep(shape)).toEqual({ macs: 0, elementwise: 24 });
    expect(a.flopsPerClip(shape, 5)).toEqual({ macs: 0, elementwise: 120 });
    const linear = new CoActivation({ name: 'id', activation: 'linear' });
    expect(linear.flopsPerStep(shape)).toEqual({ macs: 0, elementwise: 0 });
  });

  it('returns a tensor the caller owns even for linear', async () => {
    const a = new CoActivation({ name: 'id', activation: 'linear' });
    const f = pixel([1, 2]);
    const out = a.forwardStep(f);
    expect(out).not.toBe(f);
    f.dispose();
    expect(await valuesOf(out)).toEqual([1, 2]);
    out.dispose();
  });
});

describe('CoPointwiseConv', () => {
  const kernel = (): tf.Tensor2D =>
    tf.tensor2d(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [2, 3],
    );

  it('multiplies the channels of every pixel by the kernel and adds the bias', async () => {
    const k = kernel();
    const b = tf.tensor1d([0.5, -1, 10]);
    const conv = new CoPointwiseConv({
      name: 'pw',
      inChannels: 2,
      outChannels: 3,
      kernel: k,
      bias: b,
    });
    tf.dispose([k, b]); // the module holds its own copies
    const f = pixel([1, -1]);
    // [1 - 4, 2 - 5, 3 - 6] + [0.5, -1, 10]
    expectValues(await stepData(conv, f), [-2.5, -4, 7], 1e-6);
    f.dispose();
    conv.dispose();
  });

  it('applies fused and unfused activations after the bias', async () => {
    const f = pixel([1, -1]);
    const relu = new CoPointwiseConv({
      name: 'pw',
      inChannels: 2,
      outChannels: 3,
      kernel: kernel(),
      bias: tf.tensor1d([0.5, -1, 10]),
      activation: 'relu',
    });
    expectValues(await stepData(relu, f), [0, 0, 7], 1e-6);
    // hardSwish is not fused: x * relu6(x + 3) / 6 on [-2.5, -4, 7] gives [-0.2083.., 0, 7].
    const hs = new CoPointwiseConv({
      name: 'pw',
      inChannels: 2,
      outChannels: 3,
      kernel: kernel(),
      bias: tf.tensor1d([0.5, -1, 10]),
      activation: 'hardSwish',
    });
    expectValues(await stepData(hs, f), [(-2.5 * 0.5) / 6, -0, 7], 1e-6);
    f.dispose();
  });

  it('accepts a [1, 1, 1, in, out] Conv3D kernel and works without bias', async () => {
    const conv = new CoPointwiseConv({
      name: 'pw',
      inChannels: 2,
      outChannels: 3,
      kernel: tf.tensor5d([1, 2, 3, 4, 5, 6], [1, 1, 1, 2, 3]),
    });
    const f = tf.tensor4d([1, 0, 0, 2], [1, 1, 2, 2]);
    // Pixel [1, 0] -> row 1; pixel [0, 2] -> 2 * row 2.
    expectValues(await stepData(conv, f), [1, 2, 3, 8, 10, 12], 1e-6);
    expect(conv.outputShape({ height: 1, width: 2, channels: 2 })).toEqual({
      height: 1,
      width: 2,
      channels: 3,
    });
    f.dispose();
    conv.dispose();
  });

  it('streams like its clip twin', async () => {
    const conv = new CoPointwiseConv({
      name: 'pw',
      inChannels: 2,
      outChannels: 3,
      kernel: seededTensor([2, 3], 3),
      bias: seededTensor([3], 4) as tf.Tensor1D,
      activation: 'swish',
    });
    const clip = seededClip([2, 4, 2, 3, 2], 5);
    const seen = await streamAndCompareAsync(conv, clip, tol());
    expect(seen.compared).toBe(4);
    const out = conv.forward(clip);
    expect(out.shape).toEqual([2, 4, 2, 3, 3]);
    tf.dispose([clip, out]);
    conv.dispose();
  });

  it('counts H * W * in * out multiply-adds and the activation per output element', async () => {
    const conv = new CoPointwiseConv({
      name: 'pw',
      inChannels: 2,
      outChannels: 3,
      kernel: kernel(),
      activation: 'hardSwish',
    });
    // 2 * 3 pixels * 2 * 3 = 36 macs; 2 * 3 * 3 outputs * 4 ops = 72.
    expect(conv.flopsPerStep(shape)).toEqual({ macs: 36, elementwise: 72 });
    expect(conv.flopsPerClip(shape, 4)).toEqual({ macs: 144, elementwise: 288 });
    const linear = new CoPointwiseConv({
      name: 'fc',
      inChannels: 2,
      outChannels: 3,
      kernel: kernel(),
    });
    // As a linear layer on [N, 1, 1, C]: in * out.
    expect(linear.flopsPerStep({ height: 1, width: 1, channels: 2 })).toEqual({
      macs: 6,
      elementwise: 0,
    });
  });

  it('rejects kernels, biases and inputs of the wrong shape', async () => {
    const k = kernel();
    expect(
      () => new CoPointwiseConv({ name: 'pw', inChannels: 3, outChannels: 2, kernel: k }),
    ).toThrow(/kernel must be \[3, 2\]/);
    expect(
      () =>
        new CoPointwiseConv({
          name: 'pw',
          inChannels: 2,
          outChannels: 3,
          kernel: tf.zeros([1, 1, 2, 3]),
        }),
    ).toThrow(/got \[1,1,2,3\]/);
    expect(
      () =>
        new CoPointwiseConv({
          name: 'pw',
          inChannels: 2,
          outChannels: 3,
          kernel: k,
          bias: tf.zeros([2]) as tf.Tensor1D,
        }),
    ).toThrow(/bias must be \[3\]/);
    expect(
      () =>
        new CoPointwiseConv({
          name: 'pw',
          inChannels: 2,
          outChannels: 3,
          kernel: k,
          bias: tf.zeros([1, 3]) as unknown as tf.Tensor1D,
        }),
    ).toThrow(/bias must be/);
    const conv = new CoPointwiseConv({ name: 'pw', inChannels: 2, outChannels: 3, kernel: k });
    expect(() => conv.outputShape({ height: 1, width: 1, channels: 3 })).toThrow(
      /expected 2 input channels, got 3/,
    );
    expect(() => conv.flopsPerStep({ height: 1, width: 1, channels: 3 })).toThrow(/got 3/);
    const wrong = pixel([1, 2, 3]);
    expect(() => conv.forwardStep(wrong)).toThrow(/got 3/);
    wrong.dispose();
  });

  it('keeps its weights when built inside tf.tidy and releases them on dispose', async () => {
    await expectNoLeakedTensors(async () => {
      let built: CoPointwiseConv | undefined;
      tf.tidy(() => {
        built = new CoPointwiseConv({
          name: 'pw',
          inChannels: 2,
          outChannels: 3,
          kernel: kernel(),
          bias: tf.tensor1d([1, 2, 3]),
        });
      });
      const conv = built as CoPointwiseConv;
      const f = pixel([1, 1]);
      expectValues(await stepData(conv, f), [6, 9, 12], 1e-6);
      f.dispose();
      const before = tf.memory().numTensors;
      conv.dispose();
      expect(tf.memory().numTensors).toBe(before - 2);
    });
  });

  it('leaks no tensors over 1,000 steps', async () => {
    const conv = new CoPointwiseConv({
      name: 'pw',
      inChannels: 2,
      outChannels: 2,
      kernel: seededTensor([2, 2], 6),
      activation: 'hardSwish',
    });
    const f = seededTensor([1, 2, 2, 2], 7) as Frame;
    await expectNoLeakedTensors(async () => {
      for (let t = 0; t < 1000; t++) conv.forwardStep(f).dispose();
      const clip = seededClip([1, 3, 2, 2, 2], 8);
      conv.forward(clip).dispose();
      clip.dispose();
    });
    f.dispose();
    conv.dispose();
  });
});

describe('CoScale', () => {
  it('multiplies by a per-channel vector', async () => {
    const s = new CoScale({ name: 's', scale: [2, -0.5] });
    const f = tf.tensor4d([1, 4, 3, 8], [1, 1, 2, 2]);
    expectValues(await stepData(s, f), [2, -2, 6, -4], 0);
    f.dispose();
    s.dispose();
  });

  it('multiplies by a scalar, a Float32Array or a broadcastable tensor', async () => {
    const f = tf.tensor4d([1, 2, 3, 4], [1, 2, 1, 2]);
    const scalar = new CoScale({ name: 's', scale: 3 });
    expectValues(await stepData(scalar, f), [3, 6, 9, 12], 0);
    const typed = new CoScale({ name: 's', scale: new Float32Array([1, 10]) });
    expectValues(await stepData(typed, f), [1, 20, 3, 40], 0);
    const hw = tf.tensor3d([10, 10, 100, 100], [2, 1, 2]);
    const spatial = new CoScale({ name: 's', scale: hw });
    hw.dispose();
    expectValues(await stepData(spatial, f), [10, 20, 300, 400], 0);
    const batched = new CoScale({ name: 's', scale: tf.ones([1, 1, 1, 2]) });
    expect(batched.outputShape({ height: 2, width: 1, channels: 2 })).toEqual({
      height: 2,
      width: 1,
      channels: 2,
    });
    f.dispose();
    for (const m of [scalar, typed, spatial, batched]) m.dispose();
  });

  it('streams like its clip twin and counts one op per element', async () => {
    const s = new CoScale({ name: 's', scale: seededTensor([1, 3, 2], 9) });
    const clip = seededClip([1, 3, 2, 3, 2], 10);
    // One multiplication per element: exact.
    expect((await streamAndCompareAsync(s, clip, 0)).compared).toBe(3);
    expect(s.flopsPerStep(shape)).toEqual({ macs: 0, elementwise: 12 });
    expect(s.flopsPerClip(shape, 3)).toEqual({ macs: 0, elementwise: 36 });
    clip.dispose();
    s.dispose();
  });

  it('releases its multiplier on dispose and on a rejected shape', async () => {
    const bad = tf.ones([2, 1, 1, 2]);
    await expectNoLeakedTensors(() => {
      new CoScale({ name: 's', scale: [1, 2] }).dispose();
      new CoScale({ name: 's', scale: 2 }).dispose();
      expect(() => new CoScale({ name: 's', scale: bad })).toThrow(/broadcast/);
    });
    bad.dispose();
  });

  it('keeps its multiplier when built inside tf.tidy', async () => {
    let built: CoScale | undefined;
    tf.tidy(() => {
      built = new CoScale({ name: 's', scale: tf.tensor1d([2, 3]) });
    });
    const s = built as CoScale;
    const f = pixel([1, 1]);
    expect(await stepData(s, f)).toEqual([2, 3]);
    f.dispose();
    s.dispose();
  });

  it('rejects a scale that would change the frame shape', async () => {
    expect(() => new CoScale({ name: 's', scale: tf.ones([2, 1, 1, 2]) })).toThrow(
      /\[1, H, W, C\], got shape \[2,1,1,2\]/,
    );
    expect(() => new CoScale({ name: 's', scale: tf.ones([1, 1, 1, 1, 2]) })).toThrow(/broadcast/);
    const s = new CoScale({ name: 's', scale: [1, 2, 3] });
    expect(() => s.outputShape(shape)).toThrow(
      /shape \[3\] does not broadcast against a frame \[2,3,2\]/,
    );
    const f = pixel([1, 2]);
    expect(() => s.forwardStep(f)).toThrow(/does not broadcast/);
    const h = new CoScale({ name: 's', scale: tf.ones([3, 1, 1]) });
    expect(() => h.outputShape(shape)).toThrow(/does not broadcast/);
    expect(h.outputShape({ height: 3, width: 5, channels: 4 })).toEqual({
      height: 3,
      width: 5,
      channels: 4,
    });
    f.dispose();
  });
});

describe('CoBatchNorm and foldBatchNorm', () => {
  const bn = {
    mean: [1, 2],
    variance: [3, 0.15],
    gamma: [2, 1],
    beta: [0, 3],
    epsilon: 1,
  };

  it('normalises each channel with fixed statistics', async () => {
    const norm = new CoBatchNorm({ name: 'bn', ...bn });
    expect(norm.channels).toBe(2);
    expect(norm.epsilon).toBe(1);
    const f = pixel([3, 2.5]);
    // (3 - 1) / sqrt(4) * 2 + 0 = 2; (2.5 - 2) / sqrt(1.15) * 1 + 3.
    expectValues(await stepData(norm, f), [2, 0.5 / Math.sqrt(1.15) + 3], 1e-5);
    f.dispose();
    expect(norm.flopsPerStep(shape)).toEqual({ macs: 0, elementwise: 12 });
    norm.dispose();
  });

  it('accepts tensors, clones them and releases its own copies', async () => {
    await expectNoLeakedTensors(async () => {
      const params = {
        mean: tf.tensor1d([1, 2]),
        variance: tf.tensor1d([3, 0.15]),
        gamma: tf.tensor1d([2, 1]),
        beta: tf.tensor1d([0, 3]),
      };
      const norm = new CoBatchNorm({ name: 'bn', ...params, epsilon: 1 });
      tf.dispose(Object.values(params));
      const f = pixel([3, 2]);
      expectValues(await stepData(norm, f), [2, 3], 1e-6);
      f.dispose();
      norm.dispose();
    });
  });

  it('keeps its parameters when built inside tf.tidy', async () => {
    let built: CoBatchNorm | undefined;
    tf.tidy(() => {
      built = new CoBatchNorm({ name: 'bn', ...bn });
    });
    const norm = built as CoBatchNorm;
    const f = pixel([3, 2]);
    expectValues(await stepData(norm, f), [2, 3], 1e-6);
    f.dispose();
    norm.dispose();
  });

  it('rejects parameters of unequal lengths and inputs of other channels', async () => {
    const gamma = tf.ones([2, 1]) as unknown as tf.Tensor1D;
    await expectNoLeakedTensors(async () => {
      expect(() => new CoBatchNorm({ name: 'bn', ...bn, beta: [0] })).toThrow(/same length/);
      expect(() => new CoBatchNorm({ name: 'bn', ...bn, gamma })).toThrow(/gamma must be rank 1/);
    });
    gamma.dispose();
    const norm = new CoBatchNorm({ name: 'bn', ...bn });
    expect(() => norm.outputShape({ height: 1, width: 1, channels: 3 })).toThrow(
      /expected 2 channels, got 3/,
    );
    const f = pixel([1, 2, 3]);
    expect(() => norm.forwardStep(f)).toThrow(/got 3/);
    f.dispose();
    norm.dispose();
  });

  it('folds into a kernel and bias by hand-computed numbers', async () => {
    // a = 2 / sqrt(15 + 1) = 0.5: kernel halves; bias (1 - 3) * 0.5 + 2 = 1.
    const params = { mean: [3], variance: [15], gamma: [2], beta: [2], epsilon: 1 };
    const k = tf.tensor2d([1, 2], [2, 1]);
    const b = tf.tensor1d([1]);
    const withBias = foldBatchNorm(k, b, params);
    expectValues(await valuesOf(withBias.kernel), [0.5, 1], 1e-7);
    expectValues(await valuesOf(withBias.bias), [1], 1e-7);
    // Without a bias: -3 * 0.5 + 2 = 0.5.
    const noBias = foldBatchNorm(k, undefined, params);
    expectValues(await valuesOf(noBias.bias), [0.5], 1e-7);
    tf.dispose([k, b, withBias.kernel, withBias.bias, noBias.kernel, noBias.bias]);
  });

  it('scales the last axis of a [kt, kh, kw, in/groups, out] kernel', async () => {
    const k = tf.ones([3, 3, 3, 1, 2]);
    const folded = foldBatchNorm(k, undefined, { ...bn, variance: [3, 8], epsilon: 1 });
    expect(folded.kernel.shape).toEqual([3, 3, 3, 1, 2]);
    const data = await valuesOf(folded.kernel);
    // Channel 0: 2 / sqrt(4) = 1; channel 1: 1 / sqrt(9) = 1/3, alternating along the last axis.
    expect(Math.abs((data[52] ?? 0) - 1)).toBeLessThan(1e-6);
    expect(Math.abs((data[53] ?? 0) - 1 / 3)).toBeLessThan(1e-6);
    expectValues(await valuesOf(folded.bias), [-1, 3 - 2 / 3], 1e-6);
    tf.dispose([k, folded.kernel, folded.bias]);
  });

  it('equals a pointwise conv followed by batch norm within 1e-5', async () => {
    const kernel = seededTensor([1, 1, 1, 3, 4], 20);
    const bias = seededTensor([4], 21) as tf.Tensor1D;
    const stats = {
      mean: seededTensor([4], 22) as tf.Tensor1D,
      variance: seededTensor([4], 23, 0.1, 2) as tf.Tensor1D,
      gamma: seededTensor([4], 24, 0.5, 1.5) as tf.Tensor1D,
      beta: seededTensor([4], 25) as tf.Tensor1D,
      epsilon: 1e-3,
    };
    const conv = new CoPointwiseConv({ name: 'c', inChannels: 3, outChannels: 4, kernel, bias });
    const norm = new CoBatchNorm({ name: 'bn', ...stats });
    const folded = foldBatchNorm(kernel, bias, stats);
    const fused = new CoPointwiseConv({ name: 'f', inChannels: 3, outChannels: 4, ...folded });
    const clip = seededClip([1, 3, 2, 2, 3], 26);
    const unfused = tf.tidy(() => {
      const y = conv.forward(clip);
      return norm.forward(y);
    });
    const once = fused.forward(clip);
    // Folding reorders float32 products of O(1) values.
    await expectTensorsCloseAsync(once, unfused, tol());
    tf.dispose([kernel, bias, stats.mean, stats.variance, stats.gamma, stats.beta]);
    tf.dispose([folded.kernel, folded.bias, clip, unfused, once]);
    for (const m of [conv, norm, fused]) m.dispose();
  });

  it('rejects statistics or a bias that do not match the output channels, leaking nothing', async () => {
    const k = tf.ones([1, 1, 1, 2, 3]);
    await expectNoLeakedTensors(async () => {
      expect(() => foldBatchNorm(k, undefined, bn)).toThrow(/need 3 values .*got 2/);
      const b = tf.ones([2]) as tf.Tensor1D;
      const three = {
        mean: [0, 0, 0],
        variance: [1, 1, 1],
        gamma: [1, 1, 1],
        beta: [0, 0, 0],
        epsilon: 0,
      };
      expect(() => foldBatchNorm(k, b, three)).toThrow(/got 2/);
      b.dispose();
    });
    k.dispose();
  });
});

describe('CoLambda', () => {
  it('applies a per-frame function with its own shape and cost', async () => {
    const pool = new CoLambda({
      name: 'pool',
      fn: (x) => tf.mean(x, [1, 2], true),
      outputShape: (s) => ({ height: 1, width: 1, channels: s.channels }),
      flops: (s) => ({ macs: 0, elementwise: s.height * s.width * s.channels }),
    });
    expect(pool.outputShape(shape)).toEqual({ height: 1, width: 1, channels: 2 });
    expect(pool.flopsPerStep(shape)).toEqual({ macs: 0, elementwise: 12 });
    expect(pool.flopsPerClip(shape, 2)).toEqual({ macs: 0, elementwise: 24 });
    const f = tf.tensor4d([1, 10, 3, 30], [1, 1, 2, 2]);
    expectValues(await stepData(pool, f), [2, 20], 1e-6);
    f.dispose();
    const clip = seededClip([2, 3, 2, 3, 2], 30);
    const out = pool.forward(clip);
    expect(out.shape).toEqual([2, 3, 1, 1, 2]);
    // A mean of six values, reduced in the same order either way.
    expect((await streamAndCompareAsync(pool, clip, tol())).compared).toBe(3);
    tf.dispose([clip, out]);
  });

  it('defaults to the input shape and zero cost, and copies a returned input', async () => {
    const id = new CoLambda({ name: 'id', fn: (x) => x });
    expect(id.outputShape(shape)).toEqual(shape);
    expect(id.flopsPerStep(shape)).toEqual({ macs: 0, elementwise: 0 });
    const f = pixel([4, 5]);
    const out = id.forwardStep(f);
    expect(out).not.toBe(f);
    f.dispose();
    expect(await valuesOf(out)).toEqual([4, 5]);
    out.dispose();
  });
});
