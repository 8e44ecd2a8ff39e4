import * as tf from '@tensorflow/tfjs-core';
import type {
  Clip,
  CoModule,
  CoState,
  FlopCount,
  Frame,
  FrameShape,
  TemporalPadding,
} from './module';

/**
 * Number of outputs of the offline twin over a clip of `frames` input frames:
 * floor((T + pad.start + pad.end - rf) / stride) + 1, or 0 when the clip is shorter than the window.
 */
export function clipOutputLength(
  frames: number,
  receptiveField: number,
  padding: TemporalPadding,
  stride: number,
): number {
  const span = frames + padding.start + padding.end - receptiveField;
  return span < 0 ? 0 : Math.floor(span / stride) + 1;
}

/** Stacks frames [N, H, W, C] on a new time axis into a clip [N, T, H, W, C]. */
export function stackFrames(frames: readonly Frame[]): Clip {
  return tf.stack(frames as Frame[], 1) as Clip;
}

/** The frame at time index `t` of a clip, as [N, H, W, C]. */
export function frameAt(clip: Clip, t: number): Frame {
  return tf.tidy(() => {
    const [n, , h, w, c] = clip.shape;
    return tf.reshape(tf.slice(clip, [0, t, 0, 0, 0], [n, 1, h, w, c]), [n, h, w, c]) as Frame;
  });
}

/** Clones every tensor of a state tree (the result is owned by the caller). */
export function cloneState(state: CoState): CoState {
  const out: Record<string, tf.Tensor | number | null | CoState> = {};
  for (const [key, value] of Object.entries(state)) {
    if (value instanceof tf.Tensor) out[key] = tf.clone(value);
    else if (value === null || typeof value === 'number') out[key] = value;
    else out[key] = cloneState(value);
  }
  return out;
}

/** Disposes every tensor of a state tree. */
export function disposeState(state: CoState): void {
  for (const value of Object.values(state)) {
    if (value instanceof tf.Tensor) value.dispose();
    else if (value !== null && typeof value !== 'number') disposeState(value);
  }
}

/** Reads a required number from a state, with a clear error when it is missing. */
export function stateNumber(state: CoState, key: string): number {
  const value = state[key];
  if (typeof value !== 'number') throw new Error(`State key "${key}" must be a number.`);
  return value;
}

/** Reads a tensor (or null) from a state, with a clear error when the key is missing or of another kind. */
export function stateTensor(state: CoState, key: string): tf.Tensor | null {
  const value = state[key];
  if (value === null || value instanceof tf.Tensor) return value;
  throw new Error(`State key "${key}" must be a tensor or null.`);
}

/** Reads a nested child state. */
export function stateChild(state: CoState, key: string): CoState {
  const value = state[key];
  if (
    value === null ||
    value === undefined ||
    typeof value === 'number' ||
    value instanceof tf.Tensor
  ) {
    throw new Error(`State key "${key}" must be a nested state.`);
  }
  return value;
}

/**
 * Shared plumbing of continual modules: the derived `delay`, `forwardSteps` as a loop over
 * `forwardStep`, and `flopsPerClip` defaults. Subclasses implement the computation and state.
 */
export abstract class CoModuleBase implements CoModule {
  abstract readonly name: string;
  abstract readonly receptiveField: number;
  abstract readonly padding: TemporalPadding;
  abstract readonly stride: number;

  get delay(): number {
    return this.receptiveField - 1 - this.padding.start;
  }

  abstract outputShape(input: FrameShape): FrameShape;
  abstract forward(clip: Clip): Clip;
  abstract forwardStep(frame: Frame): Frame | null;
  abstract getState(): CoState;
  abstract setState(state: CoState): void;
  abstract resetState(): void;
  abstract flopsPerStep(input: FrameShape): FlopCount;
  abstract flopsPerClip(input: FrameShape, frames: number): FlopCount;
  abstract stateBytes(input: FrameShape): number;
  abstract dispose(): void;

  forwardSteps(frames: Clip): Clip | null {
    const outputs: Frame[] = [];
    const steps = frames.shape[1];
    for (let t = 0; t < steps; t++) {
      const frame = frameAt(frames, t);
      const out = this.forwardStep(frame);
      frame.dispose();
      if (out !== null) outputs.push(out);
    }
    if (outputs.length === 0) return null;
    const clip = stackFrames(outputs);
    tf.dispose(outputs);
    return clip;
  }
}
