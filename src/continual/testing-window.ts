/**
 * A tiny temporal module for container tests (imported by *.test.ts only; never by library code):
 * a weighted sum of a window of frames with any zero padding and stride, written the plainest way
 * so containers can be tested with receptive fields, paddings and strides that no real layer has
 * yet. Clip output j = sum_k taps[k] * x[j * stride + k - padStart], x being 0 outside the clip.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CoModuleBase, clipOutputLength, stateNumber, stateTensor } from './base';
import type { Clip, CoState, FlopCount, Frame, FrameShape, TemporalPadding } from './module';

/** Options of {@link CoTestWindow}. */
export interface CoTestWindowOptions {
  readonly name: string;
  /** One weight per frame of the window, oldest first; its length is the receptive field. */
  readonly taps: readonly number[];
  readonly padStart?: number;
  readonly padEnd?: number;
  readonly stride?: number;
}

/** See the file comment. Costs rf * H * W * C multiply-adds per output. */
export class CoTestWindow extends CoModuleBase {
  readonly name: string;
  readonly receptiveField: number;
  readonly padding: TemporalPadding;
  readonly stride: number;
  private readonly taps: readonly number[];
  /** The last `receptiveField` input frames, newest last (null before the first). */
  private history: (Frame | null)[];
  private seen = 0;

  constructor(options: CoTestWindowOptions) {
    super();
    this.name = options.name;
    this.taps = [...options.taps];
    this.receptiveField = options.taps.length;
    this.padding = { start: options.padStart ?? 0, end: options.padEnd ?? 0 };
    this.stride = options.stride ?? 1;
    this.history = new Array<Frame | null>(this.receptiveField).fill(null);
  }

  outputShape(input: FrameShape): FrameShape {
    return { ...input };
  }

  forward(clip: Clip): Clip {
    return tf.tidy(() => {
      const [n, t, h, w, c] = clip.shape;
      // Padded as [N, T, H * W * C]: tf.pad of a rank-5 tensor is wrong on tfjs-webgpu.
      const padded = tf.pad(tf.reshape(clip, [n, t, h * w * c]), [
        [0, 0],
        [this.padding.start, this.padding.end],
        [0, 0],
      ]);
      const length = clipOutputLength(t, this.receptiveField, this.padding, this.stride);
      const outputs: tf.Tensor[] = [];
      for (let j = 0; j < length; j++) {
        let sum: tf.Tensor = tf.zeros([n, 1, h * w * c]);
        this.taps.forEach((tap, k) => {
          const frame = tf.slice(padded, [0, j * this.stride + k, 0], [n, 1, h * w * c]);
          sum = tf.add(sum, tf.mul(frame, tap));
        });
        outputs.push(sum);
      }
      const joined = outputs.length === 0 ? tf.zeros([n, 0, h * w * c]) : tf.concat(outputs, 1);
      return tf.reshape(joined, [n, length, h, w, c]) as Clip;
    });
  }

  forwardStep(frame: Frame): Frame | null {
    const dropped = this.history.shift();
    dropped?.dispose();
    this.history.push(tf.keep(tf.clone(frame)));
    const newest = this.seen + this.padding.start;
    this.seen++;
    const first = newest - (this.receptiveField - 1);
    if (first < 0 || first % this.stride !== 0) return null;
    return tf.tidy(() => {
      let sum: tf.Tensor = tf.zerosLike(frame);
      this.taps.forEach((tap, k) => {
        const past = this.history[k];
        if (past) sum = tf.add(sum, tf.mul(past, tap));
      });
      return sum as Frame;
    });
  }

  getState(): CoState {
    const state: Record<string, tf.Tensor | number | null> = { seen: this.seen };
    this.history.forEach((f, i) => {
      state[`h${i}`] = f === null ? null : tf.clone(f);
    });
    return state;
  }

  setState(state: CoState): void {
    const history = this.history.map((_, i) => {
      const f = stateTensor(state, `h${i}`);
      return f === null ? null : (tf.keep(tf.clone(f)) as Frame);
    });
    this.resetState();
    this.history = history;
    this.seen = stateNumber(state, 'seen');
  }

  resetState(): void {
    tf.dispose(this.history.filter((f): f is Frame => f !== null));
    this.history = this.history.map(() => null);
    this.seen = 0;
  }

  flopsPerStep(input: FrameShape): FlopCount {
    const elements = input.height * input.width * input.channels;
    return { macs: (this.receptiveField * elements) / this.stride, elementwise: 0 };
  }

  flopsPerClip(input: FrameShape, frames: number): FlopCount {
    const elements = input.height * input.width * input.channels;
    const outputs = clipOutputLength(frames, this.receptiveField, this.padding, this.stride);
    return { macs: this.receptiveField * elements * outputs, elementwise: 0 };
  }

  stateBytes(input: FrameShape): number {
    return this.receptiveField * input.height * input.width * input.channels * 4;
  }

  dispose(): void {
    this.resetState();
  }
}

/**
 * A test window of `rf` distinct taps (0.5, 0.75, ...), so a misaligned frame changes the result;
 * `start`/`end` are its temporal padding and `stride` its temporal stride.
 */
export function testWindow(
  name: string,
  rf: number,
  opts: { start?: number; end?: number; stride?: number } = {},
): CoTestWindow {
  return new CoTestWindow({
    name,
    taps: Array.from({ length: rf }, (_, k) => 0.5 + 0.25 * k),
    padStart: opts.start ?? 0,
    padEnd: opts.end ?? 0,
    stride: opts.stride ?? 1,
  });
}
