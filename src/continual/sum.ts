import * as tf from '@tensorflow/tfjs-core';

/**
 * Inputs of one tf.addN at most. tfjs-webgpu binds every input of AddN as a storage buffer
 * without splitting the call (unlike its concat), and WebGPU guarantees 8 per shader, one of
 * them the output: a wider addN fails validation silently and reads back stale memory.
 */
export const MAX_ADDN_INPUTS = 7;

/**
 * The element-wise sum of `tensors` (one or more, same shape), added first to last in chunks of
 * at most {@link MAX_ADDN_INPUTS}: the running sum leads each later chunk, so the additions
 * happen in the order one addN would make them, on every backend. Call inside tf.tidy: the
 * partial sums are intermediates.
 */
export function sumInOrder<T extends tf.Tensor>(tensors: readonly T[]): T {
  if (tensors.length === 0) throw new Error('sumInOrder needs at least one tensor.');
  let sum: T = tf.addN(tensors.slice(0, MAX_ADDN_INPUTS));
  for (let i = MAX_ADDN_INPUTS; i < tensors.length; i += MAX_ADDN_INPUTS - 1) {
    sum = tf.addN([sum, ...tensors.slice(i, i + MAX_ADDN_INPUTS - 1)]);
  }
  return sum;
}
