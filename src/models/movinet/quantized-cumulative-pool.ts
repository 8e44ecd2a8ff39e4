/**
 * MoViNet-Stream's head pooling as the int8 TFLite graph computes it: a spatial mean, then a
 * running mean over every frame since the reset whose running sum is itself stored on coarse
 * int8 grids. That storage is not a detail: with a sum step of ~0.59, a frame whose mean
 * feature is below ~0.3 adds nothing, and a sum can stop growing for many frames, so the int8
 * model's temporal mean differs from the float one by far more than rounding noise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CoModuleBase, stateNumber, stateTensor } from '../../continual/base';
import type {
  Clip,
  CoState,
  FlopCount,
  Frame,
  FrameShape,
  TemporalPadding,
} from '../../continual/module';
import { checkQuantization, fakeQuantize, fakeQuantOpsPerElement } from './fake-quant';
import type { MovinetHeadPoolQuantization } from './movinet-config';

/** Options of {@link CoQuantizedCumulativeAvgPool}. */
export interface CoQuantizedCumulativeAvgPoolOptions {
  /** Name unique among siblings. */
  readonly name: string;
  /** The int8 grids of the spatial sum, spatial mean, state on entry, new sum and mean. */
  readonly quantization: MovinetHeadPoolQuantization;
}

/**
 * Global average pooling over space and all frames since the reset, with the TFLite graph's
 * int8 arithmetic. Per step, for a frame x [N, H, W, C]:
 *
 *   m = Q_spatialMean(Q_spatialSum(sum over H, W of x) / (H * W))
 *   s = Q_sum(Q_sumState(state) + m)          (the new state)
 *   y = Q_mean(s / (count + 1))               ([N, 1, 1, C])
 *
 * where Q_g is fake quantization to grid g and the state starts at zero. (The graph multiplies
 * by 1/36 stored as int8, 1.5e-6 off; its spatial-sum grid is 36 times its mean grid, so either
 * factor lands on the same grid point.) As for the float
 * cumulative mean, receptiveField is 1 and delay 0 (every step emits), and the offline twin is
 * the same recursion over the clip from its first frame, so it matches the stream only when the
 * clip starts where the stream (re)started. State: `sum` ([N, 1, 1, C], null before the first
 * frame) and `count`.
 */
export class CoQuantizedCumulativeAvgPool extends CoModuleBase {
  readonly name: string;
  readonly receptiveField = 1;
  readonly padding: TemporalPadding = { start: 0, end: 0 };
  readonly stride = 1;
  readonly quantization: MovinetHeadPoolQuantization;
  private sum: tf.Tensor | null = null;
  private count = 0;

  constructor(options: CoQuantizedCumulativeAvgPoolOptions) {
    super();
    if (typeof options.name !== 'string' || options.name === '') {
      throw new Error('A pooling module needs a non-empty name.');
    }
    const q = options.quantization;
    for (const key of ['spatialSum', 'spatialMean', 'sumState', 'sum', 'mean'] as const) {
      checkQuantization(q[key], `CoQuantizedCumulativeAvgPool "${options.name}": ${key}`);
    }
    this.name = options.name;
    this.quantization = { ...q };
  }

  outputShape(input: FrameShape): FrameShape {
    return { height: 1, width: 1, channels: input.channels };
  }

  /** One step of the recursion from `sum` (null: zeros) after `count` frames; new tensors. */
  private advance(frame: Frame, sum: tf.Tensor | null, count: number): [tf.Tensor, Frame] {
    return tf.tidy(() => {
      const q = this.quantization;
      const [, h, w] = frame.shape;
      // TFLite's int8 SUM rounds halves (common: a sum of int8 values over a coarser grid) away from zero.
      const spatialSum = fakeQuantize(tf.sum(frame, [1, 2], true), q.spatialSum, 'half-away');
      const mean = fakeQuantize(tf.div(spatialSum, h * w), q.spatialMean);
      // The graph feeds zeros as the first state and quantizes whatever it is fed.
      const previous = fakeQuantize(sum ?? tf.zerosLike(mean), q.sumState);
      const next = fakeQuantize(tf.add(previous, mean), q.sum);
      return [next, fakeQuantize(tf.div(next, count + 1), q.mean) as Frame];
    });
  }

  forward(clip: Clip): Clip {
    return tf.tidy(() => {
      const [n, t, h, w, c] = clip.shape;
      let sum: tf.Tensor | null = null;
      const outputs: tf.Tensor[] = [];
      for (let i = 0; i < t; i++) {
        const frame = tf.reshape(tf.slice(clip, [0, i, 0, 0, 0], [n, 1, h, w, c]), [n, h, w, c]);
        const [next, out] = this.advance(frame as Frame, sum, i);
        sum = next;
        outputs.push(out);
      }
      return (t === 0 ? tf.zeros([n, 0, 1, 1, c]) : tf.stack(outputs, 1)) as Clip;
    });
  }

  forwardStep(frame: Frame): Frame {
    const [next, out] = this.advance(frame, this.sum, this.count);
    this.sum?.dispose();
    this.sum = tf.keep(next);
    this.count++;
    return out;
  }

  getState(): CoState {
    return { sum: this.sum === null ? null : tf.clone(this.sum), count: this.count };
  }

  setState(state: CoState): void {
    const count = stateNumber(state, 'count');
    const sum = stateTensor(state, 'sum');
    if (!Number.isInteger(count) || count < 0) {
      throw new Error(`State key "count" must be a non-negative integer, got ${count}.`);
    }
    if ((sum === null) !== (count === 0)) {
      throw new Error('State must hold a sum exactly when count > 0.');
    }
    this.resetState();
    this.sum = sum === null ? null : tf.keep(tf.clone(sum));
    this.count = count;
  }

  resetState(): void {
    this.sum?.dispose();
    this.sum = null;
    this.count = 0;
  }

  /**
   * One read per input element for the spatial sum; per channel a divide (by H * W), an add and
   * a divide (by the count), plus five fake quantizations (the spatial sum's rounds halves away).
   */
  flopsPerStep(input: FrameShape): FlopCount {
    const perChannel = 3 + fakeQuantOpsPerElement('half-away') + 4 * fakeQuantOpsPerElement();
    return {
      macs: 0,
      elementwise: input.height * input.width * input.channels + perChannel * input.channels,
    };
  }

  flopsPerClip(input: FrameShape, frames: number): FlopCount {
    const step = this.flopsPerStep(input);
    return { macs: 0, elementwise: frames * step.elementwise };
  }

  /** The running sum of one batch item, float32. */
  stateBytes(input: FrameShape): number {
    return input.channels * 4;
  }

  dispose(): void {
    this.resetState();
  }
}
