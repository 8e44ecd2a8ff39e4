import * as tf from '@tensorflow/tfjs-core';

/**
 * A clip, channels-last: [N, T, H, W, C] (batch, time, height, width, channels).
 * Modules whose output has no spatial extent (global pooling, linear) keep H = W = 1.
 */
export type Clip = tf.Tensor5D;

/** One frame, channels-last: [N, H, W, C]. */
export type Frame = tf.Tensor4D;

/** The shape of one frame without batch: what FLOP counts and output shapes are computed from. */
export interface FrameShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/**
 * Temporal zero-padding of the offline (clip) model, in input frames, before and after the clip.
 * A streaming module can reproduce `start` padding from its initial state; `end` padding would need
 * future frames, so the last `end` clip outputs have no streaming counterpart.
 */
export interface TemporalPadding {
  readonly start: number;
  readonly end: number;
}

/** What start-up padding frames hold: zeros, or copies of the first frame (last frame at the end). */
export type TemporalFill = 'zeros' | 'replicate';

/**
 * Cost of a computation. `macs` counts multiply-adds of convolutions and linear layers, the
 * convention of the X3D and CoX3D papers ("FLOPs" there are multiply-adds). `elementwise` counts
 * one per output element of every other op (activations, normalisation, additions, pooling
 * reads), the extra terms the CoX3D paper's per-step figures include.
 */
export interface FlopCount {
  readonly macs: number;
  readonly elementwise: number;
}

/** A zero cost, the identity of {@link addFlops}. */
export const ZERO_FLOPS: FlopCount = { macs: 0, elementwise: 0 };

/** Adds FLOP counts term by term. */
export function addFlops(...counts: readonly FlopCount[]): FlopCount {
  let macs = 0;
  let elementwise = 0;
  for (const c of counts) {
    macs += c.macs;
    elementwise += c.elementwise;
  }
  return { macs, elementwise };
}

/** Multiplies a FLOP count by a factor (e.g. a number of frames). */
export function scaleFlops(count: FlopCount, factor: number): FlopCount {
  return { macs: count.macs * factor, elementwise: count.elementwise * factor };
}

/**
 * The explicit state of a continual module: a plain object of tensors, numbers (step counters)
 * and nested states of child modules, so it can be inspected, snapshotted and restored.
 * `null` marks an empty slot (e.g. a buffer not yet written).
 */
export interface CoState {
  readonly [key: string]: tf.Tensor | number | null | CoState;
}

/**
 * The contract of every continual module (after continual-inference's `CoModule`).
 *
 * Ownership: every method that returns a tensor returns a new one that the caller owns and must
 * dispose; inputs stay owned by the caller. `getState()` returns clones the caller owns;
 * `setState()` clones what it is given, so the caller still owns (and disposes) its argument.
 * Callers may step a module inside `tf.tidy`: state kept across steps is `tf.keep`-ed by the module.
 *
 * The defining property: after the start-up transient, `forwardSteps(frames)` equals
 * `forward(clip)` over the same frames, clip output `j` being emitted by the step that consumes
 * input frame `j * stride + delay` (0-based).
 */
export interface CoModule {
  /** A name unique among siblings, used in state keys and weight names. */
  readonly name: string;
  /** Number of input frames that one output depends on (temporal receptive field). */
  readonly receptiveField: number;
  /** Temporal zero-padding of the offline twin, in input frames. */
  readonly padding: TemporalPadding;
  /** Temporal stride: one output every `stride` input steps. */
  readonly stride: number;
  /**
   * Input steps that return `null` at start-up before the first output, equal to
   * `receptiveField - 1 - padding.start`: the lag of a streaming output behind its newest input.
   */
  readonly delay: number;
  /** Output frame shape for an input frame shape. Throws on an incompatible shape. */
  outputShape(input: FrameShape): FrameShape;
  /** Offline (clip) computation over a whole clip [N, T, H, W, C]. */
  forward(clip: Clip): Clip;
  /** One step: consumes one frame and returns the newest output, or null while filling/between strides. */
  forwardStep(frame: Frame): Frame | null;
  /** Many steps: the non-null outputs of calling forwardStep on each frame, stacked on time, or null if none. */
  forwardSteps(frames: Clip): Clip | null;
  /** A snapshot of the state (clones, owned by the caller). */
  getState(): CoState;
  /** Restores a snapshot taken by getState of a module of the same configuration. */
  setState(state: CoState): void;
  /** Returns to the state of a freshly built module. */
  resetState(): void;
  /** Average cost of one streaming step (per input frame, steady state). */
  flopsPerStep(input: FrameShape): FlopCount;
  /** Cost of the offline computation over a clip of `frames` input frames. */
  flopsPerClip(input: FrameShape, frames: number): FlopCount;
  /** Bytes held by the streaming state for this input shape (float32), for the dashboard. */
  stateBytes(input: FrameShape): number;
  /** Releases weights and state. */
  dispose(): void;
}
