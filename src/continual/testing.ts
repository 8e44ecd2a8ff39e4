/**
 * Test helpers for continual modules (imported by *.test.ts only; never by library code).
 * Learned from tfjs-core's own test utilities: a closeness check with an explicit tolerance,
 * and leak checks on numTensors; the streaming-vs-clip equivalence every module must pass is
 * streamAndCompareAsync in testing-async.ts (it reads back safely on every backend).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { Clip } from './module';

/** Deterministic pseudo-random numbers (mulberry32), so fixtures are the same on every backend. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A tensor of uniform values in [lo, hi) from a seed. */
export function seededTensor(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  const rand = seededRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = lo + (hi - lo) * rand();
  return tf.tensor(values, shape, 'float32');
}

/** A clip [N, T, H, W, C] of seeded values. */
export function seededClip(shape: [number, number, number, number, number], seed: number): Clip {
  return seededTensor(shape, seed) as Clip;
}

/** Largest absolute element-wise difference of two tensors of the same shape. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  if (tf.getBackend() === 'webgpu') {
    // Synchronous readback on tfjs-webgpu 4.22 can return stale zeros, which would make any
    // comparison pass: fail loudly instead and use testing-async.ts there.
    throw new Error('maxAbsDiff reads back synchronously; on webgpu use maxAbsDiffAsync.');
  }
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Number.NaN);
}

/** Asserts that two tensors have the same shape and differ by at most `tol` anywhere. */
export function expectTensorsClose(actual: tf.Tensor, expected: tf.Tensor, tol: number): void {
  const diff = maxAbsDiff(actual, expected);
  expect(diff, `max |actual - expected| = ${diff}, tolerance ${tol}`).toBeLessThanOrEqual(tol);
}

/** Runs `fn` and asserts that it leaves the number of live tensors unchanged. */
export async function expectNoLeakedTensors(fn: () => void | Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  expect(tf.memory().numTensors).toBe(before);
}

/**
 * Runs `step` `steps` times and asserts that the number of live tensors stops changing once the
 * buffers are full (after `settle` steps): state is replaced, never accumulated.
 */
export function expectSteadyTensors(step: () => void, steps = 1000, settle = 10): void {
  let steady = -1;
  for (let i = 0; i < steps; i++) {
    step();
    if (i === settle) steady = tf.memory().numTensors;
  }
  expect(tf.memory().numTensors).toBe(steady);
}

/** What streamAndCompareAsync (testing-async.ts) observed. */
export interface StreamComparison {
  /** Steps that returned null before the first output. */
  readonly leadingNulls: number;
  /** Total null steps. */
  readonly nullSteps: number;
  /** Number of streaming outputs compared with the clip outputs. */
  readonly compared: number;
  /** Largest |streaming - clip| over all compared outputs. */
  readonly maxDiff: number;
}
