import * as tf from '@tensorflow/tfjs-core';
import { CoModuleBase, clipOutputLength, stateChild, stateNumber, stateTensor } from './base';
import type {
  Clip,
  CoState,
  FlopCount,
  Frame,
  FrameShape,
  TemporalFill,
  TemporalPadding,
} from './module';
import { ZERO_FLOPS } from './module';

/** Options of {@link CoDelay}. */
export interface CoDelayOptions {
  /** A name unique among siblings. */
  readonly name: string;
  /** Number of steps a frame is held back (a non-negative integer; 0 is the identity). */
  readonly delay: number;
  /**
   * Accepted for symmetry with the other temporal modules. A delay has no start padding
   * (`padding.start` is 0), so the start-up slots are never emitted (those steps return null)
   * and the fill cannot reach an output.
   */
  readonly temporalFill?: TemporalFill;
}

/**
 * Holds frames back by a fixed number of steps: a ring buffer of `delay` frames.
 *
 * Streaming, step t returns input frame `t - delay` (null for the first `delay` steps). Offline,
 * the window of clip output j is input frames [j, j + delay] and the output is its oldest frame,
 * so clip output j is input frame j and the clip is returned unchanged but for its last `delay`
 * frames, which have no streaming counterpart yet. Containers insert it before a branch that
 * must wait for a slower sibling.
 */
export class CoDelay extends CoModuleBase {
  readonly name: string;
  readonly receptiveField: number;
  readonly padding: TemporalPadding = { start: 0, end: 0 };
  readonly stride = 1;
  /** What the buffer is said to start with; see {@link CoDelayOptions.temporalFill}. */
  readonly temporalFill: TemporalFill;
  /** The ring buffer: slot `next` holds the oldest frame (or null while filling). */
  private slots: (Frame | null)[];
  private next = 0;

  constructor(options: CoDelayOptions) {
    super();
    const { name, delay } = options;
    if (!Number.isInteger(delay) || delay < 0) {
      throw new Error(`CoDelay "${name}": delay must be a non-negative integer, got ${delay}.`);
    }
    this.name = name;
    this.receptiveField = delay + 1;
    this.temporalFill = options.temporalFill ?? 'zeros';
    this.slots = new Array<Frame | null>(delay).fill(null);
  }

  outputShape(input: FrameShape): FrameShape {
    return { height: input.height, width: input.width, channels: input.channels };
  }

  forward(clip: Clip): Clip {
    const [n, t, h, w, c] = clip.shape;
    const length = clipOutputLength(t, this.receptiveField, this.padding, 1);
    return tf.slice(clip, [0, 0, 0, 0, 0], [n, length, h, w, c]);
  }

  forwardStep(frame: Frame): Frame | null {
    if (this.slots.length === 0) return tf.clone(frame);
    const oldest = this.slots[this.next] ?? null;
    // Kept so that a caller's tf.tidy around the step cannot dispose the buffered frame.
    this.slots[this.next] = tf.keep(tf.clone(frame));
    this.next = (this.next + 1) % this.slots.length;
    if (oldest === null) return null;
    // A kept tensor escapes every tidy; its clone (sharing the data) belongs to the caller's scope.
    const out = tf.clone(oldest);
    oldest.dispose();
    return out;
  }

  getState(): CoState {
    const buffer: Record<string, tf.Tensor | null> = {};
    this.slots.forEach((slot, i) => {
      buffer[String(i)] = slot === null ? null : tf.clone(slot);
    });
    return { buffer, next: this.next };
  }

  setState(state: CoState): void {
    const buffer = stateChild(state, 'buffer');
    const next = stateNumber(state, 'next');
    const size = this.slots.length;
    if (Object.keys(buffer).length !== size) {
      throw new Error(`CoDelay "${this.name}": state holds a buffer of another size than ${size}.`);
    }
    if (!Number.isInteger(next) || next < 0 || next >= Math.max(size, 1)) {
      throw new Error(`CoDelay "${this.name}": state position ${next} is outside the buffer.`);
    }
    const slots: (Frame | null)[] = [];
    for (let i = 0; i < size; i++) {
      const slot = stateTensor(buffer, String(i));
      slots.push(slot === null ? null : (tf.keep(tf.clone(slot)) as Frame));
    }
    this.disposeSlots();
    this.slots = slots;
    this.next = next;
  }

  resetState(): void {
    this.disposeSlots();
    this.next = 0;
  }

  flopsPerStep(): FlopCount {
    return ZERO_FLOPS;
  }

  flopsPerClip(): FlopCount {
    return ZERO_FLOPS;
  }

  stateBytes(input: FrameShape): number {
    return this.slots.length * input.height * input.width * input.channels * 4;
  }

  dispose(): void {
    this.disposeSlots();
  }

  private disposeSlots(): void {
    for (let i = 0; i < this.slots.length; i++) {
      this.slots[i]?.dispose();
      this.slots[i] = null;
    }
  }
}

/** Options of {@link CoIdentity}. */
export interface CoIdentityOptions {
  /** A name unique among siblings. */
  readonly name: string;
}

/** The identity: a {@link CoDelay} of 0 steps (every step returns a copy of its frame). */
export class CoIdentity extends CoDelay {
  constructor(options: CoIdentityOptions) {
    super({ name: options.name, delay: 0 });
  }
}
