/**
 * Asynchronous twins of the comparison helpers in testing.ts (imported by *.test.ts only).
 *
 * Why: on the webgpu backend in headless chromium (SwiftShader), `dataSync()` of a tensor computed
 * on the GPU intermittently reads back zeros and can leave the device unusable ("A valid external
 * Instance reference no longer exists"), so a difference read with it may be 0 whatever the
 * tensors hold. `await tensor.data()` reads back correctly on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { clipOutputLength, frameAt } from './base';
import type { Clip, CoModule, Frame } from './module';
import type { StreamComparison } from './testing';

/** The values of a tensor, read asynchronously (safe on webgpu). */
export async function valuesOf(x: tf.Tensor): Promise<number[]> {
  return Array.from(await x.data());
}

/** Largest absolute element-wise difference of two tensors of the same shape. */
export async function maxAbsDiffAsync(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  const diff = tf.tidy(() => (a.size === 0 ? tf.scalar(0) : tf.max(tf.abs(tf.sub(a, b)))));
  const value = (await diff.data())[0] ?? Number.NaN;
  diff.dispose();
  return value;
}

/** Asserts that two tensors have the same shape and differ by at most `tol` anywhere. */
export async function expectTensorsCloseAsync(
  actual: tf.Tensor,
  expected: tf.Tensor,
  tol: number,
): Promise<void> {
  const diff = await maxAbsDiffAsync(actual, expected);
  expect(diff, `max |actual - expected| = ${diff}, tolerance ${tol}`).toBeLessThanOrEqual(tol);
}

/**
 * The property every continual module must have, read back asynchronously (safe on every
 * backend): streams `clip` through `module` from a reset state and asserts that streaming output
 * k equals clip output k within `tol`, for every clip output that has a streaming counterpart,
 * and that the counts match the derived lengths.
 */
export async function streamAndCompareAsync(
  module: CoModule,
  clip: Clip,
  tol: number,
): Promise<StreamComparison> {
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
  const { receptiveField, padding, stride } = module;
  expect(offline.shape[1]).toBe(clipOutputLength(steps, receptiveField, padding, stride));
  const withoutFuture = clipOutputLength(
    steps,
    receptiveField,
    { start: padding.start, end: 0 },
    stride,
  );
  expect(streamed.length).toBe(withoutFuture);
  let maxDiff = 0;
  for (let k = 0; k < streamed.length; k++) {
    const expected = frameAt(offline, k);
    maxDiff = Math.max(maxDiff, await maxAbsDiffAsync(streamed[k] as Frame, expected));
    expected.dispose();
  }
  tf.dispose(streamed);
  offline.dispose();
  expect(maxDiff, `max |stream - clip| = ${maxDiff}, tolerance ${tol}`).toBeLessThanOrEqual(tol);
  return { leadingNulls, nullSteps, compared: streamed.length, maxDiff };
}
