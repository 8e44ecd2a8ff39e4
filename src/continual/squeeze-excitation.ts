/**
 * Continual squeeze-and-excitation: every frame x_t is scaled per channel by
 * gate(W2 act(W1 p_t + b1) + b2), where p_t pools the spatial means of the frames up to t.
 *
 * X3D's SE (the clip model) pools over the whole clip, so every frame of the clip is gated by a
 * summary of future frames too, which no stream can compute. CoX3D's continual reformulation
 * pools causally instead, and that causal module is what this file implements; its offline twin
 * `forward` runs the same causal pooling over a clip (so forward and forwardSteps agree exactly),
 * and it is against this twin, not X3D's clip-wide SE, that the streaming module is tested.
 * - `{ kind: 'window', window }`: the mean of the spatial means of the last `window` frames,
 *   with window - 1 zero frames before the stream (a causal sliding average that always divides
 *   by `window`).
 * - `{ kind: 'cumulative' }`: the mean of every frame since the last reset (MoViNet-Stream).
 * Both emit on every step (delay 0).
 */
import * as tf from '@tensorflow/tfjs-core';
import { applyActivation, activationOpsPerElement } from './activation';
import { CoModuleBase, stateChild } from './base';
import { CoCumulativeAvgPool, CoGlobalAvgPool } from './global-pool';
import { addFlops, scaleFlops } from './module';
import type { Clip, CoState, FlopCount, Frame, FrameShape, TemporalPadding } from './module';

/** How the squeeze step pools over time. */
export type SqueezePool =
  { readonly kind: 'window'; readonly window: number } | { readonly kind: 'cumulative' };

/** Weights of the two linear layers; the module keeps its own copies (the caller keeps these). */
export interface SqueezeExcitationWeights {
  /** [channels, reducedChannels] */
  readonly reduceKernel: tf.Tensor;
  /** [reducedChannels] */
  readonly reduceBias: tf.Tensor;
  /** [reducedChannels, channels] */
  readonly expandKernel: tf.Tensor;
  /** [channels] */
  readonly expandBias: tf.Tensor;
}

/** Options of {@link CoSqueezeExcitation}. */
export interface CoSqueezeExcitationOptions {
  /** Name unique among siblings. */
  readonly name: string;
  /** Channels C of input and output. */
  readonly channels: number;
  /** Width R of the bottleneck. */
  readonly reducedChannels: number;
  /** Temporal pooling of the squeeze. */
  readonly pool: SqueezePool;
  /** Activation after the reduce layer; default 'relu'. */
  readonly activation?: 'relu' | 'swish';
  /** Gate after the expand layer; default 'sigmoid'. */
  readonly gate?: 'sigmoid' | 'hardSigmoid';
  readonly weights: SqueezeExcitationWeights;
}

function checkShape(tensor: tf.Tensor, expected: number[], what: string): void {
  if (tensor.shape.length !== expected.length || tensor.shape.some((d, i) => d !== expected[i])) {
    throw new Error(
      `${what} must have shape [${expected.join(', ')}], got [${tensor.shape.join(', ')}].`,
    );
  }
}

/** Continual squeeze-and-excitation with a causal temporal squeeze (see the file comment). */
export class CoSqueezeExcitation extends CoModuleBase {
  readonly name: string;
  readonly channels: number;
  readonly reducedChannels: number;
  readonly activation: 'relu' | 'swish';
  readonly gate: 'sigmoid' | 'hardSigmoid';
  readonly receptiveField: number;
  readonly padding: TemporalPadding;
  readonly stride = 1;
  private readonly pool: CoGlobalAvgPool | CoCumulativeAvgPool;
  private readonly reduceKernel: tf.Tensor2D;
  private readonly reduceBias: tf.Tensor1D;
  private readonly expandKernel: tf.Tensor2D;
  private readonly expandBias: tf.Tensor1D;

  constructor(options: CoSqueezeExcitationOptions) {
    super();
    const { name, channels, reducedChannels, pool, weights } = options;
    if (typeof name !== 'string' || name === '') {
      throw new Error('A squeeze-excitation module needs a non-empty name.');
    }
    for (const [what, value] of [
      ['channels', channels],
      ['reducedChannels', reducedChannels],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new Error(`${name}: ${what} must be a positive integer, got ${value}.`);
      }
    }
    const activation = options.activation ?? 'relu';
    if (activation !== 'relu' && activation !== 'swish') {
      throw new Error(
        `${name}: activation must be 'relu' or 'swish', got '${String(activation)}'.`,
      );
    }
    const gate = options.gate ?? 'sigmoid';
    if (gate !== 'sigmoid' && gate !== 'hardSigmoid') {
      throw new Error(`${name}: gate must be 'sigmoid' or 'hardSigmoid', got '${String(gate)}'.`);
    }
    checkShape(weights.reduceKernel, [channels, reducedChannels], `${name}: reduceKernel`);
    checkShape(weights.reduceBias, [reducedChannels], `${name}: reduceBias`);
    checkShape(weights.expandKernel, [reducedChannels, channels], `${name}: expandKernel`);
    checkShape(weights.expandBias, [channels], `${name}: expandBias`);
    if (pool.kind === 'window') {
      // CoGlobalAvgPool validates the window itself.
      this.pool = new CoGlobalAvgPool({
        name: 'pool',
        window: pool.window,
        temporalPadding: 'causal',
      });
    } else if (pool.kind === 'cumulative') {
      this.pool = new CoCumulativeAvgPool({ name: 'pool' });
    } else {
      throw new Error(`${name}: pool.kind must be 'window' or 'cumulative'.`);
    }
    this.name = name;
    this.channels = channels;
    this.reducedChannels = reducedChannels;
    this.activation = activation;
    this.gate = gate;
    this.receptiveField = this.pool.receptiveField;
    this.padding = this.pool.padding;
    // Kept, so that a module built inside a tf.tidy keeps its weights.
    this.reduceKernel = tf.keep(tf.clone(weights.reduceKernel)) as tf.Tensor2D;
    this.reduceBias = tf.keep(tf.clone(weights.reduceBias)) as tf.Tensor1D;
    this.expandKernel = tf.keep(tf.clone(weights.expandKernel)) as tf.Tensor2D;
    this.expandBias = tf.keep(tf.clone(weights.expandBias)) as tf.Tensor1D;
  }

  outputShape(input: FrameShape): FrameShape {
    if (input.channels !== this.channels) {
      throw new Error(`${this.name}: expects ${this.channels} channels, got ${input.channels}.`);
    }
    return { height: input.height, width: input.width, channels: input.channels };
  }

  /** The excitation of pooled rows [B, C] -> gates [B, C]. */
  private excite(pooled: tf.Tensor2D): tf.Tensor2D {
    const hidden = applyActivation(
      tf.add(tf.matMul(pooled, this.reduceKernel), this.reduceBias),
      this.activation,
    );
    return applyActivation(
      tf.add(tf.matMul(hidden, this.expandKernel), this.expandBias),
      this.gate,
    );
  }

  private checkChannels(channels: number | undefined): void {
    if (channels !== this.channels) {
      throw new Error(`${this.name}: expects ${this.channels} channels, got ${String(channels)}.`);
    }
  }

  forward(clip: Clip): Clip {
    this.checkChannels(clip.shape[4]);
    return tf.tidy(() => {
      const [n, t, , , c] = clip.shape;
      const pooled = this.pool.forward(clip); // [N, T, 1, 1, C]: delay 0, one per frame
      const gates = this.excite(tf.reshape(pooled, [n * t, c]) as tf.Tensor2D);
      return tf.mul(clip, tf.reshape(gates, [n, t, 1, 1, c])) as Clip;
    });
  }

  forwardStep(frame: Frame): Frame {
    this.checkChannels(frame.shape[3]);
    const pooled = this.pool.forwardStep(frame);
    if (pooled === null) throw new Error(`${this.name}: the causal pool returned no output.`);
    const out = tf.tidy(() => {
      const [n, , , c] = frame.shape;
      const gates = this.excite(tf.reshape(pooled, [n, c]) as tf.Tensor2D);
      return tf.mul(frame, tf.reshape(gates, [n, 1, 1, c])) as Frame;
    });
    pooled.dispose();
    return out;
  }

  getState(): CoState {
    return { pool: this.pool.getState() };
  }

  setState(state: CoState): void {
    this.pool.setState(stateChild(state, 'pool'));
  }

  resetState(): void {
    this.pool.resetState();
  }

  /** Cost of the excitation and gating of one frame, without the pool. */
  private exciteFlops(input: FrameShape): FlopCount {
    const c = this.channels;
    const r = this.reducedChannels;
    return {
      // Two linear layers; bias additions are not counted, as for convolutions.
      macs: c * r + r * c,
      elementwise:
        r * activationOpsPerElement(this.activation) +
        c * activationOpsPerElement(this.gate) +
        input.height * input.width * c, // the gating multiply
    };
  }

  flopsPerStep(input: FrameShape): FlopCount {
    this.outputShape(input);
    return addFlops(this.pool.flopsPerStep(input), this.exciteFlops(input));
  }

  flopsPerClip(input: FrameShape, frames: number): FlopCount {
    this.outputShape(input);
    return addFlops(
      this.pool.flopsPerClip(input, frames),
      scaleFlops(this.exciteFlops(input), frames),
    );
  }

  stateBytes(input: FrameShape): number {
    return this.pool.stateBytes(input);
  }

  dispose(): void {
    this.pool.dispose();
    tf.dispose([this.reduceKernel, this.reduceBias, this.expandKernel, this.expandBias]);
  }
}
