import * as tf from '@tensorflow/tfjs-core';
import {
  type Activation,
  activationOpsPerElement,
  applyActivation,
  fusedActivation,
} from './activation';
import { CoModuleBase } from './base';
import type { Clip, CoState, FlopCount, Frame, FrameShape, TemporalPadding } from './module';
import { ZERO_FLOPS, scaleFlops } from './module';

/** A vector of per-channel values: a rank-1 tensor or plain numbers. */
export type ChannelVector = tf.Tensor1D | readonly number[] | Float32Array;

/** A rank-1 float tensor from a {@link ChannelVector} (a clone when given a tensor: the caller keeps its own). */
function toTensor1d(values: ChannelVector, what: string): tf.Tensor1D {
  if (values instanceof tf.Tensor) {
    if (values.rank !== 1) throw new Error(`${what} must be rank 1, got shape [${values.shape}].`);
    return tf.clone(values);
  }
  return tf.tensor1d(Array.from(values), 'float32');
}

/**
 * Shared plumbing of per-frame, stateless modules: receptive field 1, delay 0, no padding,
 * stride 1 and an empty state. A subclass maps one batch of frames [M, H, W, C] to
 * [M, H', W', C']; the clip computation folds time into the batch, so the two paths run the
 * very same op and agree exactly.
 */
export abstract class CoPointwiseBase extends CoModuleBase {
  readonly receptiveField = 1;
  readonly padding: TemporalPadding = { start: 0, end: 0 };
  readonly stride = 1;

  /** The per-frame computation, called inside tf.tidy; must not dispose its input. */
  protected abstract apply(frames: Frame): Frame;
  /** Cost of one frame. */
  protected abstract frameFlops(input: FrameShape): FlopCount;

  forward(clip: Clip): Clip {
    return tf.tidy(() => {
      const [n, t, h, w, c] = clip.shape;
      const out = this.apply(tf.reshape(clip, [n * t, h, w, c]));
      const [, ho, wo, co] = out.shape;
      return tf.reshape(out, [n, t, ho, wo, co]);
    });
  }

  forwardStep(frame: Frame): Frame {
    const out = tf.tidy(() => this.apply(frame));
    // The caller owns what a step returns, so an op that hands back its input is copied.
    return out === frame ? tf.clone(frame) : out;
  }

  getState(): CoState {
    return {};
  }

  setState(): void {
    // Stateless: nothing to restore.
  }

  resetState(): void {
    // Stateless: nothing to reset.
  }

  flopsPerStep(input: FrameShape): FlopCount {
    return this.frameFlops(input);
  }

  flopsPerClip(input: FrameShape, frames: number): FlopCount {
    return scaleFlops(this.frameFlops(input), frames);
  }

  stateBytes(): number {
    return 0;
  }

  dispose(): void {
    // Nothing held by default; modules with weights release them.
  }
}

/** Options of {@link CoActivation}. */
export interface CoActivationOptions {
  readonly name: string;
  readonly activation: Activation;
}

/** An element-wise activation applied to every frame. */
export class CoActivation extends CoPointwiseBase {
  readonly name: string;
  readonly activation: Activation;

  constructor(options: CoActivationOptions) {
    super();
    this.name = options.name;
    this.activation = options.activation;
  }

  outputShape(input: FrameShape): FrameShape {
    return { ...input };
  }

  protected apply(frames: Frame): Frame {
    return applyActivation(frames, this.activation);
  }

  protected frameFlops(input: FrameShape): FlopCount {
    const elements = input.height * input.width * input.channels;
    return { macs: 0, elementwise: elements * activationOpsPerElement(this.activation) };
  }
}

/** Options of {@link CoPointwiseConv}. */
export interface CoPointwiseConvOptions {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  /** Weights [in, out], or [1, 1, 1, in, out] as a 1x1x1 Conv3D kernel is stored. Cloned. */
  readonly kernel: tf.Tensor;
  /** Bias [out]. Cloned. */
  readonly bias?: tf.Tensor1D;
  /** Applied after the bias; default linear. */
  readonly activation?: Activation;
}

/**
 * A 1x1x1 convolution: the same [in, out] matrix applied to the channels of every pixel of every
 * frame. On [N, 1, 1, C] frames it is a linear (fully connected) layer.
 * Cost per frame: H * W * in * out multiply-adds (the bias is not counted, as in the X3D papers'
 * convention), plus the activation's element-wise ops.
 */
export class CoPointwiseConv extends CoPointwiseBase {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly activation: Activation;
  private readonly kernel: tf.Tensor2D;
  private readonly bias: tf.Tensor1D | undefined;

  constructor(options: CoPointwiseConvOptions) {
    super();
    const { name, inChannels, outChannels, kernel, bias } = options;
    this.name = name;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.activation = options.activation ?? 'linear';
    const shape = kernel.shape.join(',');
    if (
      shape !== `${inChannels},${outChannels}` &&
      shape !== `1,1,1,${inChannels},${outChannels}`
    ) {
      throw new Error(
        `CoPointwiseConv "${name}": kernel must be [${inChannels}, ${outChannels}] or ` +
          `[1, 1, 1, ${inChannels}, ${outChannels}], got [${kernel.shape}].`,
      );
    }
    if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== outChannels)) {
      throw new Error(
        `CoPointwiseConv "${name}": bias must be [${outChannels}], got [${bias.shape}].`,
      );
    }
    // Kept: weights outlive any tf.tidy the module happens to be built in.
    this.kernel = tf.keep(tf.reshape(kernel, [inChannels, outChannels]));
    this.bias = bias === undefined ? undefined : tf.keep(tf.clone(bias));
  }

  outputShape(input: FrameShape): FrameShape {
    this.checkChannels(input.channels);
    return { height: input.height, width: input.width, channels: this.outChannels };
  }

  protected apply(frames: Frame): Frame {
    const [m, h, w, c] = frames.shape;
    this.checkChannels(c);
    const fused = fusedActivation(this.activation);
    const rows = tf.reshape(frames, [m * h * w, c]);
    const product = tf.fused.matMul({
      a: rows,
      b: this.kernel,
      ...(this.bias === undefined ? {} : { bias: this.bias }),
      activation: fused ?? 'linear',
    });
    const activated = fused === null ? applyActivation(product, this.activation) : product;
    return tf.reshape(activated, [m, h, w, this.outChannels]);
  }

  protected frameFlops(input: FrameShape): FlopCount {
    this.checkChannels(input.channels);
    const pixels = input.height * input.width;
    return {
      macs: pixels * this.inChannels * this.outChannels,
      elementwise: pixels * this.outChannels * activationOpsPerElement(this.activation),
    };
  }

  override dispose(): void {
    this.kernel.dispose();
    this.bias?.dispose();
  }

  private checkChannels(channels: number): void {
    if (channels !== this.inChannels) {
      throw new Error(
        `CoPointwiseConv "${this.name}": expected ${this.inChannels} input channels, got ${channels}.`,
      );
    }
  }
}

/** Options of {@link CoScale}. */
export interface CoScaleOptions {
  readonly name: string;
  /**
   * The multiplier: a number, a per-channel vector [C], or a tensor that broadcasts against a
   * frame without changing its shape ([C], [W, C], [H, W, C] or [1, H, W, C], any axis may be 1).
   * Cloned.
   */
  readonly scale: number | ChannelVector | tf.Tensor;
}

/** Multiplies every frame by a constant, e.g. MoViNet's learned residual (rezero) multipliers. */
export class CoScale extends CoPointwiseBase {
  readonly name: string;
  private readonly scale: tf.Tensor;

  constructor(options: CoScaleOptions) {
    super();
    this.name = options.name;
    const { scale } = options;
    const tensor =
      typeof scale === 'number'
        ? tf.scalar(scale, 'float32')
        : scale instanceof tf.Tensor
          ? tf.clone(scale)
          : toTensor1d(scale, `CoScale "${options.name}": scale`);
    if (tensor.rank > 4 || (tensor.rank === 4 && tensor.shape[0] !== 1)) {
      tensor.dispose();
      throw new Error(
        `CoScale "${options.name}": scale must broadcast against one frame [1, H, W, C], ` +
          `got shape [${scale instanceof tf.Tensor ? scale.shape : ''}].`,
      );
    }
    this.scale = tf.keep(tensor);
  }

  outputShape(input: FrameShape): FrameShape {
    const frame = [input.height, input.width, input.channels];
    // Align the scale's trailing axes with [H, W, C]; a leading batch axis of 1 is skipped.
    const axes = this.scale.shape.slice(-3);
    axes.forEach((size, i) => {
      const target = frame[frame.length - axes.length + i];
      if (size !== 1 && size !== target) {
        throw new Error(
          `CoScale "${this.name}": scale of shape [${this.scale.shape}] does not broadcast ` +
            `against a frame [${frame}].`,
        );
      }
    });
    return { ...input };
  }

  protected apply(frames: Frame): Frame {
    const [, h, w, c] = frames.shape;
    this.outputShape({ height: h, width: w, channels: c });
    return tf.mul(frames, this.scale);
  }

  protected frameFlops(input: FrameShape): FlopCount {
    return { macs: 0, elementwise: input.height * input.width * input.channels };
  }

  override dispose(): void {
    this.scale.dispose();
  }
}

/** Inference-time batch normalisation statistics and affine parameters, one value per channel. */
export interface BatchNormParams {
  readonly mean: ChannelVector;
  readonly variance: ChannelVector;
  /** Scale (Keras' gamma, PyTorch's weight). */
  readonly gamma: ChannelVector;
  /** Offset (Keras' beta, PyTorch's bias). */
  readonly beta: ChannelVector;
  readonly epsilon: number;
}

/** Options of {@link CoBatchNorm}. */
export interface CoBatchNormOptions extends BatchNormParams {
  readonly name: string;
}

/**
 * Batch normalisation over channels with fixed statistics: (x - mean) / sqrt(var + eps) * gamma +
 * beta. Networks fold it into the preceding convolution at load time ({@link foldBatchNorm});
 * this module serves unfused graphs and tests. Counted as one element-wise op per element.
 */
export class CoBatchNorm extends CoPointwiseBase {
  readonly name: string;
  readonly epsilon: number;
  private readonly mean: tf.Tensor1D;
  private readonly variance: tf.Tensor1D;
  private readonly gamma: tf.Tensor1D;
  private readonly beta: tf.Tensor1D;

  constructor(options: CoBatchNormOptions) {
    super();
    this.name = options.name;
    this.epsilon = options.epsilon;
    const what = `CoBatchNorm "${options.name}"`;
    // Built in one tidy so that a bad argument leaves nothing behind.
    const params = tf.tidy(() => [
      toTensor1d(options.mean, `${what}: mean`),
      toTensor1d(options.variance, `${what}: variance`),
      toTensor1d(options.gamma, `${what}: gamma`),
      toTensor1d(options.beta, `${what}: beta`),
    ]) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
    const size = params[0].size;
    if (params.some((p) => p.size !== size)) {
      tf.dispose(params);
      throw new Error(`${what}: mean, variance, gamma and beta must have the same length.`);
    }
    [this.mean, this.variance, this.gamma, this.beta] = params.map((p) => tf.keep(p)) as [
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor1D,
    ];
  }

  /** Number of channels normalised. */
  get channels(): number {
    return this.mean.size;
  }

  outputShape(input: FrameShape): FrameShape {
    if (input.channels !== this.channels) {
      throw new Error(
        `CoBatchNorm "${this.name}": expected ${this.channels} channels, got ${input.channels}.`,
      );
    }
    return { ...input };
  }

  protected apply(frames: Frame): Frame {
    const [, h, w, c] = frames.shape;
    this.outputShape({ height: h, width: w, channels: c });
    return tf.batchNorm(frames, this.mean, this.variance, this.beta, this.gamma, this.epsilon);
  }

  protected frameFlops(input: FrameShape): FlopCount {
    return { macs: 0, elementwise: input.height * input.width * input.channels };
  }

  override dispose(): void {
    tf.dispose([this.mean, this.variance, this.gamma, this.beta]);
  }
}

/**
 * Folds batch normalisation into the convolution before it: conv(x, k) + b followed by BN equals
 * conv(x, k * a) + (b - mean) * a + beta with a = gamma / sqrt(var + eps), per output channel.
 * The kernel's LAST axis must be the output channels (layout [kt, kh, kw, in / groups, out], or
 * [in, out]). Returns new tensors owned by the caller; the inputs are not disposed.
 */
export function foldBatchNorm(
  kernel: tf.Tensor,
  bias: tf.Tensor1D | undefined,
  bn: BatchNormParams,
): { kernel: tf.Tensor; bias: tf.Tensor1D } {
  const outChannels = kernel.shape[kernel.rank - 1] ?? 0;
  return tf.tidy(() => {
    const mean = toTensor1d(bn.mean, 'foldBatchNorm: mean');
    const variance = toTensor1d(bn.variance, 'foldBatchNorm: variance');
    const gamma = toTensor1d(bn.gamma, 'foldBatchNorm: gamma');
    const beta = toTensor1d(bn.beta, 'foldBatchNorm: beta');
    for (const v of [mean, variance, gamma, beta, ...(bias === undefined ? [] : [bias])]) {
      if (v.size !== outChannels) {
        throw new Error(
          `foldBatchNorm: batch norm and bias need ${outChannels} values (the kernel's last ` +
            `axis), got ${v.size}.`,
        );
      }
    }
    const multiplier = tf.div(gamma, tf.sqrt(tf.add(variance, bn.epsilon)));
    const centred = bias === undefined ? tf.neg(mean) : tf.sub(bias, mean);
    // Scaled as a 2D [rest, out] matrix: a rank-5 broadcast is unreliable on tfjs-webgpu.
    const rows = tf.reshape(kernel, [-1, outChannels]);
    return {
      kernel: tf.reshape(tf.mul(rows, multiplier), kernel.shape),
      bias: tf.add(tf.mul(centred, multiplier), beta) as tf.Tensor1D,
    };
  });
}

/** Options of {@link CoLambda}. */
export interface CoLambdaOptions {
  readonly name: string;
  /**
   * The per-frame function, [M, H, W, C] -> [M, H', W', C'] (frames of a batch are independent).
   * Called inside tf.tidy; it must not dispose its input.
   */
  readonly fn: (frames: Frame) => Frame;
  /** Output frame shape; default: the input shape. */
  readonly outputShape?: (input: FrameShape) => FrameShape;
  /** Cost of one frame; default zero. */
  readonly flops?: (input: FrameShape) => FlopCount;
}

/** A stateless per-frame function as a continual module (glue such as spatial pooling). */
export class CoLambda extends CoPointwiseBase {
  readonly name: string;
  private readonly fn: (frames: Frame) => Frame;
  private readonly shapeFn: ((input: FrameShape) => FrameShape) | undefined;
  private readonly flopsFn: ((input: FrameShape) => FlopCount) | undefined;

  constructor(options: CoLambdaOptions) {
    super();
    this.name = options.name;
    this.fn = options.fn;
    this.shapeFn = options.outputShape;
    this.flopsFn = options.flops;
  }

  outputShape(input: FrameShape): FrameShape {
    return this.shapeFn === undefined ? { ...input } : this.shapeFn(input);
  }

  protected apply(frames: Frame): Frame {
    return this.fn(frames);
  }

  protected frameFlops(input: FrameShape): FlopCount {
    return this.flopsFn === undefined ? ZERO_FLOPS : this.flopsFn(input);
  }
}
