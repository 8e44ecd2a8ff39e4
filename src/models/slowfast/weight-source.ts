/**
 * Kernels and biases for the Slow and SlowFast builders, handed out in build order and counted:
 * seeded He-normal draws with batch norm folded in (see ../seeded-weights.ts), or zeros for
 * builds that only count FLOPs and parameters. Two builds from one seed draw the same numbers in
 * the same order, so the 'valid' and 'same' forms of a network hold the same weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { foldBatchNorm } from '../../continual/pointwise';
import { SeededRandom, heNormal, seededBatchNorm } from '../seeded-weights';

/**
 * Where the weights come from.
 * - `'seeded'`: He-normal kernels and seeded BN statistics, folded.
 * - `'zeros'`: zero kernels and biases, no PRNG and no folding: the cheapest build, for counting
 *   FLOPs and parameters, which depend on shapes only.
 */
export type WeightsMode = 'seeded' | 'zeros';

/** What follows a kernel: a batch norm (folded into a bias), a plain bias, or nothing. */
export type BiasKind = 'bn' | 'bias' | 'none';

/** A kernel and its bias (when it has one); the receiver owns both. */
export interface KernelAndBias {
  readonly kernel: tf.Tensor;
  readonly bias: tf.Tensor1D | undefined;
}

/** See the file comment. */
export class WeightSource {
  /** Parameters handed out so far: kernel elements plus one bias per output channel. */
  params = 0;
  private readonly random: SeededRandom | null;

  constructor(mode: WeightsMode, seed: number) {
    if (mode !== 'seeded' && mode !== 'zeros') {
      throw new Error(`weights must be 'seeded' or 'zeros', got '${String(mode)}'.`);
    }
    this.random = mode === 'seeded' ? new SeededRandom(seed) : null;
  }

  /**
   * A kernel whose last axis is the output channels, of He-normal draws (std sqrt(gain / fanIn)).
   * 'bn' folds a seeded BN (gamma drawn in `gamma`, default [0.8, 1.2]); 'bias' draws a bias in
   * [-0.1, 0.1]; 'none' has none.
   */
  kernel(
    shape: readonly number[],
    fanIn: number,
    gain: number,
    bias: BiasKind,
    gamma?: readonly [number, number],
  ): KernelAndBias {
    const out = shape[shape.length - 1] ?? 0;
    this.params += shape.reduce((a, b) => a * b, 1) + (bias === 'none' ? 0 : out);
    if (this.random === null) {
      return { kernel: tf.zeros([...shape]), bias: bias === 'none' ? undefined : tf.zeros([out]) };
    }
    const raw = heNormal(this.random, shape, fanIn, gain);
    if (bias === 'none') return { kernel: raw, bias: undefined };
    if (bias === 'bias') {
      return { kernel: raw, bias: tf.tensor1d(this.random.uniformArray(out, -0.1, 0.1)) };
    }
    const bn = seededBatchNorm(this.random, out, gamma === undefined ? {} : { gamma });
    try {
      return foldBatchNorm(raw, undefined, bn);
    } finally {
      raw.dispose();
    }
  }
}
