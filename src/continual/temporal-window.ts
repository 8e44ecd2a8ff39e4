/**
 * The temporal half of separable pooling: a ring buffer of the last `size - 1` (already spatially
 * reduced) frames, and the same window reduction over a whole sequence for the offline twin.
 * Shared by the 3D pooling and global pooling modules, which differ only in their spatial half.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sumInOrder } from './sum';
import { clipOutputLength, stateChild, stateNumber, stateTensor } from './base';
import type { CoState, TemporalFill, TemporalPadding } from './module';

/** How a temporal window combines its frames. */
export type TemporalReduction = 'mean' | 'max';

/** Configuration of a {@link TemporalWindow}. */
export interface TemporalWindowOptions {
  /** Frames per window (the temporal kernel size), a positive integer. */
  readonly size: number;
  /** One output every `stride` steps, a positive integer. */
  readonly stride: number;
  /** Frames of padding before and after the sequence; `start` must be below `size`. */
  readonly padding: TemporalPadding;
  /** What padded frames hold. */
  readonly fill: TemporalFill;
  /** `'mean'` divides the sum by `size`, padded frames included; `'max'` takes the maximum. */
  readonly reduction: TemporalReduction;
}

function isPositiveInteger(value: number): boolean {
  return Number.isInteger(value) && value >= 1;
}

/**
 * A sliding window over time, step by step (`push`) or over a whole sequence (`offline`), with
 * identical arithmetic in both: frames are combined oldest first, so the two agree to the bit on
 * backends that evaluate each op the same way for any batch size.
 *
 * Tensors are [N, T, ...] for sequences and [N, ...] for steps; the trailing shape is opaque.
 * An output is due on step `i` iff `i >= delay` and `(i - delay) % stride == 0`, with
 * `delay = size - 1 - padding.start`, as for every continual module.
 */
export class TemporalWindow {
  readonly size: number;
  readonly stride: number;
  readonly padding: TemporalPadding;
  readonly fill: TemporalFill;
  readonly reduction: TemporalReduction;
  /** The last `size - 1` frames, oldest first; null where nothing has been written yet. */
  private buffer: (tf.Tensor | null)[];
  private step = 0;

  constructor(options: TemporalWindowOptions) {
    const { size, stride, padding, fill, reduction } = options;
    if (!isPositiveInteger(size)) {
      throw new Error(`Temporal window size must be a positive integer, got ${size}.`);
    }
    if (!isPositiveInteger(stride)) {
      throw new Error(`Temporal stride must be a positive integer, got ${stride}.`);
    }
    for (const side of ['start', 'end'] as const) {
      const p = padding[side];
      if (!Number.isInteger(p) || p < 0 || p > size - 1) {
        // More padding than size - 1 would make whole windows of padding (and a negative delay).
        throw new Error(
          `Temporal padding ${side} must be an integer in [0, ${size - 1}] for a window of ${size}, got ${p}.`,
        );
      }
    }
    if (fill !== 'zeros' && fill !== 'replicate') {
      throw new Error(`Temporal fill must be 'zeros' or 'replicate', got '${String(fill)}'.`);
    }
    if (reduction !== 'mean' && reduction !== 'max') {
      throw new Error(`Temporal reduction must be 'mean' or 'max', got '${String(reduction)}'.`);
    }
    this.size = size;
    this.stride = stride;
    this.padding = { start: padding.start, end: padding.end };
    this.fill = fill;
    this.reduction = reduction;
    this.buffer = new Array<tf.Tensor | null>(size - 1).fill(null);
  }

  /** Steps that return null before the first output. */
  get delay(): number {
    return this.size - 1 - this.padding.start;
  }

  /** Number of outputs of {@link offline} over a sequence of `frames` frames. */
  outputLength(frames: number): number {
    return clipOutputLength(frames, this.size, this.padding, this.stride);
  }

  /**
   * Consumes one frame [N, ...] (still owned by the caller) and returns the reduction over the
   * window ending at it, or null while filling or between strides.
   */
  push(frame: tf.Tensor): tf.Tensor | null {
    if (this.step === 0 && this.padding.start > 0) this.writeStartPadding(frame);
    const due = this.step >= this.delay && (this.step - this.delay) % this.stride === 0;
    let out: tf.Tensor | null = null;
    if (due) {
      const frames = [...this.buffer, frame];
      out = tf.tidy(() => this.reduce(frames as tf.Tensor[]));
    }
    if (this.buffer.length > 0) {
      this.buffer.shift()?.dispose();
      // Kept: a caller may step inside its own tf.tidy, and state must outlive that scope.
      this.buffer.push(tf.keep(tf.clone(frame)));
    }
    this.step++;
    return out;
  }

  /**
   * The offline twin: pads a sequence [N, T, ...] in time and reduces every window, giving
   * [N, outputLength(T), ...] (T' = 0 when the sequence is shorter than a window).
   */
  offline(sequence: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [n = 0, t = 0, ...rest] = sequence.shape;
      const outLength = this.outputLength(t);
      if (outLength === 0) return tf.zeros([n, 0, ...rest]);
      const inner = rest.reduce((a, b) => a * b, 1);
      // Rank 3 keeps slicing simple and within every backend's supported ranks.
      const padded = this.padSequence(tf.reshape(sequence, [n, t, inner]));
      const span = (outLength - 1) * this.stride + 1;
      const taps: tf.Tensor[] = [];
      for (let j = 0; j < this.size; j++) {
        taps.push(
          this.stride === 1
            ? tf.slice(padded, [0, j, 0], [n, span, inner])
            : tf.stridedSlice(padded, [0, j, 0], [n, j + span, inner], [1, this.stride, 1]),
        );
      }
      return tf.reshape(this.reduce(taps), [n, outLength, ...rest]);
    });
  }

  /** Snapshot: `{ step, frames: { '0': oldest, ... } }`, tensors cloned. */
  getState(): CoState {
    const frames: Record<string, tf.Tensor | null> = {};
    this.buffer.forEach((slot, i) => {
      frames[String(i)] = slot === null ? null : tf.clone(slot);
    });
    return { step: this.step, frames };
  }

  /** Restores a snapshot of {@link getState} (cloned; the argument stays the caller's). */
  setState(state: CoState): void {
    const step = stateNumber(state, 'step');
    if (!Number.isInteger(step) || step < 0) {
      throw new Error(`State key "step" must be a non-negative integer, got ${step}.`);
    }
    const frames = stateChild(state, 'frames');
    if (Object.keys(frames).length !== this.buffer.length) {
      throw new Error(
        `State holds ${Object.keys(frames).length} frames; this window keeps ${this.buffer.length}.`,
      );
    }
    const next = this.buffer.map((_, i) => stateTensor(frames, String(i)));
    this.disposeBuffer();
    this.buffer = next.map((slot) => (slot === null ? null : tf.keep(tf.clone(slot))));
    this.step = step;
  }

  /** Back to the state of a new window. */
  reset(): void {
    this.disposeBuffer();
    this.buffer = new Array<tf.Tensor | null>(this.size - 1).fill(null);
    this.step = 0;
  }

  /** Releases the buffered frames. */
  dispose(): void {
    this.disposeBuffer();
    this.buffer = new Array<tf.Tensor | null>(this.size - 1).fill(null);
  }

  private disposeBuffer(): void {
    for (const slot of this.buffer) slot?.dispose();
  }

  /** The first frame's start padding: zeros, or copies of the frame itself. */
  private writeStartPadding(frame: tf.Tensor): void {
    const first = this.buffer.length - this.padding.start;
    for (let i = first; i < this.buffer.length; i++) {
      this.buffer[i]?.dispose();
      this.buffer[i] = tf.keep(this.fill === 'zeros' ? tf.zerosLike(frame) : tf.clone(frame));
    }
  }

  private padSequence(flat: tf.Tensor): tf.Tensor {
    const { start, end } = this.padding;
    if (this.fill === 'zeros') {
      return tf.pad(flat, [
        [0, 0],
        [start, end],
        [0, 0],
      ]);
    }
    const [n = 0, t = 0, inner = 0] = flat.shape;
    const parts: tf.Tensor[] = [];
    if (start > 0) parts.push(tf.tile(tf.slice(flat, [0, 0, 0], [n, 1, inner]), [1, start, 1]));
    parts.push(flat);
    if (end > 0) parts.push(tf.tile(tf.slice(flat, [0, t - 1, 0], [n, 1, inner]), [1, end, 1]));
    return tf.concat(parts, 1);
  }

  /** Oldest first, so streaming and offline sum in the same order. */
  private reduce(frames: tf.Tensor[]): tf.Tensor {
    if (frames.length === 1) return tf.clone(frames[0] as tf.Tensor);
    if (this.reduction === 'max') {
      return frames.reduce((acc, f) => tf.maximum(acc, f));
    }
    return tf.div(sumInOrder(frames), this.size);
  }
}
