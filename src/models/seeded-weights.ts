/**
 * Deterministic weights for models that have no trained weights here (the X3D family): a seeded
 * pseudo-random generator and He-style initialisers, so a network built twice from one seed is
 * the same network on every backend (all numbers are drawn in JavaScript, never on a device).
 * These weights make a network's cost, speed and streaming equivalence testable; they recognise
 * nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchNormParams } from '../continual/pointwise';

/**
 * A seeded pseudo-random source: a 32-bit xorshift-multiply generator (a splitmix-style
 * finaliser over a Weyl sequence), uniform in [0, 1), and Gaussian draws by the Box-Muller
 * transform. Quality is ample for initialising weights; it is not for cryptography.
 */
export class SeededRandom {
  private state: number;
  /** The second Box-Muller draw, kept for the next call (null when none is pending). */
  private spare: number | null = null;

  /** @param seed any integer; equal seeds give equal sequences. */
  constructor(seed: number) {
    if (!Number.isInteger(seed))
      throw new Error(`SeededRandom: seed must be an integer, got ${seed}.`);
    this.state = seed >>> 0;
  }

  /** A uniform number in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  }

  /** A uniform number in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** A standard normal draw (mean 0, variance 1). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** `size` normal draws of standard deviation `std`. */
  normalArray(size: number, std: number): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = std * this.normal();
    return out;
  }

  /** `size` uniform draws in [lo, hi). */
  uniformArray(size: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.between(lo, hi);
    return out;
  }
}

/**
 * Standard deviation of He (Kaiming) initialisation: sqrt(gain / fanIn). Gain 2 keeps the
 * second moment of activations constant through a ReLU; gain 1 through a linear layer.
 */
export function heStd(fanIn: number, gain = 2): number {
  if (!(fanIn > 0)) throw new Error(`heStd: fanIn must be positive, got ${fanIn}.`);
  if (!(gain > 0)) throw new Error(`heStd: gain must be positive, got ${gain}.`);
  return Math.sqrt(gain / fanIn);
}

/**
 * A He-normal tensor: normal draws of standard deviation {@link heStd}(fanIn, gain).
 * The caller owns the result.
 */
export function heNormal(
  random: SeededRandom,
  shape: readonly number[],
  fanIn: number,
  gain = 2,
): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(random.normalArray(size, heStd(fanIn, gain)), [...shape], 'float32');
}

/** Ranges of the seeded batch-norm parameters. */
export interface SeededBatchNormOptions {
  /** Range of gamma (the scale); default [0.8, 1.2]. */
  readonly gamma?: readonly [number, number];
  /** Half-width of the symmetric ranges of beta and of the running mean; default 0.1. */
  readonly shift?: number;
  /** Default 1e-5, PyTorch's BatchNorm3d epsilon (the X3D reference). */
  readonly epsilon?: number;
}

/**
 * Seeded inference batch-norm parameters: running variance in [0.5, 1.5], running mean and beta
 * in [-shift, shift], gamma in the given range. Near the identity, so a He-initialised conv
 * followed by it keeps activations O(1), yet every channel gets a different affine map, so a
 * mistake in folding it into the conv cannot go unnoticed.
 */
export function seededBatchNorm(
  random: SeededRandom,
  channels: number,
  options: SeededBatchNormOptions = {},
): BatchNormParams {
  const [gLo, gHi] = options.gamma ?? [0.8, 1.2];
  const shift = options.shift ?? 0.1;
  return {
    mean: random.uniformArray(channels, -shift, shift),
    variance: random.uniformArray(channels, 0.5, 1.5),
    gamma: random.uniformArray(channels, gLo, gHi),
    beta: random.uniformArray(channels, -shift, shift),
    epsilon: options.epsilon ?? 1e-5,
  };
}
