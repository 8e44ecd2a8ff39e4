/**
 * Continual 3D average and max pooling, built from 2D pooling per frame plus a temporal window.
 *
 * Pooling is separable: the average (max) over a kt x kh x kw window is the average (max) over
 * time of the spatial averages (maxima) of each frame. So each step pools the new frame over
 * H, W with tf.avgPool / tf.maxPool and keeps the pooled frames of the last kt - 1 steps.
 * tf.avgPool3d / tf.maxPool3d are deliberately not used: tfjs-wasm's maxPool3d returns 0 for a
 * window whose values are all negative; they serve only as the cpu ground truth in tests.
 *
 * Padding semantics (what the offline twin computes, and what the tests check against
 * tf.avgPool3d / tf.maxPool3d on cpu):
 * - Time: padded frames are real frames of zeros (or copies of the first/last frame with
 *   `temporalFill: 'replicate'`) and count in the average: the divisor is always kt
 *   (count_include_pad for time). For max pooling, zero frames take part in the maximum, so an
 *   all-negative clip gives 0 where a window reaches into zero padding; 'replicate' gives the
 *   maximum over the real frames only (the same as TF's ignore-the-padding semantics).
 * - Space: 'same' is TensorFlow SAME and the padding is excluded, as tf.avgPool does: a window
 *   overhanging the frame averages only its in-frame pixels; max pooling ignores the padding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CoModuleBase } from './base';
import { spatialOutputSize } from './flops';
import type {
  Clip,
  CoState,
  FlopCount,
  Frame,
  FrameShape,
  TemporalFill,
  TemporalPadding,
} from './module';
import { TemporalWindow } from './temporal-window';

/** Which value a pooling window keeps. */
export type PoolKind = 'avg' | 'max';

/**
 * Temporal padding of the offline twin: `'valid'` none, `'causal'` kt - 1 frames before the clip
 * (no delay), or a number p of frames on both sides (0 <= p <= kt - 1).
 */
export type PoolTemporalPadding = 'valid' | 'causal' | number;

/** Options shared by {@link CoPool3d}, {@link CoAvgPool3d} and {@link CoMaxPool3d}. */
export interface Pool3dOptions {
  /** Name unique among siblings. */
  readonly name: string;
  /** Window [kt, kh, kw], positive integers. */
  readonly kernelSize: readonly [number, number, number];
  /**
   * Strides [st, sh, sw]; defaults to `kernelSize` (non-overlapping windows), the default of
   * Keras and PyTorch pooling layers.
   */
  readonly stride?: readonly [number, number, number];
  /** Spatial padding, TensorFlow style; default 'valid'. */
  readonly spatialPadding?: 'same' | 'valid';
  /** Temporal padding; default 'valid'. */
  readonly temporalPadding?: PoolTemporalPadding;
  /** What temporal padding frames hold; default 'zeros'. */
  readonly temporalFill?: TemporalFill;
}

/** Options of {@link CoPool3d}: the shared options plus the pooling kind. */
export interface CoPool3dOptions extends Pool3dOptions {
  readonly kind: PoolKind;
}

function checkTriple(value: readonly number[], what: string): [number, number, number] {
  if (value.length !== 3 || !value.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new Error(
      `${what} must be three positive integers [t, h, w], got [${value.join(', ')}].`,
    );
  }
  return [value[0] as number, value[1] as number, value[2] as number];
}

function temporalPaddingOf(mode: PoolTemporalPadding, kt: number): TemporalPadding {
  if (mode === 'valid') return { start: 0, end: 0 };
  if (mode === 'causal') return { start: kt - 1, end: 0 };
  if (typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode <= kt - 1) {
    return { start: mode, end: mode };
  }
  throw new Error(
    `temporalPadding must be 'valid', 'causal' or an integer in [0, ${kt - 1}], got ${String(mode)}.`,
  );
}

/**
 * Continual 3D pooling (average or max) over [kt, kh, kw] windows.
 *
 * Streaming: the step that consumes input frame i returns an output iff i >= delay and
 * (i - delay) % st == 0, where delay = kt - 1 - padding.start; receptiveField = kt.
 * The offline twin `forward` pools the padded clip with the same separable arithmetic.
 */
export class CoPool3d extends CoModuleBase {
  readonly name: string;
  readonly kind: PoolKind;
  readonly kernelSize: readonly [number, number, number];
  readonly strides: readonly [number, number, number];
  readonly spatialPadding: 'same' | 'valid';
  readonly temporalFill: TemporalFill;
  readonly receptiveField: number;
  readonly padding: TemporalPadding;
  readonly stride: number;
  private readonly window: TemporalWindow;

  constructor(options: CoPool3dOptions) {
    super();
    if (typeof options.name !== 'string' || options.name === '') {
      throw new Error('A pooling module needs a non-empty name.');
    }
    if (options.kind !== 'avg' && options.kind !== 'max') {
      throw new Error(`Pooling kind must be 'avg' or 'max', got '${String(options.kind)}'.`);
    }
    const spatialPadding = options.spatialPadding ?? 'valid';
    if (spatialPadding !== 'same' && spatialPadding !== 'valid') {
      throw new Error(`spatialPadding must be 'same' or 'valid', got '${String(spatialPadding)}'.`);
    }
    this.name = options.name;
    this.kind = options.kind;
    this.kernelSize = checkTriple(options.kernelSize, `${this.name}: kernelSize`);
    this.strides = checkTriple(options.stride ?? this.kernelSize, `${this.name}: stride`);
    this.spatialPadding = spatialPadding;
    this.temporalFill = options.temporalFill ?? 'zeros';
    const kt = this.kernelSize[0];
    this.receptiveField = kt;
    this.padding = temporalPaddingOf(options.temporalPadding ?? 'valid', kt);
    this.stride = this.strides[0];
    this.window = new TemporalWindow({
      size: kt,
      stride: this.stride,
      padding: this.padding,
      fill: this.temporalFill,
      reduction: this.kind === 'avg' ? 'mean' : 'max',
    });
  }

  /** A 1x1 window with stride 1 leaves frames as they are, so the spatial pass is skipped. */
  private get spatialIdentity(): boolean {
    const [, kh, kw] = this.kernelSize;
    const [, sh, sw] = this.strides;
    return kh === 1 && kw === 1 && sh === 1 && sw === 1;
  }

  outputShape(input: FrameShape): FrameShape {
    const [, kh, kw] = this.kernelSize;
    const [, sh, sw] = this.strides;
    return {
      height: spatialOutputSize(input.height, kh, sh, this.spatialPadding),
      width: spatialOutputSize(input.width, kw, sw, this.spatialPadding),
      channels: input.channels,
    };
  }

  /** The spatial pass over a batch of frames [B, H, W, C] (B = N, or N * T offline). */
  private poolSpatially(frames: tf.Tensor4D): tf.Tensor4D {
    if (this.spatialIdentity) return frames;
    const [, kh, kw] = this.kernelSize;
    const [, sh, sw] = this.strides;
    return this.kind === 'avg'
      ? tf.avgPool(frames, [kh, kw], [sh, sw], this.spatialPadding)
      : tf.maxPool(frames, [kh, kw], [sh, sw], this.spatialPadding);
  }

  forward(clip: Clip): Clip {
    return tf.tidy(() => {
      const [n, t, h, w, c] = clip.shape;
      const pooled = this.poolSpatially(tf.reshape(clip, [n * t, h, w, c]) as tf.Tensor4D);
      const [, ho, wo] = pooled.shape;
      return this.window.offline(tf.reshape(pooled, [n, t, ho, wo, c])) as Clip;
    });
  }

  forwardStep(frame: Frame): Frame | null {
    const pooled = tf.tidy(() => tf.clone(this.poolSpatially(frame)));
    const out = this.window.push(pooled);
    pooled.dispose();
    return out as Frame | null;
  }

  getState(): CoState {
    return this.window.getState();
  }

  setState(state: CoState): void {
    this.window.setState(state);
  }

  resetState(): void {
    this.window.reset();
  }

  /** Reads of the spatial pass per input frame: one per input element (0 when skipped). */
  private spatialReads(input: FrameShape): number {
    return this.spatialIdentity ? 0 : input.height * input.width * input.channels;
  }

  /** Reads of the temporal pass per output: kt per output element (0 when kt = 1). */
  private temporalReads(input: FrameShape): number {
    const out = this.outputShape(input);
    const kt = this.kernelSize[0];
    return kt === 1 ? 0 : kt * out.height * out.width * out.channels;
  }

  /**
   * Pooling has no multiply-adds; `elementwise` counts one per element read by each pass: the
   * spatial pass reads every input element of a frame, the temporal pass reads kt pooled values
   * per output element and runs once every `stride` steps (the final 1/kt scale is not counted).
   */
  flopsPerStep(input: FrameShape): FlopCount {
    return {
      macs: 0,
      elementwise: this.spatialReads(input) + this.temporalReads(input) / this.stride,
    };
  }

  flopsPerClip(input: FrameShape, frames: number): FlopCount {
    const outputs = this.window.outputLength(frames);
    return {
      macs: 0,
      elementwise: frames * this.spatialReads(input) + outputs * this.temporalReads(input),
    };
  }

  /** The kt - 1 buffered pooled frames of one batch item, float32. */
  stateBytes(input: FrameShape): number {
    const out = this.outputShape(input);
    return (this.kernelSize[0] - 1) * out.height * out.width * out.channels * 4;
  }

  dispose(): void {
    this.window.dispose();
  }
}

/** Continual 3D average pooling: {@link CoPool3d} with `kind: 'avg'`. */
export class CoAvgPool3d extends CoPool3d {
  constructor(options: Pool3dOptions) {
    super({ ...options, kind: 'avg' });
  }
}

/** Continual 3D max pooling: {@link CoPool3d} with `kind: 'max'`. */
export class CoMaxPool3d extends CoPool3d {
  constructor(options: Pool3dOptions) {
    super({ ...options, kind: 'max' });
  }
}
