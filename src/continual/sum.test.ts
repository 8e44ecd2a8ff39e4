import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MAX_ADDN_INPUTS, sumInOrder } from './sum';
import { valuesOf } from './testing-async';

describe('sumInOrder', () => {
  it('keeps one addN within the inputs WebGPU can bind (8 buffers, one the output)', () => {
    expect(MAX_ADDN_INPUTS).toBe(7);
  });

  // Tensor k holds [k, 2k, 3k]: the sum of k = 1..n is n(n+1)/2 times [1, 2, 3].
  for (const n of [1, 2, 6, 7, 8, 13, 14, 20]) {
    it(`sums ${n} tensors exactly, each added once`, async () => {
      const before = tf.memory().numTensors;
      const inputs = Array.from({ length: n }, (_, i) =>
        tf.tensor2d([[i + 1, 2 * (i + 1), 3 * (i + 1)]]),
      );
      const sum = tf.tidy(() => sumInOrder(inputs));
      const t = (n * (n + 1)) / 2;
      expect(sum.shape).toEqual([1, 3]);
      expect(await valuesOf(sum)).toEqual([t, 2 * t, 3 * t]);
      tf.dispose([sum, ...inputs]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('refuses an empty list', () => {
    expect(() => sumInOrder([])).toThrow(/at least one tensor/);
  });
});
