import * as tf from '@tensorflow/tfjs-core';
import { sumInOrder } from './sum';
import { CoModuleBase, clipOutputLength, stateChild } from './base';
import { CoDelay, CoIdentity } from './delay';
import type {
  Clip,
  CoModule,
  CoState,
  FlopCount,
  Frame,
  FrameShape,
  TemporalPadding,
} from './module';
import { addFlops, scaleFlops } from './module';
import { assertUniqueNames } from './sequential';

/** How branch outputs are combined: sum (equal shapes), product (broadcast) or channel concat. */
export type MergeMode = 'add' | 'multiply' | 'concat';

/**
 * How branches that shrink a clip by different amounts are lined up (stride 1).
 * 'centered': a branch that shrinks less is cropped evenly at both ends, so e.g. a residual's
 * shortcut adds the frame at the centre of a valid 3x3x3 conv's window, as a clip X3D with
 * temporal padding does. 'lagging': outputs of equal index are combined (the shortcut adds the
 * oldest frame of the window), which is what delaying the shortcut alone gives.
 */
export type Alignment = 'centered' | 'lagging';

/** Options of {@link CoParallel}. */
export interface CoParallelOptions {
  readonly merge: MergeMode;
  /** Default 'centered'. */
  readonly align?: Alignment;
}

/** How one branch is lined up: its clip crop and its streaming input delay. */
interface BranchPlan {
  readonly module: CoModule;
  /** Frames cropped from the start of the branch's clip output (o_b). */
  readonly offset: number;
  /** The delay buffer before the branch (e_b steps), or null when e_b = 0. */
  readonly delay: CoDelay | null;
}

/**
 * Branches fed the same input, their outputs merged. Each branch b (receptive field rf_b,
 * padding p_b, delay d_b) shrinks a clip by D_b = rf_b - 1 - p_b.start - p_b.end frames and is
 * cropped by o_b = 0 ('lagging') or (max D - D_b) / 2 ('centered') frames at the start.
 * Streaming, branch b waits e_b = K - d_b - o_b extra steps behind a {@link CoDelay} so every
 * branch emits its aligned output at the same step, K = max (d_b + o_b) being the container's
 * delay. Derived: receptiveField = max (rf_b + e_b), padding.start = receptiveField - 1 - K, and
 * padding.end = K - max D, so the clip length formula gives min (L_b - o_b) (the branch of
 * largest D is never cropped, and limits the length in both alignments).
 * Strided branches must share their stride and need no cropping (o_b = 0).
 */
export class CoParallel extends CoModuleBase {
  readonly name: string;
  readonly receptiveField: number;
  readonly padding: TemporalPadding;
  readonly stride: number;
  readonly merge: MergeMode;
  readonly align: Alignment;
  private readonly plans: readonly BranchPlan[];
  /** The input frame shape last found mergeable by {@link checkMerge}. */
  private checkedInput = '';

  constructor(name: string, branches: readonly CoModule[], options: CoParallelOptions) {
    super();
    const what = `CoParallel "${name}"`;
    const first = branches[0];
    if (first === undefined) throw new Error(`${what}: needs at least one branch.`);
    assertUniqueNames(what, branches);
    for (const b of branches) {
      if (b.stride !== first.stride) {
        throw new Error(
          `${what}: branches must share one temporal stride; "${first.name}" has ` +
            `${first.stride}, "${b.name}" has ${b.stride}.`,
        );
      }
    }
    this.name = name;
    this.merge = options.merge;
    this.align = options.align ?? 'centered';
    this.stride = first.stride;

    const shrinkOf = (b: CoModule) => b.receptiveField - 1 - b.padding.start - b.padding.end;
    const maxShrink = Math.max(...branches.map(shrinkOf));
    const aligned = branches.map((module) => {
      const shrink = shrinkOf(module);
      const offset = this.align === 'lagging' ? 0 : (maxShrink - shrink) / 2;
      if (!Number.isInteger(offset)) {
        throw new Error(
          `${what}: 'centered' needs branches whose clip shrinks differ by an even number of ` +
            `frames; "${module.name}" shrinks by ${shrink}, another by ${maxShrink}. ` +
            `Use align 'lagging' or pad the branch.`,
        );
      }
      if (offset !== 0 && this.stride > 1) {
        throw new Error(
          `${what}: branches of stride ${this.stride} that shrink a clip by different amounts ` +
            `cannot be 'centered'; use align 'lagging'.`,
        );
      }
      return { module, offset };
    });
    const lag = Math.max(...aligned.map((a) => a.module.delay + a.offset));
    this.plans = aligned.map(({ module, offset }) => {
      const extra = lag - module.delay - offset;
      const delay = extra > 0 ? new CoDelay({ name: `${module.name}.delay`, delay: extra }) : null;
      return { module, offset, delay };
    });
    // A delay buffer of e_b frames widens the branch's window by e_b.
    this.receptiveField = Math.max(
      ...this.plans.map((p) => p.module.receptiveField + (p.delay?.delay ?? 0)),
    );
    this.padding = { start: this.receptiveField - 1 - lag, end: lag - maxShrink };
  }

  /** The branches, in merge order. */
  get children(): readonly CoModule[] {
    return this.plans.map((p) => p.module);
  }

  /** Frames cropped from the start of each branch's clip output (o_b). */
  get offsets(): readonly number[] {
    return this.plans.map((p) => p.offset);
  }

  /** Extra steps each branch's input is delayed by when streaming (e_b). */
  get extraDelays(): readonly number[] {
    return this.plans.map((p) => p.delay?.delay ?? 0);
  }

  outputShape(input: FrameShape): FrameShape {
    const shapes = this.plans.map((p) => p.module.outputShape(input));
    return mergeShapes(`CoParallel "${this.name}"`, this.merge, shapes);
  }

  forward(clip: Clip): Clip {
    const [, frames, height, width, channels] = clip.shape;
    this.checkMerge({ height, width, channels });
    const length = clipOutputLength(frames, this.receptiveField, this.padding, this.stride);
    return tf.tidy(() => {
      const cropped = this.plans.map((p) => {
        const out = p.module.forward(clip);
        const [n, , h, w, c] = out.shape;
        // An empty result starts at 0: the offset may lie beyond a branch's short output.
        const start = length === 0 ? 0 : p.offset;
        return tf.slice(out, [0, start, 0, 0, 0], [n, length, h, w, c]);
      });
      return this.combine(cropped) as Clip;
    });
  }

  forwardStep(frame: Frame): Frame | null {
    const [, height, width, channels] = frame.shape;
    this.checkMerge({ height, width, channels });
    // No tf.tidy: children keep tensors in their state. Every branch consumes every frame,
    // even once another has returned null.
    const outputs = this.plans.map((p) => {
      const input = p.delay === null ? frame : p.delay.forwardStep(frame);
      if (input === null) return null;
      const out = p.module.forwardStep(input);
      if (input !== frame) input.dispose();
      return out;
    });
    // A branch that is ahead emits outputs the alignment crops (o_b of them at start-up).
    if (outputs.some((out) => out === null)) {
      for (const out of outputs) out?.dispose();
      return null;
    }
    const frames = outputs as Frame[];
    const merged = tf.tidy(() => this.combine(frames) as Frame);
    tf.dispose(frames);
    return merged;
  }

  getState(): CoState {
    const branches: Record<string, CoState> = {};
    const delays: Record<string, CoState> = {};
    for (const p of this.plans) {
      branches[p.module.name] = p.module.getState();
      if (p.delay !== null) delays[p.module.name] = p.delay.getState();
    }
    return { branches, delays };
  }

  setState(state: CoState): void {
    const branches = stateChild(state, 'branches');
    const delays = stateChild(state, 'delays');
    for (const p of this.plans) {
      p.module.setState(stateChild(branches, p.module.name));
      p.delay?.setState(stateChild(delays, p.module.name));
    }
  }

  resetState(): void {
    for (const p of this.plans) {
      p.module.resetState();
      p.delay?.resetState();
    }
  }

  /** Branch costs plus the merge, which runs once per output (every `stride` steps). */
  flopsPerStep(input: FrameShape): FlopCount {
    return addFlops(...this.plans.map((p) => p.module.flopsPerStep(input)), {
      macs: 0,
      elementwise: this.mergeOps(input) / this.stride,
    });
  }

  /** Each branch runs over the whole clip (outputs cropped away included), plus the merges. */
  flopsPerClip(input: FrameShape, frames: number): FlopCount {
    const outputs = clipOutputLength(frames, this.receptiveField, this.padding, this.stride);
    return addFlops(
      ...this.plans.map((p) => p.module.flopsPerClip(input, frames)),
      scaleFlops({ macs: 0, elementwise: this.mergeOps(input) }, outputs),
    );
  }

  stateBytes(input: FrameShape): number {
    let bytes = 0;
    for (const p of this.plans) {
      bytes += p.module.stateBytes(input) + (p.delay === null ? 0 : p.delay.stateBytes(input));
    }
    return bytes;
  }

  dispose(): void {
    for (const p of this.plans) {
      p.module.dispose();
      p.delay?.dispose();
    }
  }

  /**
   * Element-wise ops of one merge: (branches - 1) per output element for add and multiply;
   * 0 for concat, a copy without arithmetic.
   */
  private mergeOps(input: FrameShape): number {
    if (this.merge === 'concat') return 0;
    const out = this.outputShape(input);
    return (this.plans.length - 1) * out.height * out.width * out.channels;
  }

  /**
   * Throws, with the branch shapes, where branch outputs for this input cannot be merged,
   * before any branch runs (so no state changes). Remembers the last input shape it passed.
   */
  private checkMerge(input: FrameShape): void {
    const key = `${input.height},${input.width},${input.channels}`;
    if (key === this.checkedInput) return;
    this.outputShape(input);
    this.checkedInput = key;
  }

  /**
   * Merges frames [N, H, W, C] or clips [N, T, H, W, C] of the branches, whose shapes
   * {@link outputShape} has checked (call inside tidy).
   */
  private combine(parts: readonly tf.Tensor[]): tf.Tensor {
    const [head, ...rest] = parts as [tf.Tensor, ...tf.Tensor[]];
    switch (this.merge) {
      case 'add':
        return rest.length === 0 ? tf.clone(head) : sumInOrder([head, ...rest]);
      case 'multiply':
        return rest.reduce((acc, p) => tf.mul(acc, p), tf.clone(head));
      case 'concat':
        return rest.length === 0 ? tf.clone(head) : tf.concat([head, ...rest], -1);
    }
  }
}

/**
 * The frame shape of merged branch outputs; throws when they cannot be merged: add needs equal
 * shapes, multiply shapes that broadcast (each axis equal or 1), concat equal height and width.
 */
export function mergeShapes(
  container: string,
  merge: MergeMode,
  shapes: readonly FrameShape[],
): FrameShape {
  const describe = (s: FrameShape) => `[${s.height}, ${s.width}, ${s.channels}]`;
  const fail = (): never => {
    throw new Error(
      `${container}: cannot ${merge} branch outputs of shapes ${shapes.map(describe).join(', ')}.`,
    );
  };
  const [head, ...rest] = shapes;
  if (head === undefined) return fail();
  switch (merge) {
    case 'add':
      for (const s of rest) {
        if (s.height !== head.height || s.width !== head.width || s.channels !== head.channels) {
          fail();
        }
      }
      return { ...head };
    case 'multiply': {
      const broadcast = (a: number, b: number): number =>
        a === b || b === 1 ? a : a === 1 ? b : fail();
      return rest.reduce(
        (acc, s) => ({
          height: broadcast(acc.height, s.height),
          width: broadcast(acc.width, s.width),
          channels: broadcast(acc.channels, s.channels),
        }),
        { ...head },
      );
    }
    case 'concat': {
      let channels = head.channels;
      for (const s of rest) {
        if (s.height !== head.height || s.width !== head.width) fail();
        channels += s.channels;
      }
      return { height: head.height, width: head.width, channels };
    }
  }
}

/** Options of {@link coResidual}. */
export interface CoResidualOptions {
  /** Default 'centered'. */
  readonly align?: Alignment;
  /** The shortcut path (e.g. a projection); default the identity, named "shortcut". */
  readonly shortcut?: CoModule;
}

/** A residual connection: `branch(x) + shortcut(x)`, the shortcut lined up with the branch. */
export function coResidual(
  name: string,
  branch: CoModule,
  options: CoResidualOptions = {},
): CoParallel {
  const shortcut = options.shortcut ?? new CoIdentity({ name: 'shortcut' });
  return new CoParallel(name, [branch, shortcut], {
    merge: 'add',
    ...(options.align === undefined ? {} : { align: options.align }),
  });
}

/** Options of {@link coConcat}. */
export interface CoConcatOptions {
  /** Default 'centered'. */
  readonly align?: Alignment;
}

/** Branches whose outputs are concatenated on channels (an Inception-style broadcast). */
export function coConcat(
  name: string,
  branches: readonly CoModule[],
  options: CoConcatOptions = {},
): CoParallel {
  return new CoParallel(name, branches, {
    merge: 'concat',
    ...(options.align === undefined ? {} : { align: options.align }),
  });
}
