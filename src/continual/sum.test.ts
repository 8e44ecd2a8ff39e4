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

  it('refuses an empty list with its own message', () => {
    expect(() => sumInOrder([])).toThrow('sumInOrder needs at least one tensor.');
  });

  // One addN of the first 7, then one per further 6 (the running sum takes the 7th slot): a
  // chunk too many would add an addN of the sum alone.
  for (const [n, addNs] of [
    [1, 1],
    [7, 1],
    [8, 2],
    [13, 2],
    [14, 3],
    [19, 3],
  ] as const) {
    it(`sums ${n} tensors with ${addNs} addN call(s)`, () => {
      const inputs = Array.from({ length: n }, () => tf.ones([2]));
      const before = tf.memory().numTensors;
      let made = 0;
      const sum = tf.tidy(() => {
        const inner = tf.memory().numTensors;
        const out = sumInOrder(inputs);
        // Each addN leaves one tensor (its output) until the scope ends.
        made = tf.memory().numTensors - inner;
        return out;
      });
      expect(made).toBe(addNs);
      tf.dispose([sum, ...inputs]);
      expect(tf.memory().numTensors).toBe(before - n);
    });
  }
});
