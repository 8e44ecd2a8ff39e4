/**
 * Test helpers for continual modules (imported by *.test.ts only; never by library code).
 * Learned from tfjs-core's own test utilities: a closeness check with an explicit tolerance,
 * a leak check on numTensors, and the streaming-vs-clip equivalence every module must pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { clipOutputLength, frameAt } from './base';
import type { Clip, CoModule, Frame } from './module';

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

/** What {@link streamAndCompare} observed. */
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

/**
 * Streams `clip` frame by frame through `module` from a reset state and compares every streaming
 * output with the offline `forward(clip)`: streaming output k must equal clip output k, for every
 * clip output that has a streaming counterpart (all but the last `padding.end / stride`).
 * Asserts the counts and that the difference is within `tol`; returns what it saw.
 */
export function streamAndCompare(module: CoModule, clip: Clip, tol: number): StreamComparison {
  module.resetState();
  const steps = clip.shape[1];
  const streamed: Frame[] = [];
  let leadingNulls = 0;
  let nullSteps = 0;
  for (let t = 0; t < steps; t++) {
    const frame = frameAt(clip, t);
    // Inside tf.tidy, as callers do: state a module keeps across steps must survive the scope.
    const out = tf.tidy(() => module.forwardStep(frame) ?? undefined) ?? null;
    frame.dispose();
    if (out === null) {
      nullSteps++;
      if (streamed.length === 0) leadingNulls++;
    } else {
      streamed.push(out);
    }
  }
  const offline = module.forward(clip);
  const clipLength = clipOutputLength(steps, module.receptiveField, module.padding, module.stride);
  expect(offline.shape[1]).toBe(clipLength);
  const withoutFuture = clipOutputLength(
    steps,
    module.receptiveField,
    { start: module.padding.start, end: 0 },
    module.stride,
  );
  expect(streamed.length).toBe(withoutFuture);
  let maxDiff = 0;
  for (let k = 0; k < streamed.length; k++) {
    const expected = frameAt(offline, k);
    const actual = streamed[k] as Frame;
    maxDiff = Math.max(maxDiff, maxAbsDiff(actual, expected));
    expected.dispose();
  }
  tf.dispose(streamed);
  offline.dispose();
  expect(maxDiff, `max |stream - clip| = ${maxDiff}, tolerance ${tol}`).toBeLessThanOrEqual(tol);
  return { leadingNulls, nullSteps, compared: streamed.length, maxDiff };
}
