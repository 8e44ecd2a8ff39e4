/**
 * SlowFast as one continual module: two pathways at different frame rates that meet at lateral
 * junctions and in the head, routed by a dedicated container ({@link CoSlowFastNetwork}).
 *
 * ## Streams and their schedules ('valid' form)
 * Every stream inside the network is described by the input step at which it emits its first
 * output (`first`) and its stride in input steps: output m is emitted by the step that consumes
 * input frame `first + m * stride`, which is also the newest frame it has waited for. A module of
 * delay d and temporal stride s on a stream (first, stride) gives (first + d * stride,
 * stride * s). The network consumes frames at the Fast rate:
 * - the Fast pathway (stem, stages) has stride 1;
 * - the Slow stem has temporal stride alpha (its 1 x 7 x 7 conv keeps frames 0, alpha, 2 alpha,
 *   ...), so the Slow pathway is a stride-alpha stream and its stages run once per alpha steps;
 * - each lateral (conv kf x 1 x 1, temporal stride alpha) turns the Fast features into a second
 *   stride-alpha stream.
 *
 * ## Junctions
 * Before Slow stage i the Slow stream and lateral i are concatenated on channels. Both are
 * stride-alpha streams, so they are paired by emission step, i.e. by newest input frame. That
 * needs their `first` steps congruent mod alpha; where they are not, a {@link CoDelay} of
 * e = (slow.first - lateral.first) mod alpha frames is inserted on the Fast features before the
 * lateral (derived, unless given for a test; a given e that breaks congruence throws at build
 * time). The stream that starts first has unpaired start-up outputs: the stream discards them,
 * the clip form drops them from the start of that stream's clip. From the junction on, the Slow
 * stream starts at max(slow.first, lateral.first).
 *
 * For SlowFast-8x8-R50 (alpha 4, Fast stem kt 5, laterals kf 7) this gives e = 2 after the stem
 * (lateral first 4 + 6 + 2 = 12, Slow first 0: 3 Slow frames dropped) and e = 0 elsewhere.
 *
 * ## Head: output every step
 * The Fast pathway is pooled every step (global average over space and a window of Fast
 * frames), the Slow pathway every alpha-th step (a window of Slow frames). Between Slow outputs
 * the head holds the last Slow pooled features (sample-and-hold), concatenates them with the
 * newest Fast pooled features and applies the linear classifier, so the network has stride 1,
 * padding 0, delay = max(first step of either pool) and receptiveField = delay + 1, all derived.
 * The clip form reproduces the hold: its output j (step t = delay + j) takes Fast pooled output
 * t - fastPool.first and the latest Slow pooled output emitted at or before t, floor((t -
 * slowPool.first) / alpha).
 *
 * Equivalence: `forwardSteps(frames)` equals `forward(frames)` for clips that start at the
 * stream's first frame (after reset). A window that starts at another phase of alpha samples
 * other Slow frames, so its outputs differ from the stream's; that is the nature of a strided
 * pathway, not a defect of the container.
 *
 * ## 'same' form
 * The published clip model (every temporal conv padded kt // 2, laterals padded, pools over the
 * whole view) is built from the same parts with padding: its Slow stream and laterals have equal
 * lengths by construction and are concatenated index by index. It classifies one view of
 * exactly `receptiveField` frames (the published T) in `forward` and `flopsPerClip`; it does not
 * stream (`forwardStep` throws).
 */
import * as tf from '@tensorflow/tfjs-core';
import { CoModuleBase, clipOutputLength, stateChild, stateTensor } from '../../continual/base';
import { CoDelay } from '../../continual/delay';
import type {
  Clip,
  CoModule,
  CoState,
  FlopCount,
  Frame,
  FrameShape,
  TemporalPadding,
} from '../../continual/module';
import { ZERO_FLOPS, addFlops, scaleFlops } from '../../continual/module';
import { mergeShapes } from '../../continual/parallel';
import { CoSequential, assertUniqueNames } from '../../continual/sequential';

/** The modules of a SlowFast network; the network owns them once built. */
export interface SlowFastParts {
  /** Frames -> Slow features; its temporal stride is alpha. */
  readonly slowStem: CoModule;
  /** Frames -> Fast features; temporal stride 1. */
  readonly fastStem: CoModule;
  /** Lateral i: Fast features -> channels concatenated before Slow stage i; stride alpha. */
  readonly laterals: readonly CoModule[];
  /** Slow stages (stride 1 on the Slow stream), one per lateral. */
  readonly slowStages: readonly CoModule[];
  /** Fast stages (stride 1), one per lateral. */
  readonly fastStages: readonly CoModule[];
  /** Pools the Slow features to [N, 1, 1, C] (stride 1 on the Slow stream). */
  readonly slowPool: CoModule;
  /** Pools the Fast features to [N, 1, 1, C]. */
  readonly fastPool: CoModule;
  /** Classifier over the concatenated pooled features (per frame: receptive field 1). */
  readonly projection: CoModule;
}

/** Options of {@link CoSlowFastNetwork}. */
export interface CoSlowFastNetworkOptions {
  /** 'valid' (streams) or 'same' (the padded clip model); see the file comment. */
  readonly temporalForm: 'valid' | 'same';
  /**
   * 'valid' only: frames of delay on the Fast features before each lateral. Default: derived,
   * the least delay that makes each junction congruent. Given ones are checked.
   */
  readonly lateralDelays?: readonly number[];
}

/** Timing of one junction of the 'valid' form, in input steps (see the file comment). */
export interface SlowFastJunction {
  /** Frames of delay inserted on the Fast features before the lateral. */
  readonly lateralDelay: number;
  /** First step of the Slow stream arriving at the junction. */
  readonly slowFirst: number;
  /** First step of the lateral stream (delay included). */
  readonly lateralFirst: number;
  /** First step of the concatenated stream: max of the two. */
  readonly first: number;
  /** Start-up outputs of the Slow stream without a partner (discarded). */
  readonly slowDropped: number;
  /** Start-up outputs of the lateral without a partner (discarded). */
  readonly lateralDropped: number;
}

/** Timing of the head of the 'valid' form, in input steps. */
export interface SlowFastHeadTiming {
  /** First step of the Slow pooled stream (stride alpha). */
  readonly slowFirst: number;
  /** First step of the Fast pooled stream (stride 1). */
  readonly fastFirst: number;
  /** First output of the network: max of the two (the network's delay). */
  readonly first: number;
}

/** Frame shapes along the network for one input shape. */
interface Shapes {
  readonly slowStem: FrameShape;
  readonly fastIn: readonly FrameShape[];
  readonly fusedIn: readonly FrameShape[];
  readonly slowOut: FrameShape;
  readonly fastOut: FrameShape;
  readonly pooled: FrameShape;
  readonly output: FrameShape;
}

/** Clip lengths along the network (forward over `frames` input frames). */
interface Lengths {
  readonly fastIn: readonly number[];
  readonly fusedIn: readonly number[];
  readonly slowOut: number;
  readonly fastOut: number;
  readonly outputs: number;
}

const mod = (a: number, n: number): number => ((a % n) + n) % n;

const lengthOf = (m: CoModule, frames: number): number =>
  clipOutputLength(frames, m.receptiveField, m.padding, m.stride);

/** See the file comment. */
export class CoSlowFastNetwork extends CoModuleBase {
  readonly name: string;
  readonly receptiveField: number;
  readonly padding: TemporalPadding = { start: 0, end: 0 };
  readonly stride = 1;
  readonly temporalForm: 'valid' | 'same';
  /** Frame-rate ratio of the pathways: the Slow stem's temporal stride. */
  readonly alpha: number;
  /** Junction timings ('valid' form; empty for 'same'). */
  readonly junctions: readonly SlowFastJunction[];
  /** Head timing ('valid' form; null for 'same'). */
  readonly head: SlowFastHeadTiming | null;

  private readonly slowStem: CoModule;
  private readonly fastStem: CoModule;
  /** Laterals, each behind its CoDelay where one was inserted. */
  private readonly laterals: readonly CoModule[];
  private readonly slowStages: readonly CoModule[];
  private readonly fastStages: readonly CoModule[];
  private readonly slowPool: CoModule;
  private readonly fastPool: CoModule;
  private readonly projection: CoModule;
  /** The last Slow pooled features (sample-and-hold), or null before the first. */
  private held: Frame | null = null;

  /**
   * Takes ownership of `parts` once built; if the constructor throws (an inconsistent part), they
   * stay the caller's to dispose.
   */
  constructor(name: string, parts: SlowFastParts, options: CoSlowFastNetworkOptions) {
    super();
    const where = `CoSlowFastNetwork "${name}"`;
    const form = options.temporalForm;
    if (form !== 'valid' && form !== 'same') {
      throw new Error(`${where}: temporalForm must be 'valid' or 'same', got '${String(form)}'.`);
    }
    const stages = parts.laterals.length;
    if (stages === 0 || parts.slowStages.length !== stages || parts.fastStages.length !== stages) {
      throw new Error(
        `${where}: needs one lateral, one Slow and one Fast stage per stage (got ${stages}, ` +
          `${parts.slowStages.length}, ${parts.fastStages.length}).`,
      );
    }
    const all = [
      parts.slowStem,
      parts.fastStem,
      ...parts.laterals,
      ...parts.slowStages,
      ...parts.fastStages,
      parts.slowPool,
      parts.fastPool,
      parts.projection,
    ];
    assertUniqueNames(where, all);
    if (all.some((m) => m.name === 'held')) {
      throw new Error(`${where}: "held" is the name of the head's state; rename the part.`);
    }
    const alpha = parts.slowStem.stride;
    for (const m of parts.laterals) {
      if (m.stride !== alpha) {
        throw new Error(
          `${where}: lateral "${m.name}" has temporal stride ${m.stride}; it must equal the Slow ` +
            `stem's (alpha = ${alpha}) for the two streams to pair.`,
        );
      }
    }
    for (const m of [
      parts.fastStem,
      ...parts.slowStages,
      ...parts.fastStages,
      parts.slowPool,
      parts.fastPool,
    ]) {
      if (m.stride !== 1) {
        throw new Error(`${where}: "${m.name}" must have temporal stride 1, has ${m.stride}.`);
      }
    }
    if (parts.projection.receptiveField !== 1) {
      throw new Error(`${where}: the projection must act per frame (receptive field 1).`);
    }
    this.name = name;
    this.temporalForm = form;
    this.alpha = alpha;

    if (form === 'valid') {
      for (const m of all) {
        if (m.padding.start !== 0 || m.padding.end !== 0) {
          throw new Error(
            `${where}: the 'valid' form needs unpadded parts; "${m.name}" is padded.`,
          );
        }
      }
      const timing = this.schedule(where, parts, options.lateralDelays);
      this.junctions = timing.junctions;
      this.head = timing.head;
      this.receptiveField = timing.head.first + 1;
    } else {
      if (options.lateralDelays !== undefined) {
        throw new Error(`${where}: lateralDelays apply to the 'valid' form only.`);
      }
      this.junctions = [];
      this.head = null;
      this.receptiveField = 0;
    }
    this.slowStem = parts.slowStem;
    this.fastStem = parts.fastStem;
    this.laterals = parts.laterals.map((lateral, i) => {
      const e = this.junctions[i]?.lateralDelay ?? 0;
      if (e === 0) return lateral;
      return new CoSequential(lateral.name, [new CoDelay({ name: 'delay', delay: e }), lateral]);
    });
    this.slowStages = [...parts.slowStages];
    this.fastStages = [...parts.fastStages];
    this.slowPool = parts.slowPool;
    this.fastPool = parts.fastPool;
    this.projection = parts.projection;
    if (form === 'same') this.receptiveField = this.viewLength(where);
  }

  /** Derives the junction and head timings; throws where a junction is not congruent. */
  private schedule(
    where: string,
    parts: SlowFastParts,
    given: readonly number[] | undefined,
  ): { junctions: SlowFastJunction[]; head: SlowFastHeadTiming } {
    const alpha = this.alpha;
    if (given !== undefined && given.length !== parts.laterals.length) {
      throw new Error(`${where}: lateralDelays needs ${parts.laterals.length} values.`);
    }
    let slowFirst = parts.slowStem.delay;
    let fastFirst = parts.fastStem.delay;
    const junctions: SlowFastJunction[] = [];
    parts.laterals.forEach((lateral, i) => {
      // The lateral runs on the Fast stream (stride 1): its first output waits lateral.delay.
      const undelayed = fastFirst + lateral.delay;
      const e = given?.[i] ?? mod(slowFirst - undelayed, alpha);
      if (!Number.isInteger(e) || e < 0) {
        throw new Error(`${where}: lateral delay ${i} must be a non-negative integer, got ${e}.`);
      }
      const lateralFirst = undelayed + e;
      if (mod(lateralFirst - slowFirst, alpha) !== 0) {
        throw new Error(
          `${where}: junction ${i} is not congruent: the Slow stream emits at steps ` +
            `${mod(slowFirst, alpha)} mod ${alpha}, lateral "${lateral.name}" at ` +
            `${mod(lateralFirst, alpha)} mod ${alpha}; delay the Fast features by ` +
            `${mod(slowFirst - undelayed, alpha)} (mod ${alpha}) frames.`,
        );
      }
      const first = Math.max(slowFirst, lateralFirst);
      junctions.push({
        lateralDelay: e,
        slowFirst,
        lateralFirst,
        first,
        slowDropped: (first - slowFirst) / alpha,
        lateralDropped: (first - lateralFirst) / alpha,
      });
      slowFirst = first + (parts.slowStages[i] as CoModule).delay * alpha;
      fastFirst += (parts.fastStages[i] as CoModule).delay;
    });
    const head = {
      slowFirst: slowFirst + parts.slowPool.delay * alpha,
      fastFirst: fastFirst + parts.fastPool.delay,
      first: 0,
    };
    head.first = Math.max(head.slowFirst, head.fastFirst);
    return { junctions, head };
  }

  /** 'same' form: the view length, the shortest clip for which both pools have an output. */
  private viewLength(where: string): number {
    for (let frames = 1; frames <= 1_000_000; frames++) {
      const lengths = this.lengths(frames);
      if (lengths.slowOut >= 1 && lengths.fastOut >= 1) return frames;
    }
    throw new Error(`${where}: no clip length gives both pools an output.`);
  }

  /** Clip lengths along the network for `frames` input frames (see forward). */
  private lengths(frames: number): Lengths {
    let fast = lengthOf(this.fastStem, frames);
    let slow = lengthOf(this.slowStem, frames);
    const fastIn: number[] = [];
    const fusedIn: number[] = [];
    this.laterals.forEach((lateral, i) => {
      const junction = this.junctions[i];
      const lateralLength = lengthOf(lateral, fast);
      const fused =
        junction === undefined
          ? Math.min(slow, lateralLength)
          : Math.max(
              0,
              Math.min(slow - junction.slowDropped, lateralLength - junction.lateralDropped),
            );
      fastIn.push(fast);
      fusedIn.push(fused);
      slow = lengthOf(this.slowStages[i] as CoModule, fused);
      fast = lengthOf(this.fastStages[i] as CoModule, fast);
    });
    const slowOut = lengthOf(this.slowPool, slow);
    const fastOut = lengthOf(this.fastPool, fast);
    const outputs =
      this.head === null ? Math.min(slowOut, fastOut) : Math.max(0, frames - this.head.first);
    return { fastIn, fusedIn, slowOut, fastOut, outputs };
  }

  /** Frame shapes along the network; throws where a concatenation cannot be made. */
  private shapes(input: FrameShape): Shapes {
    const where = `CoSlowFastNetwork "${this.name}"`;
    let slow = this.slowStem.outputShape(input);
    let fast = this.fastStem.outputShape(input);
    const slowStem = slow;
    const fastIn: FrameShape[] = [];
    const fusedIn: FrameShape[] = [];
    this.laterals.forEach((lateral, i) => {
      fastIn.push(fast);
      const fused = mergeShapes(`${where} junction ${i}`, 'concat', [
        slow,
        lateral.outputShape(fast),
      ]);
      fusedIn.push(fused);
      slow = (this.slowStages[i] as CoModule).outputShape(fused);
      fast = (this.fastStages[i] as CoModule).outputShape(fast);
    });
    const pooled = mergeShapes(`${where} head`, 'concat', [
      this.slowPool.outputShape(slow),
      this.fastPool.outputShape(fast),
    ]);
    return {
      slowStem,
      fastIn,
      fusedIn,
      slowOut: slow,
      fastOut: fast,
      pooled,
      output: this.projection.outputShape(pooled),
    };
  }

  outputShape(input: FrameShape): FrameShape {
    return this.shapes(input).output;
  }

  forward(clip: Clip): Clip {
    const [n, frames, height, width, channels] = clip.shape;
    const out = this.shapes({ height, width, channels }).output;
    if (this.temporalForm === 'same' && frames !== this.receptiveField) {
      throw new Error(
        `CoSlowFastNetwork "${this.name}": the 'same' form classifies one view of exactly ` +
          `${this.receptiveField} frames, got ${frames}.`,
      );
    }
    const outputs = this.lengths(frames).outputs;
    if (outputs === 0) return tf.zeros([n, 0, out.height, out.width, out.channels]) as Clip;
    return tf.tidy(() => {
      let fast = this.fastStem.forward(clip);
      let slow = this.slowStem.forward(clip);
      this.laterals.forEach((lateral, i) => {
        const lat = lateral.forward(fast);
        const junction = this.junctions[i];
        const slowDrop = junction?.slowDropped ?? 0;
        const latDrop = junction?.lateralDropped ?? 0;
        const length = Math.min(slow.shape[1] - slowDrop, lat.shape[1] - latDrop);
        if (this.temporalForm === 'same' && slow.shape[1] !== lat.shape[1]) {
          throw new Error(
            `CoSlowFastNetwork "${this.name}": junction ${i} pairs ${slow.shape[1]} Slow frames ` +
              `with ${lat.shape[1]} lateral frames; the padded form needs equal lengths.`,
          );
        }
        const fused = tf.concat(
          [startSlice(slow, slowDrop, length), startSlice(lat, latDrop, length)],
          4,
        ) as Clip;
        slow = (this.slowStages[i] as CoModule).forward(fused);
        fast = (this.fastStages[i] as CoModule).forward(fast);
      });
      const slowPooled = this.slowPool.forward(slow);
      const fastPooled = this.fastPool.forward(fast);
      let paired: Clip;
      if (this.head === null) {
        if (slowPooled.shape[1] !== fastPooled.shape[1]) {
          throw new Error(
            `CoSlowFastNetwork "${this.name}": the pools give ${slowPooled.shape[1]} Slow and ` +
              `${fastPooled.shape[1]} Fast outputs; the padded form needs equal numbers.`,
          );
        }
        paired = tf.concat([slowPooled, fastPooled], 4) as Clip;
      } else {
        // Output j is step t = head.first + j: the Fast output of step t and the Slow output
        // held at step t (the latest one emitted at or before t).
        const { first, slowFirst, fastFirst } = this.head;
        const held = Array.from({ length: outputs }, (_, j) =>
          Math.floor((first + j - slowFirst) / this.alpha),
        );
        const slowHeld = tf.gather(slowPooled, tf.tensor1d(held, 'int32'), 1) as Clip;
        paired = tf.concat(
          [slowHeld, startSlice(fastPooled, first - fastFirst, outputs)],
          4,
        ) as Clip;
      }
      return this.projection.forward(paired);
    });
  }

  forwardStep(frame: Frame): Frame | null {
    if (this.temporalForm === 'same') {
      throw new Error(
        `CoSlowFastNetwork "${this.name}": the 'same' form is a clip model and does not stream; ` +
          `build the 'valid' form to step it.`,
      );
    }
    // No tf.tidy around children: they keep tensors in their state.
    let fast = this.fastStem.forwardStep(frame);
    let slow = this.slowStem.forwardStep(frame);
    this.laterals.forEach((lateral, i) => {
      const lat = fast === null ? null : lateral.forwardStep(fast);
      // Congruent streams emit on the same steps once both run; a lone start-up output has no
      // partner and is discarded.
      let fused: Frame | null = null;
      if (slow !== null && lat !== null) {
        const [s, l] = [slow, lat];
        fused = tf.tidy(() => tf.concat([s, l], 3));
      }
      slow?.dispose();
      lat?.dispose();
      slow = null;
      if (fused !== null) {
        slow = (this.slowStages[i] as CoModule).forwardStep(fused);
        fused.dispose();
      }
      if (fast !== null) {
        const next = (this.fastStages[i] as CoModule).forwardStep(fast);
        fast.dispose();
        fast = next;
      }
    });
    const fastPooled = fast === null ? null : this.fastPool.forwardStep(fast);
    fast?.dispose();
    if (slow !== null) {
      const slowPooled = this.slowPool.forwardStep(slow);
      slow.dispose();
      if (slowPooled !== null) {
        this.held?.dispose();
        // Kept: the hold outlives a caller's tf.tidy around this step.
        this.held = tf.keep(slowPooled);
      }
    }
    const held = this.held;
    if (fastPooled === null || held === null) {
      fastPooled?.dispose();
      return null;
    }
    const paired = tf.tidy(() => tf.concat([held, fastPooled], 3));
    fastPooled.dispose();
    const out = this.projection.forwardStep(paired);
    paired.dispose();
    return out;
  }

  /** The children in a fixed order (the Slow stem first, the projection last). */
  private get children(): CoModule[] {
    return [
      this.slowStem,
      this.fastStem,
      ...this.laterals,
      ...this.slowStages,
      ...this.fastStages,
      this.slowPool,
      this.fastPool,
      this.projection,
    ];
  }

  /** `{ [child name]: child state, held: the held Slow features or null }`. */
  getState(): CoState {
    const state: Record<string, CoState | tf.Tensor | null> = {};
    for (const m of this.children) state[m.name] = m.getState();
    state['held'] = this.held === null ? null : tf.clone(this.held);
    return state;
  }

  setState(state: CoState): void {
    const held = stateTensor(state, 'held');
    if (held !== null && held.rank !== 4) {
      throw new Error(`CoSlowFastNetwork "${this.name}": state.held must be a rank-4 tensor.`);
    }
    // Every child state is looked up before any is restored, so a missing key changes nothing.
    const children = this.children.map((m) => [m, stateChild(state, m.name)] as const);
    for (const [m, s] of children) m.setState(s);
    this.held?.dispose();
    this.held = held === null ? null : (tf.keep(tf.clone(held)) as Frame);
  }

  resetState(): void {
    for (const m of this.children) m.resetState();
    this.held?.dispose();
    this.held = null;
  }

  /**
   * Average cost of one input step: the Fast parts every step, the Slow stages and the Slow pool
   * once per alpha steps (the Slow stem and the laterals, strided convs, divide by alpha
   * themselves), the projection every step. Concatenations cost nothing (copies).
   */
  flopsPerStep(input: FrameShape): FlopCount {
    const shapes = this.shapes(input);
    const slowRate = 1 / this.alpha;
    const parts: FlopCount[] = [
      this.slowStem.flopsPerStep(input),
      this.fastStem.flopsPerStep(input),
    ];
    this.laterals.forEach((lateral, i) => {
      const fast = shapes.fastIn[i] as FrameShape;
      parts.push(
        lateral.flopsPerStep(fast),
        scaleFlops(
          (this.slowStages[i] as CoModule).flopsPerStep(shapes.fusedIn[i] as FrameShape),
          slowRate,
        ),
        (this.fastStages[i] as CoModule).flopsPerStep(fast),
      );
    });
    parts.push(
      scaleFlops(this.slowPool.flopsPerStep(shapes.slowOut), slowRate),
      this.fastPool.flopsPerStep(shapes.fastOut),
      this.projection.flopsPerStep(shapes.pooled),
    );
    return addFlops(...parts);
  }

  /**
   * Cost of `forward` over `frames` frames: every part over the clip it receives (start-up
   * outputs dropped at a junction included, as forward computes them), nothing when the clip is
   * too short for an output. The 'same' form counts one view of `receptiveField` frames.
   */
  flopsPerClip(input: FrameShape, frames: number): FlopCount {
    if (this.temporalForm === 'same' && frames !== this.receptiveField) {
      throw new Error(
        `CoSlowFastNetwork "${this.name}": the 'same' form counts one view of exactly ` +
          `${this.receptiveField} frames, got ${frames}.`,
      );
    }
    const lengths = this.lengths(frames);
    if (lengths.outputs === 0) return ZERO_FLOPS;
    const shapes = this.shapes(input);
    const parts: FlopCount[] = [
      this.slowStem.flopsPerClip(input, frames),
      this.fastStem.flopsPerClip(input, frames),
    ];
    let slowLength = 0;
    let fastLength = 0;
    this.laterals.forEach((lateral, i) => {
      const fast = shapes.fastIn[i] as FrameShape;
      const fastIn = lengths.fastIn[i] as number;
      const fusedIn = lengths.fusedIn[i] as number;
      const slowStage = this.slowStages[i] as CoModule;
      const fastStage = this.fastStages[i] as CoModule;
      parts.push(
        lateral.flopsPerClip(fast, fastIn),
        slowStage.flopsPerClip(shapes.fusedIn[i] as FrameShape, fusedIn),
        fastStage.flopsPerClip(fast, fastIn),
      );
      slowLength = lengthOf(slowStage, fusedIn);
      fastLength = lengthOf(fastStage, fastIn);
    });
    parts.push(
      this.slowPool.flopsPerClip(shapes.slowOut, slowLength),
      this.fastPool.flopsPerClip(shapes.fastOut, fastLength),
      this.projection.flopsPerClip(shapes.pooled, lengths.outputs),
    );
    return addFlops(...parts);
  }

  /** Every part's state for the shape it sees, plus the held Slow features (float32). */
  stateBytes(input: FrameShape): number {
    const shapes = this.shapes(input);
    let bytes =
      this.slowStem.stateBytes(input) +
      this.fastStem.stateBytes(input) +
      this.slowPool.stateBytes(shapes.slowOut) +
      this.fastPool.stateBytes(shapes.fastOut) +
      this.projection.stateBytes(shapes.pooled) +
      4 * this.slowPool.outputShape(shapes.slowOut).channels;
    this.laterals.forEach((lateral, i) => {
      const fast = shapes.fastIn[i] as FrameShape;
      bytes +=
        lateral.stateBytes(fast) +
        (this.slowStages[i] as CoModule).stateBytes(shapes.fusedIn[i] as FrameShape) +
        (this.fastStages[i] as CoModule).stateBytes(fast);
    });
    return bytes;
  }

  dispose(): void {
    for (const m of this.children) m.dispose();
    this.held?.dispose();
    this.held = null;
  }
}

/** Frames [start, start + length) of a clip. */
function startSlice(clip: tf.Tensor, start: number, length: number): tf.Tensor {
  const [n = 0, , h = 0, w = 0, c = 0] = clip.shape;
  return tf.slice(clip, [0, start, 0, 0, 0], [n, length, h, w, c]);
}
