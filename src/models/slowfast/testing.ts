/**
 * Reduced Slow and SlowFast configurations and fixtures shared by this folder's tests (imported
 * by *.test.ts only). The reduced networks keep every structural feature of the real ones (stems
 * with max pool, strided stages with projection shortcuts, temporal and per-frame conv_a,
 * laterals with every kind of junction) at 8 x 8 frames and a few channels, small enough for the
 * software WebGPU adapter.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Clip } from '../../continual/module';
import { seededClip } from '../../continual/testing';
import { valuesOf } from '../../continual/testing-async';
import {
  SLOWFAST_8X8_R50,
  SLOW_8X8_R50,
  deriveSlowConfig,
  deriveSlowFastConfig,
  type PathwayConfig,
  type SlowConfig,
  type SlowFastConfig,
} from './slowfast-config';

/** Slow pathway: 3 stages of 1 block, conv_a per-frame in the first, temporal in the others. */
export const TINY_SLOW_PATHWAY: PathwayConfig = {
  stemChannels: 4,
  stemKernelT: 1,
  depths: [1, 1, 1],
  innerWidths: [2, 4, 4],
  outWidths: [4, 8, 8],
  convAKernelT: [1, 3, 3],
};

/** Fast pathway: 3x7x7 stem, temporal conv_a everywhere. */
export const TINY_FAST_PATHWAY: PathwayConfig = {
  stemChannels: 2,
  stemKernelT: 3,
  depths: [1, 1, 1],
  innerWidths: [2, 2, 2],
  outWidths: [2, 4, 4],
  convAKernelT: [3, 3, 3],
};

/** Reduced Slow: T = 3 frames of 8 x 8, 5 classes. */
export const TINY_SLOW: SlowConfig = deriveSlowConfig(SLOW_8X8_R50, {
  id: 'slow-tiny',
  displayName: 'Slow-tiny',
  pathway: TINY_SLOW_PATHWAY,
  numClasses: 5,
  frames: 3,
  size: 8,
});

/**
 * Reduced SlowFast: alpha = 3 (so lateral delays of 2, 0 and 1 frames, and start-up outputs
 * dropped on both sides), laterals 3x1x1, T = 6 Fast frames (2 Slow) of 8 x 8, 5 classes.
 */
export const TINY_SLOWFAST: SlowFastConfig = deriveSlowFastConfig(SLOWFAST_8X8_R50, {
  id: 'slowfast-tiny',
  displayName: 'SlowFast-tiny',
  slow: TINY_SLOW_PATHWAY,
  fast: TINY_FAST_PATHWAY,
  alpha: 3,
  fusionKernelT: 3,
  numClasses: 5,
  frames: 6,
  size: 8,
});

/** Every temporal kernel 1: the 'valid' and 'same' forms then compute the same view. */
export const TINY_SLOWFAST_PER_FRAME: SlowFastConfig = deriveSlowFastConfig(TINY_SLOWFAST, {
  id: 'slowfast-tiny-per-frame',
  slow: { ...TINY_SLOW_PATHWAY, convAKernelT: [1, 1, 1] },
  fast: { ...TINY_FAST_PATHWAY, stemKernelT: 1, convAKernelT: [1, 1, 1] },
  fusionKernelT: 1,
});

/** A clip [1, frames, size, size, 3] of seeded values in [0, 1], like the app's RGB input. */
export function videoClip(size: number, frames: number, seed: number): Clip {
  return tf.tidy(() => tf.div(tf.add(seededClip([1, frames, size, size, 3], seed), 1), 2) as Clip);
}

/** Largest |value| of a tensor (the scale tolerances are relative to). */
export async function scaleOf(x: tf.Tensor): Promise<number> {
  return Math.max(...(await valuesOf(x)).map(Math.abs));
}

/**
 * Relative tolerance of stream vs clip: both paths run the same convolutions on the same frames
 * but batch them differently, so float32 sums may round differently. cpu and wasm agree to ~1e-7
 * of the scale (1e-5 leaves room); webgpu's shaders reorder sums more (1e-4).
 */
export function relativeTolerance(): number {
  return tf.getBackend() === 'webgpu' ? 1e-4 : 1e-5;
}
