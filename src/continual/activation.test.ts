import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  activationOpsPerElement,
  applyActivation,
  fusedActivation,
  type Activation,
} from './activation';
import { valuesOf } from './testing-async';

const inputs = [-4, -3, -1, -0.5, 0, 0.5, 1, 3, 6, 7];
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const relu6 = (x: number): number => Math.min(Math.max(x, 0), 6);

/** Each activation's definition in float64, the reference the tf version must follow. */
const reference: Record<Activation, (x: number) => number> = {
  linear: (x) => x,
  relu: (x) => Math.max(x, 0),
  relu6,
  sigmoid,
  swish: (x) => x * sigmoid(x),
  hardSigmoid: (x) => relu6(x + 3) / 6,
  hardSwish: (x) => (x * relu6(x + 3)) / 6,
};

describe('applyActivation', () => {
  it.each(Object.keys(reference) as Activation[])('%s follows its definition', async (kind) => {
    const x = tf.tensor1d(inputs);
    const before = tf.memory().numTensors;
    const y = applyActivation(x, kind);
    // One new tensor (the result) and nothing else left behind; the input is untouched.
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(y).not.toBe(x);
    const got = await valuesOf(y);
    // float32 exp/div against float64: 1e-6 absolute on values of magnitude <= 7.
    got.forEach((v, i) => expect(v).toBeCloseTo(reference[kind](inputs[i] as number), 6));
    expect(await valuesOf(x)).toEqual(inputs);
    tf.dispose([x, y]);
  });

  it('keeps shape and dtype', () => {
    const x = tf.ones([2, 3, 4, 5]);
    const y = applyActivation(x, 'hardSwish');
    expect(y.shape).toEqual([2, 3, 4, 5]);
    expect(y.dtype).toBe('float32');
    tf.dispose([x, y]);
  });
});

describe('fusedActivation', () => {
  it('names the activations the fused conv kernels apply, and only those', () => {
    expect(fusedActivation('linear')).toBe('linear');
    expect(fusedActivation('relu')).toBe('relu');
    expect(fusedActivation('relu6')).toBe('relu6');
    expect(fusedActivation('sigmoid')).toBe('sigmoid');
    expect(fusedActivation('swish')).toBeNull();
    expect(fusedActivation('hardSwish')).toBeNull();
    expect(fusedActivation('hardSigmoid')).toBeNull();
  });
});

describe('activationOpsPerElement', () => {
  it('counts the element-wise ops of each definition', () => {
    expect(activationOpsPerElement('linear')).toBe(0);
    expect(activationOpsPerElement('relu')).toBe(1);
    expect(activationOpsPerElement('relu6')).toBe(1);
    expect(activationOpsPerElement('sigmoid')).toBe(1);
    expect(activationOpsPerElement('swish')).toBe(2);
    expect(activationOpsPerElement('hardSigmoid')).toBe(3);
    expect(activationOpsPerElement('hardSwish')).toBe(4);
  });
});
