/**
 * Continual global average pooling: the spatial mean of each frame, pooled over time either over
 * a sliding window of frames ({@link CoGlobalAvgPool}) or since the last reset
 * ({@link CoCumulativeAvgPool}, as MoViNet-Stream's classification head does). Outputs are
 * [N, 1, 1, C] per step and [N, T', 1, 1, C] per clip.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CoModuleBase, stateNumber, stateTensor } from './base';
import type { Clip, CoState, FlopCount, Frame, FrameShape, TemporalPadding } from './module';
import { TemporalWindow } from './temporal-window';

function checkName(name: string): void {
  if (typeof name !== 'string' || name === '') {
    throw new Error('A pooling module needs a non-empty name.');
  }
}

/** Spatial mean of frames [B, H, W, C] -> [B, 1, 1, C]. */
function spatialMean(frames: tf.Tensor): tf.Tensor {
  return tf.mean(frames, [1, 2], true);
}

/** One read per input element of a frame: the cost of its spatial mean. */
function spatialReads(input: FrameShape): number {
  return input.height * input.width * input.channels;
}

/** Options of {@link CoGlobalAvgPool}. */
export interface CoGlobalAvgPoolOptions {
  /** Name unique among siblings. */
  readonly name: string;
  /** Frames averaged per output, a positive integer. */
  readonly window: number;
  /**
   * `'valid'` (default): outputs only for full windows of real frames, delay window - 1.
   * `'causal'`: window - 1 zero frames before the stream, so every step has an output (delay 0)
   * and the first outputs still divide by `window` (a causal sliding average).
   */
  readonly temporalPadding?: 'valid' | 'causal';
}

/**
 * Global average pooling over space and a sliding window of `window` frames.
 *
 * The streaming mean is recomputed from a ring buffer of the last `window - 1` per-frame means
 * rather than kept as a running sum (add new, subtract oldest): that costs `window` reads per
 * channel and step, negligible next to the spatial mean, and cannot drift however long the stream.
 * Offline twin: the same sliding mean over the clip ('valid': T - window + 1 outputs).
 */
export class CoGlobalAvgPool extends CoModuleBase {
  readonly name: string;
  readonly window: number;
  readonly receptiveField: number;
  readonly padding: TemporalPadding;
  readonly stride = 1;
  private readonly ring: TemporalWindow;

  constructor(options: CoGlobalAvgPoolOptions) {
    super();
    checkName(options.name);
    const { window } = options;
    if (!Number.isInteger(window) || window < 1) {
      throw new Error(`${options.name}: window must be a positive integer, got ${window}.`);
    }
    const mode = options.temporalPadding ?? 'valid';
    if (mode !== 'valid' && mode !== 'causal') {
      throw new Error(
        `${options.name}: temporalPadding must be 'valid' or 'causal', got '${String(mode)}'.`,
      );
    }
    this.name = options.name;
    this.window = window;
    this.receptiveField = window;
    this.padding = { start: mode === 'causal' ? window - 1 : 0, end: 0 };
    this.ring = new TemporalWindow({
      size: window,
      stride: 1,
      padding: this.padding,
      fill: 'zeros',
      reduction: 'mean',
    });
  }

  outputShape(input: FrameShape): FrameShape {
    return { height: 1, width: 1, channels: input.channels };
  }

  forward(clip: Clip): Clip {
    return tf.tidy(() => this.ring.offline(tf.mean(clip, [2, 3], true)) as Clip);
  }

  forwardStep(frame: Frame): Frame | null {
    const mean = tf.tidy(() => spatialMean(frame));
    const out = this.ring.push(mean);
    mean.dispose();
    return out as Frame | null;
  }

  getState(): CoState {
    return this.ring.getState();
  }

  setState(state: CoState): void {
    this.ring.setState(state);
  }

  resetState(): void {
    this.ring.reset();
  }

  /** Reads per output for the temporal mean: `window` per channel (none for a window of 1). */
  private temporalReads(input: FrameShape): number {
    return this.window === 1 ? 0 : this.window * input.channels;
  }

  /** One read per input element for the spatial mean, plus `window` reads per channel. */
  flopsPerStep(input: FrameShape): FlopCount {
    return { macs: 0, elementwise: spatialReads(input) + this.temporalReads(input) };
  }

  flopsPerClip(input: FrameShape, frames: number): FlopCount {
    const outputs = this.ring.outputLength(frames);
    return {
      macs: 0,
      elementwise: frames * spatialReads(input) + outputs * this.temporalReads(input),
    };
  }

  /** The window - 1 buffered means of one batch item, float32. */
  stateBytes(input: FrameShape): number {
    return (this.window - 1) * input.channels * 4;
  }

  dispose(): void {
    this.ring.dispose();
  }
}

/** Options of {@link CoCumulativeAvgPool}. */
export interface CoCumulativeAvgPoolOptions {
  /** Name unique among siblings. */
  readonly name: string;
}

/**
 * Global average pooling over space and every frame since the last reset: output t is
 * (sum + x_t) / (count + 1), MoViNet-Stream's running mean.
 *
 * Its receptive field is unbounded in principle (every frame since the reset); the module
 * declares receptiveField 1 and delay 0 because each step emits at once, and its offline twin
 * (the cumulative mean from the first frame of the clip, T outputs) matches the stream only when
 * the clip starts where the stream (re)started.
 *
 * The running sum uses Kahan compensated summation: a plain float32 sum of values of mean 1
 * is off by about 3e-6 in the mean after 10,000 steps and keeps growing (by 2^24 steps new frames
 * stop registering at all), while the compensated sum stays within a few float32 ulps of the
 * exact mean. State: `sum` and `compensation` ([N, 1, 1, C], null before the first frame) and
 * `count`.
 */
export class CoCumulativeAvgPool extends CoModuleBase {
  readonly name: string;
  readonly receptiveField = 1;
  readonly padding: TemporalPadding = { start: 0, end: 0 };
  readonly stride = 1;
  private sum: tf.Tensor | null = null;
  private compensation: tf.Tensor | null = null;
  private count = 0;

  constructor(options: CoCumulativeAvgPoolOptions) {
    super();
    checkName(options.name);
    this.name = options.name;
  }

  outputShape(input: FrameShape): FrameShape {
    return { height: 1, width: 1, channels: input.channels };
  }

  /** Cumulative mean over the clip from its first frame: [N, T, 1, 1, C]. */
  forward(clip: Clip): Clip {
    return tf.tidy(() => {
      const [n, t, , , c] = clip.shape;
      const means = tf.reshape(tf.mean(clip, [2, 3]), [n, t, c]);
      const counts = tf.reshape(tf.range(1, t + 1, 1, 'float32'), [1, t, 1]);
      return tf.reshape(tf.div(tf.cumsum(means, 1), counts), [n, t, 1, 1, c]) as Clip;
    });
  }

  forwardStep(frame: Frame): Frame {
    const [sum, compensation, out] = tf.tidy(() => {
      const x = spatialMean(frame);
      if (this.sum === null || this.compensation === null) {
        return [x, tf.zerosLike(x), tf.clone(x)];
      }
      // Kahan: `compensation` holds what the last additions lost to rounding (negated).
      const y = tf.sub(x, this.compensation);
      const next = tf.add(this.sum, y);
      const lost = tf.sub(tf.sub(next, this.sum), y);
      return [next, lost, tf.div(next, this.count + 1)];
    });
    this.sum?.dispose();
    this.compensation?.dispose();
    // Kept: a caller may step inside its own tf.tidy, and state must outlive that scope.
    this.sum = tf.keep(sum);
    this.compensation = tf.keep(compensation);
    this.count++;
    return out as Frame;
  }

  getState(): CoState {
    return {
      sum: this.sum === null ? null : tf.clone(this.sum),
      compensation: this.compensation === null ? null : tf.clone(this.compensation),
      count: this.count,
    };
  }

  setState(state: CoState): void {
    const count = stateNumber(state, 'count');
    const sum = stateTensor(state, 'sum');
    const compensation = stateTensor(state, 'compensation');
    if (!Number.isInteger(count) || count < 0) {
      throw new Error(`State key "count" must be a non-negative integer, got ${count}.`);
    }
    if ((sum === null || compensation === null) !== (count === 0)) {
      throw new Error('State must hold a sum and compensation exactly when count > 0.');
    }
    this.resetState();
    this.sum = sum === null ? null : tf.keep(tf.clone(sum));
    this.compensation = compensation === null ? null : tf.keep(tf.clone(compensation));
    this.count = count;
  }

  resetState(): void {
    this.sum?.dispose();
    this.compensation?.dispose();
    this.sum = null;
    this.compensation = null;
    this.count = 0;
  }

  /**
   * One read per input element for the spatial mean, plus one per channel folded into the
   * running sum (the compensation's few ops per channel and the division are not counted).
   */
  flopsPerStep(input: FrameShape): FlopCount {
    return { macs: 0, elementwise: spatialReads(input) + input.channels };
  }

  flopsPerClip(input: FrameShape, frames: number): FlopCount {
    return { macs: 0, elementwise: frames * (spatialReads(input) + input.channels) };
  }

  /** Sum and compensation of one batch item, float32. */
  stateBytes(input: FrameShape): number {
    return 2 * input.channels * 4;
  }

  dispose(): void {
    this.resetState();
  }
}
