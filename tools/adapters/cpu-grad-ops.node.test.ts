/**
 * The loop-based training ops compute what tfjs-core's ops compute, values and gradients
 * (cpu backend, small shapes, including TF SAME padding with an odd size and stride 2).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectTensorsClose, seededTensor } from '../../src/continual/testing';
import { TFJS_OPS } from '../../src/models/adapters/bottleneck-clip';
import { CPU_GRAD_OPS, samePadding } from './cpu-grad-ops';
import './gradients';

/** float32 sums of a few dozen products in another order. */
const TOL = 1e-5;

/** Gradients of sum(f(inputs) * weights) for a fixed random weighting of the output. */
function gradsOf(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  seed: number,
): tf.Tensor[] {
  return tf.tidy(() => {
    const shape = f(...inputs).shape;
    const r = seededTensor(shape, seed);
    return tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)))(inputs);
  });
}

describe('samePadding', () => {
  it('gives TF SAME and VALID sizes and leading pads', () => {
    expect(samePadding(43, 3, 2, 'same')).toEqual({ out: 22, before: 1 });
    expect(samePadding(86, 5, 2, 'same')).toEqual({ out: 43, before: 1 });
    expect(samePadding(11, 5, 1, 'same')).toEqual({ out: 11, before: 2 });
    expect(samePadding(4, 3, 2, 'same')).toEqual({ out: 2, before: 0 });
    expect(samePadding(7, 3, 2, 'valid')).toEqual({ out: 3, before: 0 });
  });
});

describe('CPU_GRAD_OPS', () => {
  it.each<[string, [number, number, number, number], number, number, 'same' | 'valid']>([
    ['3x3 stride 2 SAME on 7x7', [2, 7, 7, 3], 3, 2, 'same'],
    ['5x5 stride 2 SAME on 8x8', [1, 8, 8, 2], 5, 2, 'same'],
    ['5x5 stride 1 SAME on 6x5', [2, 6, 5, 4], 5, 1, 'same'],
    ['3x3 stride 1 VALID', [1, 6, 6, 3], 3, 1, 'valid'],
  ])('depthwise %s equals tf.depthwiseConv2d with its gradients', (_, shape, k, s, pad) => {
    const x = seededTensor(shape, 1) as tf.Tensor4D;
    const f = seededTensor([k, k, shape[3], 1], 2) as tf.Tensor4D;
    const ours = (a: tf.Tensor, b: tf.Tensor) =>
      CPU_GRAD_OPS.depthwise(a as tf.Tensor4D, b as tf.Tensor4D, [s, s], pad);
    const theirs = (a: tf.Tensor, b: tf.Tensor) =>
      TFJS_OPS.depthwise(a as tf.Tensor4D, b as tf.Tensor4D, [s, s], pad);
    const y1 = ours(x, f);
    const y2 = theirs(x, f);
    expectTensorsClose(y1, y2, TOL);
    const [dx1, df1] = gradsOf(ours, [x, f], 3);
    const [dx2, df2] = gradsOf(theirs, [x, f], 3);
    expectTensorsClose(dx1 as tf.Tensor, dx2 as tf.Tensor, TOL);
    expectTensorsClose(df1 as tf.Tensor, df2 as tf.Tensor, TOL);
    tf.dispose([x, f, y1, y2, dx1 ?? [], dx2 ?? [], df1 ?? [], df2 ?? []]);
  });

  it.each([2, 3, 5])(
    'causal temporal conv (kt = %i) equals causalTemporalClip with its gradients',
    (kt) => {
      const x = seededTensor([2, 6, 2, 3, 4], 4);
      const k = seededTensor([kt, 4], 5) as tf.Tensor2D;
      const b = seededTensor([4], 6) as tf.Tensor1D;
      const ours = (a: tf.Tensor, kk: tf.Tensor, bb: tf.Tensor) =>
        CPU_GRAD_OPS.causalTemporal(a, kk as tf.Tensor2D, bb as tf.Tensor1D);
      const theirs = (a: tf.Tensor, kk: tf.Tensor, bb: tf.Tensor) =>
        TFJS_OPS.causalTemporal(a, kk as tf.Tensor2D, bb as tf.Tensor1D);
      const y1 = ours(x, k, b);
      const y2 = theirs(x, k, b);
      expectTensorsClose(y1, y2, TOL);
      const g1 = gradsOf(ours, [x, k, b], 7);
      const g2 = gradsOf(theirs, [x, k, b], 7);
      g1.forEach((g, i) => expectTensorsClose(g, g2[i] as tf.Tensor, TOL));
      tf.dispose([x, k, b, y1, y2, ...g1, ...g2]);
    },
  );

  it('relu6 clips to [0, 6] and passes the gradient strictly inside', () => {
    const x = tf.tensor1d([-1, 0.5, 3, 5.9, 6.5, 8]);
    expect(Array.from(CPU_GRAD_OPS.relu6(x).dataSync())).toEqual([
      0,
      0.5,
      3,
      Math.fround(5.9),
      6,
      6,
    ]);
    const g = tf.grad((a: tf.Tensor) =>
      tf.sum(tf.mul(CPU_GRAD_OPS.relu6(a), tf.tensor1d([1, 2, 3, 4, 5, 6]))),
    )(x);
    expect(Array.from(g.dataSync())).toEqual([0, 2, 3, 4, 0, 0]);
    const ref = tf.grad((a: tf.Tensor) =>
      tf.sum(tf.mul(tf.relu6(a), tf.tensor1d([1, 2, 3, 4, 5, 6]))),
    )(x);
    expect(Array.from(ref.dataSync())).toEqual([0, 2, 3, 4, 0, 0]);
  });

  it('rejects a filter for another number of channels', () => {
    const x = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    const f = tf.zeros([3, 3, 2, 1]) as tf.Tensor4D;
    expect(() => CPU_GRAD_OPS.depthwise(x, f, [1, 1], 'same')).toThrow(
      'filter [3,3,2,1] for 3 channels',
    );
    tf.dispose([x, f]);
  });
});
