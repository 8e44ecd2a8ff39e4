/**
 * Fake quantization: rounds float activations to the int8 grid a TFLite graph stores them on and
 * maps them back to floats, so a float network computes what the int8 graph computes (up to the
 * rounding of its fixed-point multipliers).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FlopCount, Frame, FrameShape } from '../../continual/module';
import { CoPointwiseBase } from '../../continual/pointwise';
import type { ActivationQuantization } from './movinet-config';

/** Smallest and largest int8 value. */
const INT8_MIN = -128;
const INT8_MAX = 127;

/** Throws unless `q` is a usable int8 quantization (positive finite scale, int8 zero point). */
export function checkQuantization(q: ActivationQuantization, what: string): void {
  if (!Number.isFinite(q.scale) || q.scale <= 0) {
    throw new Error(`${what}: scale must be a positive finite number, got ${q.scale}.`);
  }
  if (!Number.isInteger(q.zeroPoint) || q.zeroPoint < INT8_MIN || q.zeroPoint > INT8_MAX) {
    throw new Error(`${what}: zeroPoint must be an integer in [-128, 127], got ${q.zeroPoint}.`);
  }
}

/**
 * How values halfway between two grid points are rounded.
 * - `'half-to-even'`: tf.round. For the outputs of convolutions, multiplies and adds, where
 *   exact halves are rare (they come out of long float sums) and TFLite's integer requantization
 *   disagrees with any float rounding about as often.
 * - `'half-away'`: halves of x / scale away from zero, as TFLite's int8 SUM rounds the rescaled
 *   sum (before adding the zero point).
 * - `'half-away-int8'`: halves of the int8 value x / scale + zeroPoint away from zero, as TFLite's
 *   int8 AVERAGE_POOL_2D rounds its mean of raw int8 values.
 *
 * Sums and averages of a few int8 values hit halves often, but in float they come out a few ulps
 * off, so the two `'half-away'` modes take anything within {@link TIE_TOLERANCE} of a half for a
 * half: a mean of n <= 500 integers that is not a half lies at least 1 / (2n) > 1e-3 from one.
 */
export type FakeQuantRounding = 'half-to-even' | 'half-away' | 'half-away-int8';

/** Distance from a half, in grid steps, under which the `'half-away'` modes see a tie. */
export const TIE_TOLERANCE = 1e-3;

/**
 * Element-wise ops per element of {@link fakeQuantize}, as it runs them: a divide and a multiply,
 * the rounding (tf.round; abs, add, floor, sign and multiply for halves away from zero, plus
 * adding and removing the zero point for the int8 variant) and the clamp.
 */
export function fakeQuantOpsPerElement(
  rounding: FakeQuantRounding = 'half-to-even',
  clamp = true,
): number {
  const round = rounding === 'half-to-even' ? 1 : rounding === 'half-away' ? 5 : 7;
  return 2 + round + (clamp ? 1 : 0);
}

/**
 * x -> (clamp(round(x / scale) + zeroPoint, -128, 127) - zeroPoint) * scale, element-wise, with
 * halves rounded as `rounding` says (default `'half-to-even'`); a new tensor. `clamp = false`
 * skips the clamp, for inputs the caller knows to round into the grid.
 */
export function fakeQuantize<T extends tf.Tensor>(
  x: T,
  q: ActivationQuantization,
  rounding: FakeQuantRounding = 'half-to-even',
  clamp = true,
): T {
  return tf.tidy(() => {
    const v = tf.div(x, q.scale);
    let steps: tf.Tensor;
    if (rounding === 'half-to-even') {
      steps = tf.round(v);
    } else {
      const int8 = rounding === 'half-away-int8';
      const value = int8 ? tf.add(v, q.zeroPoint) : v;
      const away = tf.mul(tf.sign(value), tf.floor(tf.add(tf.abs(value), 0.5 + TIE_TOLERANCE)));
      steps = int8 ? tf.sub(away, q.zeroPoint) : away;
    }
    // Clamping q - zeroPoint to [-128 - zp, 127 - zp] is clamping q to int8.
    const clamped = clamp
      ? tf.clipByValue(steps, INT8_MIN - q.zeroPoint, INT8_MAX - q.zeroPoint)
      : steps;
    return tf.mul(clamped, q.scale) as T;
  });
}

const ROUNDINGS: readonly FakeQuantRounding[] = ['half-to-even', 'half-away', 'half-away-int8'];

/** Options of {@link CoFakeQuant}. */
export interface CoFakeQuantOptions extends ActivationQuantization {
  readonly name: string;
  /** Default `'half-to-even'`. */
  readonly rounding?: FakeQuantRounding;
  /**
   * Bounds the input is known to lie within (e.g. [0, 6] after ReLU6). When the grid's range
   * holds them, the clamp is skipped: one op per element less, the same result.
   */
  readonly inputRange?: readonly [number, number];
}

/**
 * Fake quantization of every frame to one per-tensor int8 grid (stateless, per frame): the
 * values an int8 graph can hold, from (-128 - zeroPoint) * scale to (127 - zeroPoint) * scale
 * in steps of `scale`. Cost: {@link fakeQuantOpsPerElement} element-wise ops per element.
 */
export class CoFakeQuant extends CoPointwiseBase {
  readonly name: string;
  readonly quantization: ActivationQuantization;
  readonly rounding: FakeQuantRounding;
  /** Whether the clamp to the grid's range runs (false when the grid holds inputRange). */
  readonly clamps: boolean;

  constructor(options: CoFakeQuantOptions) {
    super();
    checkQuantization(options, `CoFakeQuant "${options.name}"`);
    const rounding = options.rounding ?? 'half-to-even';
    if (!ROUNDINGS.includes(rounding)) {
      throw new Error(
        `CoFakeQuant "${options.name}": rounding must be one of ${ROUNDINGS.join(', ')}, got '${String(rounding)}'.`,
      );
    }
    this.name = options.name;
    this.quantization = { scale: options.scale, zeroPoint: options.zeroPoint };
    this.rounding = rounding;
    const bounds = options.inputRange;
    if (bounds !== undefined && !(bounds[0] <= bounds[1])) {
      throw new Error(
        `CoFakeQuant "${options.name}": inputRange must be [low, high] with low <= high, got [${bounds.join(', ')}].`,
      );
    }
    // The grid's ends are grid points, so a value between them rounds between them.
    const [lo, hi] = this.range;
    this.clamps = bounds === undefined || bounds[0] < lo || bounds[1] > hi;
  }

  /** The smallest and largest value the grid holds. */
  get range(): readonly [number, number] {
    const { scale, zeroPoint } = this.quantization;
    return [(INT8_MIN - zeroPoint) * scale, (INT8_MAX - zeroPoint) * scale];
  }

  outputShape(input: FrameShape): FrameShape {
    return { ...input };
  }

  protected apply(frames: Frame): Frame {
    return fakeQuantize(frames, this.quantization, this.rounding, this.clamps);
  }

  protected frameFlops(input: FrameShape): FlopCount {
    const elements = input.height * input.width * input.channels;
    return { macs: 0, elementwise: fakeQuantOpsPerElement(this.rounding, this.clamps) * elements };
  }
}
