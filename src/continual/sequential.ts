import * as tf from '@tensorflow/tfjs-core';
import { CoModuleBase, clipOutputLength, stateChild } from './base';
import type {
  Clip,
  CoModule,
  CoState,
  FlopCount,
  Frame,
  FrameShape,
  TemporalPadding,
} from './module';
import { addFlops, scaleFlops, ZERO_FLOPS } from './module';

/** Throws unless every module has a name of its own among its siblings. */
export function assertUniqueNames(container: string, modules: readonly CoModule[]): void {
  const seen = new Set<string>();
  for (const m of modules) {
    if (seen.has(m.name)) {
      throw new Error(`${container}: two children are named "${m.name}"; names must be unique.`);
    }
    seen.add(m.name);
  }
}

/**
 * Modules applied one after another. The temporal properties are derived from the children:
 * with S_k the product of the strides before child k (S_1 = 1),
 * receptiveField = 1 + sum S_k (rf_k - 1), padding = sum S_k pad_k (start and end alike),
 * stride = prod s_k, and so delay = sum S_k delay_k.
 *
 * Streaming, a frame runs down the chain until a child returns null (still filling, or a
 * strided child between its outputs), so each child runs only on the steps it has input for.
 */
export class CoSequential extends CoModuleBase {
  readonly name: string;
  readonly receptiveField: number;
  readonly padding: TemporalPadding;
  readonly stride: number;
  private readonly modules: readonly CoModule[];

  constructor(name: string, modules: readonly CoModule[]) {
    super();
    if (modules.length === 0) throw new Error(`CoSequential "${name}": needs at least one module.`);
    assertUniqueNames(`CoSequential "${name}"`, modules);
    this.name = name;
    this.modules = [...modules];
    let receptiveField = 1;
    let start = 0;
    let end = 0;
    let stride = 1;
    for (const m of modules) {
      receptiveField += stride * (m.receptiveField - 1);
      start += stride * m.padding.start;
      end += stride * m.padding.end;
      stride *= m.stride;
    }
    this.receptiveField = receptiveField;
    this.padding = { start, end };
    this.stride = stride;
  }

  /** The children, in order. */
  get children(): readonly CoModule[] {
    return this.modules;
  }

  outputShape(input: FrameShape): FrameShape {
    return this.modules.reduce((shape, m) => m.outputShape(shape), input);
  }

  forward(clip: Clip): Clip {
    // Offline has no state, so one tidy may free every intermediate clip.
    return tf.tidy(() => this.modules.reduce((x, m) => m.forward(x), clip));
  }

  forwardStep(frame: Frame): Frame | null {
    // No tf.tidy here: children keep tensors in their state, which a tidy would free.
    let x = frame;
    for (const m of this.modules) {
      const y = m.forwardStep(x);
      if (x !== frame) x.dispose();
      if (y === null) return null;
      x = y;
    }
    return x;
  }

  getState(): CoState {
    const state: Record<string, CoState> = {};
    for (const m of this.modules) state[m.name] = m.getState();
    return state;
  }

  setState(state: CoState): void {
    for (const m of this.modules) m.setState(stateChild(state, m.name));
  }

  resetState(): void {
    for (const m of this.modules) m.resetState();
  }

  /** Child k runs once every S_k input steps, so its per-step cost is divided by S_k. */
  flopsPerStep(input: FrameShape): FlopCount {
    let total = ZERO_FLOPS;
    let shape = input;
    let stride = 1;
    for (const m of this.modules) {
      total = addFlops(total, scaleFlops(m.flopsPerStep(shape), 1 / stride));
      stride *= m.stride;
      shape = m.outputShape(shape);
    }
    return total;
  }

  flopsPerClip(input: FrameShape, frames: number): FlopCount {
    let total = ZERO_FLOPS;
    let shape = input;
    let length = frames;
    for (const m of this.modules) {
      total = addFlops(total, m.flopsPerClip(shape, length));
      length = clipOutputLength(length, m.receptiveField, m.padding, m.stride);
      shape = m.outputShape(shape);
    }
    return total;
  }

  stateBytes(input: FrameShape): number {
    let bytes = 0;
    let shape = input;
    for (const m of this.modules) {
      bytes += m.stateBytes(shape);
      shape = m.outputShape(shape);
    }
    return bytes;
  }

  dispose(): void {
    for (const m of this.modules) m.dispose();
  }
}
