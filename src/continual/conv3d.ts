/**
 * Continual 3D convolution (after continual-inference's `Conv3d` and the CoX3D paper): the clip
 * model is a (grouped) 3D convolution over [N, T, H, W, C]; the streaming model consumes one
 * frame per step and emits the output whose temporal window ends at that frame.
 *
 * Both passes decompose the 3D kernel into its `kt` temporal taps, each a 2D convolution of one
 * frame, because tf.conv3d is far slower on wasm and has no grouped form.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sumInOrder } from './sum';
import {
  activationOpsPerElement,
  applyActivation,
  fusedActivation,
  type Activation,
} from './activation';
import { CoModuleBase, clipOutputLength } from './base';
import { convMacsPerOutputFrame, frameElements, spatialOutputSize } from './flops';
import type { SpatialPadding } from './flops';
import type {
  Clip,
  CoState,
  FlopCount,
  Frame,
  FrameShape,
  TemporalFill,
  TemporalPadding,
} from './module';

export type { SpatialPadding } from './flops';

/**
 * Temporal padding of the offline twin.
 * - `'valid'`: none (CoX3D mode); the streaming output lags its newest input by kt - 1 steps.
 * - `'causal'`: kt - 1 frames before, none after (MoViNet-Stream); no lag.
 * - a number `p` (0 <= p < kt): p frames before and after; the streaming module reproduces the
 *   start padding from its initial state, the end padding has no streaming counterpart.
 */
export type TemporalPaddingMode = 'valid' | 'causal' | number;

/**
 * How the streaming module remembers the past.
 * - `'partial-sums'`: every frame is convolved with the taps of the outputs it belongs to, and
 *   each result is added into that output's running sum, kept until the output is complete
 *   (continual-inference's form; outputs skipped by a temporal stride get no taps).
 * - `'frame-buffer'`: the last kt - 1 input frames are kept and the full window is convolved on
 *   output steps only.
 */
export type ConvStateForm = 'partial-sums' | 'frame-buffer';

/** Options of {@link CoConv3d}. */
export interface CoConv3dOptions {
  /** Unique among siblings; used in state keys and weight names. */
  name: string;
  /** Channels of the input frames. */
  inChannels: number;
  /** Channels of the output frames. */
  outChannels: number;
  /** [kt, kh, kw]. */
  kernelSize: readonly [number, number, number];
  /** [st, sh, sw], default [1, 1, 1]; st > 1 emits an output every st-th step. */
  stride?: readonly [number, number, number];
  /** Default 'same'. */
  spatialPadding?: SpatialPadding;
  /** Default 'valid'. */
  temporalPadding?: TemporalPaddingMode;
  /** What padding frames hold, default 'zeros'. */
  temporalFill?: TemporalFill;
  /** Default 1; groups === inChannels is channelwise (depthwise), other divisors a grouped conv. */
  groups?: number;
  /** Applied after the bias, default 'linear'. */
  activation?: Activation;
  /** Default: {@link defaultConvStateForm} for the current backend. */
  stateForm?: ConvStateForm;
  /** [kt, kh, kw, inChannels / groups, outChannels] (tf.conv3d's filter layout); the module owns it. */
  kernel: tf.Tensor;
  /** [outChannels]; the module owns it. */
  bias?: tf.Tensor;
}

/** The options of a built {@link CoConv3d} with every default resolved. */
export interface CoConv3dConfig {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: readonly [number, number, number];
  readonly stride: readonly [number, number, number];
  readonly spatialPadding: SpatialPadding;
  readonly temporalPadding: TemporalPaddingMode;
  readonly temporalFill: TemporalFill;
  readonly groups: number;
  readonly activation: Activation;
  /** The module's own kernel (freed by dispose). */
  readonly kernel: tf.Tensor;
  /** The module's own bias (freed by dispose), or null. */
  readonly bias: tf.Tensor | null;
}

/**
 * State forms measured per backend by tools/bench/conv3d-state-form.test.ts (median ms per
 * forwardStep, 300 steps, AMD EPYC 2 vCPU, headless chromium 2026-11-25; the machine was shared,
 * so differences under ~20% are noise):
 *
 * | backend | channelwise 3x3x3, [1,12,12,96] | dense 3x1x1, [1,12,12,64] |
 * |---------|---------------------------------|---------------------------|
 * | wasm    | partial sums 0.14, frames 0.13  | partial sums 0.17-0.21, frames 0.17 |
 * | cpu     | partial sums 2.2-3.6, frames 1.7-5.8 | partial sums 9.8-15, frames 12.6 |
 *
 * The forms cost the same multiply-adds; frames are never measurably slower and take fewer ops
 * per step for dense kernels (one concat and one fused conv against kt convs and kt - 1 adds).
 */
const MEASURED_STATE_FORMS: Readonly<Record<string, ConvStateForm>> = {
  wasm: 'frame-buffer',
  cpu: 'frame-buffer',
};

/**
 * The state form a new {@link CoConv3d} uses when none is given: the measured choice for wasm
 * and cpu (see MEASURED_STATE_FORMS above), and 'frame-buffer' elsewhere. On a GPU (webgpu,
 * webgl) per-step cost is dominated by the number of dispatches, and the frame-buffer form never
 * issues more than the partial-sum form; the software WebGPU adapter of the test browser cannot
 * time a real GPU, so that choice is by op count, not measured. A kernel with kt = 1 keeps no
 * state, so the forms coincide.
 *
 * @param backendName tf.getBackend() of the backend that will run the module.
 * @param _options the convolution; kept in the signature so a later measurement can choose by
 *   shape (e.g. depthwise vs dense) without changing callers.
 */
export function defaultConvStateForm(
  backendName: string,
  _options: Pick<CoConv3dOptions, 'kernelSize' | 'groups' | 'inChannels' | 'outChannels'>,
): ConvStateForm {
  return MEASURED_STATE_FORMS[backendName] ?? 'frame-buffer';
}

const ACTIVATIONS: readonly Activation[] = [
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'swish',
  'hardSwish',
  'hardSigmoid',
];

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws a clear error for every inconsistent option; returns the resolved configuration. */
function resolveOptions(o: CoConv3dOptions): CoConv3dConfig {
  const where = `CoConv3d "${String(o.name)}"`;
  if (typeof o.name !== 'string' || o.name.length === 0) {
    throw new Error('CoConv3d: name must be a non-empty string.');
  }
  if (!isPositiveInt(o.inChannels) || !isPositiveInt(o.outChannels)) {
    throw new Error(`${where}: inChannels and outChannels must be positive integers.`);
  }
  if (o.kernelSize.length !== 3 || !o.kernelSize.every(isPositiveInt)) {
    throw new Error(`${where}: kernelSize must be three positive integers [kt, kh, kw].`);
  }
  const stride = o.stride ?? ([1, 1, 1] as const);
  if (stride.length !== 3 || !stride.every(isPositiveInt)) {
    throw new Error(`${where}: stride must be three positive integers [st, sh, sw].`);
  }
  const groups = o.groups ?? 1;
  if (!isPositiveInt(groups)) throw new Error(`${where}: groups must be a positive integer.`);
  if (o.inChannels % groups !== 0 || o.outChannels % groups !== 0) {
    throw new Error(
      `${where}: groups (${groups}) must divide inChannels (${o.inChannels}) and outChannels (${o.outChannels}).`,
    );
  }
  const spatialPadding = o.spatialPadding ?? 'same';
  if (
    spatialPadding !== 'same' &&
    spatialPadding !== 'valid' &&
    !(Number.isInteger(spatialPadding) && spatialPadding >= 0)
  ) {
    throw new Error(
      `${where}: spatialPadding must be 'same', 'valid' or a non-negative integer, got ${String(spatialPadding)}.`,
    );
  }
  const [kt] = o.kernelSize;
  const temporalPadding = o.temporalPadding ?? 'valid';
  if (temporalPadding !== 'valid' && temporalPadding !== 'causal') {
    if (!Number.isInteger(temporalPadding) || temporalPadding < 0 || temporalPadding >= kt) {
      throw new Error(
        `${where}: temporalPadding must be 'valid', 'causal' or an integer in [0, kt - 1] = [0, ${kt - 1}], got ${String(temporalPadding)}.`,
      );
    }
  }
  const temporalFill = o.temporalFill ?? 'zeros';
  if (temporalFill !== 'zeros' && temporalFill !== 'replicate') {
    throw new Error(`${where}: temporalFill must be 'zeros' or 'replicate'.`);
  }
  const activation = o.activation ?? 'linear';
  if (!ACTIVATIONS.includes(activation)) {
    throw new Error(`${where}: unknown activation "${String(activation)}".`);
  }
  if (
    o.stateForm !== undefined &&
    o.stateForm !== 'partial-sums' &&
    o.stateForm !== 'frame-buffer'
  ) {
    throw new Error(`${where}: stateForm must be 'partial-sums' or 'frame-buffer'.`);
  }
  const expectedKernel = [...o.kernelSize, o.inChannels / groups, o.outChannels];
  if (o.kernel.isDisposed) throw new Error(`${where}: the kernel tensor is disposed.`);
  if (
    o.kernel.rank !== 5 ||
    !o.kernel.shape.every((d, i) => d === expectedKernel[i]) ||
    o.kernel.dtype !== 'float32'
  ) {
    throw new Error(
      `${where}: kernel must be float32 of shape [kt, kh, kw, inChannels / groups, outChannels] = ${shapeString(expectedKernel)}, got ${o.kernel.dtype} ${shapeString(o.kernel.shape)}.`,
    );
  }
  const bias = o.bias ?? null;
  if (bias !== null) {
    if (bias.isDisposed) throw new Error(`${where}: the bias tensor is disposed.`);
    if (bias.rank !== 1 || bias.shape[0] !== o.outChannels || bias.dtype !== 'float32') {
      throw new Error(
        `${where}: bias must be float32 of shape [${o.outChannels}], got ${bias.dtype} ${shapeString(bias.shape)}.`,
      );
    }
  }
  return {
    name: o.name,
    inChannels: o.inChannels,
    outChannels: o.outChannels,
    kernelSize: [o.kernelSize[0], o.kernelSize[1], o.kernelSize[2]],
    stride: [stride[0], stride[1], stride[2]],
    spatialPadding,
    temporalPadding,
    temporalFill,
    groups,
    activation,
    kernel: o.kernel,
    bias,
  };
}

/** A fusable activation for tf.fused ops. */
type FusedActivation = 'linear' | 'relu' | 'relu6' | 'sigmoid';

/** The kernel rearranged for the 2D ops, built once. */
interface Weights {
  /**
   * taps[k][g]: tap k of group g as a 2D filter, [kh, kw, cg, og] (one [kh, kw, C, m] group
   * for depthwise, whose output channel o = c * m + j is depthwiseConv2d's channel c, multiplier j).
   */
  readonly taps: tf.Tensor4D[][];
  /**
   * Dense/grouped only, per group: the taps one after another on the input rows,
   * [kh, kw, kt * cg, og], for the group's channels of kt frames concatenated tap-major.
   */
  readonly window: tf.Tensor4D[];
  /** Per group (one for depthwise): the bias slice, or null. */
  readonly bias: (tf.Tensor1D | null)[];
}

/**
 * A continual 3D convolution: channels-last, grouped or depthwise, with spatial and temporal
 * stride and padding, bias and activation, and two interchangeable state forms.
 *
 * Positions: the offline twin reads the clip with `padding.start` frames before it, so the real
 * frame of step t sits at padded position q = t + padding.start. The output whose window ends
 * at position p exists when p >= kt - 1 and (p - kt + 1) is a multiple of the temporal stride;
 * the streaming module emits it at the step that brings position p.
 */
export class CoConv3d extends CoModuleBase {
  readonly name: string;
  readonly receptiveField: number;
  readonly padding: TemporalPadding;
  readonly stride: number;
  /** The resolved options (kernel and bias are owned by the module). */
  readonly options: CoConv3dConfig;
  /** How the streaming state is kept. */
  readonly stateForm: ConvStateForm;

  private readonly depthwise: boolean;
  private readonly weights: Weights;
  /** Pad argument of the 2D ops, and an explicit input pad where tfjs' numeric pad is wrong. */
  private readonly convPad: 'same' | 'valid' | number;
  private readonly prePad: [number, number][] | null;
  /** Real frames consumed since the last reset. */
  private step = 0;
  /**
   * kt - 1 ring slots indexed by padded position modulo kt - 1. Frame-buffer: the input frames of
   * the last kt - 1 positions. Partial sums: slot p mod (kt - 1) holds the running sum of the
   * output that ends at position p (null when that output is not wanted or has no terms yet).
   */
  private slots: (tf.Tensor4D | null)[];

  constructor(options: CoConv3dOptions) {
    super();
    this.options = resolveOptions(options);
    const { kernelSize, stride, temporalPadding, spatialPadding, groups, inChannels } =
      this.options;
    const [kt, kh, kw] = kernelSize;
    this.name = this.options.name;
    this.receptiveField = kt;
    this.stride = stride[0];
    if (temporalPadding === 'valid') this.padding = { start: 0, end: 0 };
    else if (temporalPadding === 'causal') this.padding = { start: kt - 1, end: 0 };
    else this.padding = { start: temporalPadding, end: temporalPadding };
    this.stateForm = options.stateForm ?? defaultConvStateForm(tf.getBackend(), options);
    this.depthwise = groups === inChannels;
    // tfjs sizes a numeric pad (0 included) from the kernel height and stride height only, so
    // 0 becomes 'valid', and a non-square kernel or stride gets an explicit tf.pad instead.
    this.prePad = null;
    if (spatialPadding === 0) this.convPad = 'valid';
    else if (typeof spatialPadding === 'number' && (kh !== kw || stride[1] !== stride[2])) {
      this.convPad = 'valid';
      const p: [number, number] = [spatialPadding, spatialPadding];
      this.prePad = [[0, 0], p, p, [0, 0]];
    } else this.convPad = spatialPadding;
    this.weights = this.buildWeights();
    this.slots = new Array<tf.Tensor4D | null>(kt - 1).fill(null);
  }

  private buildWeights(): Weights {
    const { kernelSize, inChannels, outChannels, groups, bias, kernel } = this.options;
    const [kt, kh, kw] = kernelSize;
    const taps: tf.Tensor4D[][] = Array.from({ length: kt }, () => []);
    const window: tf.Tensor4D[] = [];
    const biases: (tf.Tensor1D | null)[] = [];
    // Rank <= 3 ops only: tfjs-webgpu's rank-5 pad, tile and reverse give wrong results (their
    // shaders index at most four coordinates).
    tf.tidy(() => {
      const cg = this.depthwise ? 1 : inChannels / groups;
      const og = this.depthwise ? outChannels : outChannels / groups;
      const rows = kh * kw * cg;
      const flat = tf.reshape(kernel, [kt, rows, outChannels]);
      const sets = this.depthwise ? 1 : groups;
      for (let g = 0; g < sets; g++) {
        const rowsOf: tf.Tensor3D[] = [];
        for (let k = 0; k < kt; k++) {
          const tap = tf.slice(flat, [k, 0, g * og], [1, rows, og]);
          const shape: [number, number, number, number] = this.depthwise
            ? [kh, kw, inChannels, outChannels / inChannels]
            : [kh, kw, cg, og];
          (taps[k] as tf.Tensor4D[]).push(tf.reshape(tap, shape));
          rowsOf.push(tf.reshape(tap, [kh * kw, cg, og]));
        }
        if (!this.depthwise) {
          window.push(tf.reshape(tf.concat(rowsOf, 1), [kh, kw, kt * cg, og]));
        }
        // wasm's fused ops check the rank of a bias's underlying data, which reshape and slice
        // views keep, so each bias is materialised as its own rank-1 tensor.
        biases.push(
          bias === null
            ? null
            : tf.add<tf.Tensor1D>(tf.slice(bias as tf.Tensor1D, [g * og], [og]), 0),
        );
      }
      [...taps.flat(), ...window, ...biases].forEach((t) => t !== null && tf.keep(t));
    });
    return { taps, window, bias: biases };
  }

  outputShape(input: FrameShape): FrameShape {
    const { inChannels, outChannels, kernelSize, stride, spatialPadding } = this.options;
    if (input.channels !== inChannels) {
      throw new Error(
        `CoConv3d "${this.name}": expected ${inChannels} input channels, got ${input.channels}.`,
      );
    }
    return {
      height: spatialOutputSize(input.height, kernelSize[1], stride[1], spatialPadding),
      width: spatialOutputSize(input.width, kernelSize[2], stride[2], spatialPadding),
      channels: outChannels,
    };
  }

  /** Whether an output ends at padded position p (see the class comment). */
  private wanted(p: number): boolean {
    const first = this.receptiveField - 1;
    return p >= first && (p - first) % this.stride === 0;
  }

  /** One 2D convolution (depthwise or dense), with the explicit input pad when needed. */
  private conv2d(
    x: tf.Tensor4D,
    filter: tf.Tensor4D,
    bias: tf.Tensor1D | null,
    activation: FusedActivation,
  ): tf.Tensor4D {
    const input = this.prePad === null ? x : tf.pad(x, this.prePad);
    const args = {
      x: input,
      filter,
      strides: [this.options.stride[1], this.options.stride[2]] as [number, number],
      pad: this.convPad,
      activation,
      ...(bias === null ? {} : { bias }),
    };
    return this.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
  }

  /** Tap k of the kernel applied to x (all groups), plus the bias if asked. Call inside tf.tidy. */
  private tapConv(
    x: tf.Tensor4D,
    k: number,
    withBias: boolean,
    activation: FusedActivation = 'linear',
  ): tf.Tensor4D {
    const filters = this.weights.taps[k] as tf.Tensor4D[];
    const bias = (g: number): tf.Tensor1D | null =>
      withBias ? (this.weights.bias[g] ?? null) : null;
    if (filters.length === 1) return this.conv2d(x, filters[0] as tf.Tensor4D, bias(0), activation);
    const [b, h, w, c] = x.shape;
    const cg = c / filters.length;
    const outs = filters.map((f, g) =>
      this.conv2d(tf.slice(x, [0, 0, 0, g * cg], [b, h, w, cg]), f, bias(g), activation),
    );
    return tf.concat(outs, 3);
  }

  /**
   * The full window: sum over taps k of conv2d(inputs[k], W_k), plus bias, then the activation.
   * Each inputs[k] is [B, H, W, C] (B frames at once offline). Call inside tf.tidy.
   */
  private windowConv(inputs: tf.Tensor4D[]): tf.Tensor4D {
    const { activation, groups } = this.options;
    const fused = fusedActivation(activation);
    const first = inputs[0] as tf.Tensor4D;
    if (inputs.length === 1) return this.finish(this.tapConv(first, 0, true, fused ?? 'linear'));
    if (this.depthwise) {
      // Depthwise taps cannot share one call without a cross-channel sum, so add them up; the
      // bias rides on tap 0 and the activation waits for the complete sum.
      const parts = inputs.map((x, k) => this.tapConv(x, k, k === 0));
      return applyActivation(sumInOrder(parts), activation);
    }
    // Dense/grouped: the group's channels of the kt frames, concatenated tap after tap, make
    // one conv per group with bias and activation fused.
    const [b, h, w, c] = first.shape;
    const cg = c / groups;
    const outs = this.weights.window.map((filter, g) => {
      const parts =
        groups === 1 ? inputs : inputs.map((x) => tf.slice(x, [0, 0, 0, g * cg], [b, h, w, cg]));
      const x = tf.concat(parts, 3);
      return this.conv2d(x, filter, this.weights.bias[g] ?? null, fused ?? 'linear');
    });
    return this.finish(outs.length === 1 ? (outs[0] as tf.Tensor4D) : tf.concat(outs, 3));
  }

  /** Applies the activation when tfjs could not fuse it into the conv. */
  private finish(y: tf.Tensor4D): tf.Tensor4D {
    const { activation } = this.options;
    return fusedActivation(activation) === null ? applyActivation(y, activation) : y;
  }

  forward(clip: Clip): Clip {
    if (clip.rank !== 5 || clip.shape[4] !== this.options.inChannels) {
      throw new Error(
        `CoConv3d "${this.name}": expected a clip [N, T, H, W, ${this.options.inChannels}], got ${shapeString(clip.shape)}.`,
      );
    }
    const [n, t, h, w, c] = clip.shape;
    const out = this.outputShape({ height: h, width: w, channels: c });
    const kt = this.receptiveField;
    const st = this.stride;
    const length = clipOutputLength(t, kt, this.padding, st);
    return tf.tidy(() => {
      if (length === 0) return tf.zeros([n, 0, out.height, out.width, out.channels]) as Clip;
      // Frames as [N, T, H * W, C]: rank-4 ops only (see buildWeights on webgpu's rank 5).
      const padded = this.padFrames(tf.reshape(clip, [n, t, h * w, c]));
      // Tap k of output j reads padded frame j * st + k: one strided slice per tap, folded into
      // the batch so each tap is a single 2D op over all outputs.
      const inputs: tf.Tensor4D[] = [];
      for (let k = 0; k < kt; k++) {
        const end = [n, k + (length - 1) * st + 1, h * w, c];
        const slice =
          st === 1
            ? tf.slice(padded, [0, k, 0, 0], [n, length, h * w, c])
            : tf.stridedSlice(padded, [0, k, 0, 0], end, [1, st, 1, 1]);
        inputs.push(tf.reshape(slice, [n * length, h, w, c]));
      }
      const y = this.windowConv(inputs);
      return tf.reshape(y, [n, length, out.height, out.width, out.channels]) as Clip;
    });
  }

  /** Frames [N, T, P, C] with the temporal padding: zeros, or copies of the first/last frame. */
  private padFrames(frames: tf.Tensor4D): tf.Tensor4D {
    const { start, end } = this.padding;
    if (start === 0 && end === 0) return frames;
    const [n, t, p, c] = frames.shape;
    const fill = (at: number, count: number): tf.Tensor4D[] => {
      if (count === 0) return [];
      if (this.options.temporalFill === 'zeros') return [tf.zeros([n, count, p, c])];
      return new Array<tf.Tensor4D>(count).fill(tf.slice(frames, [0, at, 0, 0], [n, 1, p, c]));
    };
    return tf.concat([...fill(0, start), frames, ...fill(t - 1, end)], 1);
  }

  private checkFrame(frame: Frame): void {
    const { inChannels } = this.options;
    if (frame.rank !== 4 || frame.shape[3] !== inChannels) {
      throw new Error(
        `CoConv3d "${this.name}": expected a frame [N, H, W, ${inChannels}], got ${shapeString(frame.shape)}.`,
      );
    }
    // A frame of another size than the held ones would fail deep inside tfjs; say why here.
    const held = this.slots.find((s) => s !== null);
    if (held === undefined || held === null) return;
    const [n, h, w, c] = frame.shape;
    const expected =
      this.stateForm === 'frame-buffer'
        ? frame.shape
        : ((o) => [n, o.height, o.width, o.channels])(
            this.outputShape({ height: h, width: w, channels: c }),
          );
    if (!sameShape(held.shape, expected)) {
      throw new Error(
        `CoConv3d "${this.name}": frame ${shapeString(frame.shape)} does not match the streaming state; call resetState() before changing the frame size.`,
      );
    }
  }

  forwardStep(frame: Frame): Frame | null {
    this.checkFrame(frame);
    const start = this.padding.start;
    const q = this.step + start;
    let out: Frame | null;
    if (this.receptiveField === 1) {
      // No past to keep: both forms are one fused conv on output steps.
      out = this.wanted(q) ? tf.tidy(() => this.windowConv([frame])) : null;
    } else {
      if (this.step === 0 && start > 0) this.fillStart(frame);
      out =
        this.stateForm === 'partial-sums' ? this.accumulate(frame, q) : this.bufferFrame(frame, q);
    }
    this.step++;
    return out;
  }

  /**
   * Reproduces the offline start padding before the first real frame: the frames of padded
   * positions 0 .. start - 1 (zeros, or copies of the first frame). Zero frames add nothing to
   * partial sums, so only replicated ones are fed there.
   */
  private fillStart(first: Frame): void {
    const start = this.padding.start;
    const replicate = this.options.temporalFill === 'replicate';
    if (this.stateForm === 'partial-sums') {
      if (replicate) for (let q = 0; q < start; q++) this.accumulate(first, q);
      return;
    }
    const fill = replicate ? tf.clone(first) : tf.zerosLike(first);
    for (let q = 0; q < start; q++) this.replaceSlot(q, tf.clone(fill));
    fill.dispose();
  }

  /**
   * Partial-sums step at padded position q: the frame's tap kt - 1 - i goes to the output ending
   * at q + i, for the wanted outputs only; the output ending at q is then complete.
   */
  private accumulate(frame: Frame, q: number): Frame | null {
    const kt = this.receptiveField;
    let out: Frame | null = null;
    if (this.wanted(q)) {
      const sum = this.slotAt(q);
      out = tf.tidy(() => {
        const last = this.tapConv(frame, kt - 1, true);
        const total = sum === null ? last : tf.add<tf.Tensor4D>(sum, last);
        return applyActivation(total, this.options.activation);
      });
    }
    for (let i = 1; i < kt - 1; i++) {
      if (!this.wanted(q + i)) continue;
      const sum = this.slotAt(q + i);
      const next = tf.tidy(() => {
        const term = this.tapConv(frame, kt - 1 - i, false);
        return sum === null ? term : tf.add<tf.Tensor4D>(sum, term);
      });
      this.replaceSlot(q + i, next);
    }
    // The slot of position q now starts the output ending at q + kt - 1 (same slot mod kt - 1).
    const opened = this.wanted(q + kt - 1) ? tf.tidy(() => this.tapConv(frame, 0, false)) : null;
    this.replaceSlot(q, opened);
    return out;
  }

  /** Frame-buffer step at padded position q: convolve the window ending at q if wanted, then keep the frame. */
  private bufferFrame(frame: Frame, q: number): Frame | null {
    const kt = this.receptiveField;
    let out: Frame | null = null;
    if (this.wanted(q)) {
      const inputs: tf.Tensor4D[] = [];
      for (let p = q - kt + 1; p < q; p++) {
        const held = this.slotAt(p);
        if (held === null) {
          throw new Error(
            `CoConv3d "${this.name}": the frame buffer has no frame for position ${p}; was the state taken from another module?`,
          );
        }
        inputs.push(held);
      }
      inputs.push(frame);
      out = tf.tidy(() => this.windowConv(inputs));
    }
    // The frame of position q replaces that of q - kt + 1, which no later window reads.
    this.replaceSlot(q, tf.clone(frame));
    return out;
  }

  private slotAt(position: number): tf.Tensor4D | null {
    return this.slots[position % this.slots.length] ?? null;
  }

  /** Stores a slot, kept out of any enclosing tf.tidy: callers may step inside one. */
  private replaceSlot(position: number, value: tf.Tensor4D | null): void {
    const i = position % this.slots.length;
    this.slots[i]?.dispose();
    this.slots[i] = value === null ? null : tf.keep(value);
  }

  /** State keys: `step`, and `frame<i>` (frame-buffer) or `sum<i>` (partial sums) per ring slot. */
  private slotKey(i: number): string {
    return `${this.stateForm === 'frame-buffer' ? 'frame' : 'sum'}${i}`;
  }

  getState(): CoState {
    const state: Record<string, tf.Tensor | number | null> = { step: this.step };
    this.slots.forEach((s, i) => {
      state[this.slotKey(i)] = s === null ? null : tf.clone(s);
    });
    return state;
  }

  setState(state: CoState): void {
    const step = state.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) {
      throw new Error(`CoConv3d "${this.name}": state.step must be a non-negative integer.`);
    }
    // Read everything before changing anything, so a bad state leaves the module as it was.
    const values = this.slots.map((_, i) => {
      const key = this.slotKey(i);
      const value = state[key];
      if (value === null) return null;
      if (!(value instanceof tf.Tensor) || value.rank !== 4) {
        throw new Error(
          `CoConv3d "${this.name}": state.${key} must be a rank-4 tensor or null (${this.stateForm} state).`,
        );
      }
      return value as tf.Tensor4D;
    });
    this.resetState();
    this.slots = values.map((v) => (v === null ? null : tf.keep(tf.clone(v))));
    this.step = step;
  }

  resetState(): void {
    this.slots.forEach((s) => s?.dispose());
    this.slots = this.slots.map(() => null);
    this.step = 0;
  }

  /**
   * Average cost per input frame in steady state: one output's multiply-adds and bias +
   * activation every `stride` frames. This holds for both forms: the partial-sum form computes
   * only the taps of wanted outputs, each output receiving its kt taps from kt frames, and its
   * running additions are the accumulation of those multiply-adds.
   */
  flopsPerStep(input: FrameShape): FlopCount {
    const one = this.flopsPerOutput(input);
    return { macs: one.macs / this.stride, elementwise: one.elementwise / this.stride };
  }

  flopsPerClip(input: FrameShape, frames: number): FlopCount {
    const one = this.flopsPerOutput(input);
    const outputs = clipOutputLength(frames, this.receptiveField, this.padding, this.stride);
    return { macs: one.macs * outputs, elementwise: one.elementwise * outputs };
  }

  /** Multiply-adds of one output frame, and its elementwise ops (bias add + activation). */
  private flopsPerOutput(input: FrameShape): FlopCount {
    const out = this.outputShape(input);
    const { kernelSize, inChannels, groups, bias, activation } = this.options;
    const taps = kernelSize[0] * kernelSize[1] * kernelSize[2];
    const perElement = (bias === null ? 0 : 1) + activationOpsPerElement(activation);
    return {
      macs: convMacsPerOutputFrame(out, taps, inChannels, groups),
      elementwise: frameElements(out) * perElement,
    };
  }

  /**
   * float32 bytes held in steady state for one batch item. Frame-buffer: kt - 1 input frames.
   * Partial sums: one output-sized sum per wanted output still open, at most
   * ceil((kt - 1) / stride).
   */
  stateBytes(input: FrameShape): number {
    const out = this.outputShape(input);
    const open = this.receptiveField - 1;
    if (this.stateForm === 'frame-buffer') return 4 * frameElements(input) * open;
    return 4 * frameElements(out) * Math.ceil(open / this.stride);
  }

  dispose(): void {
    this.resetState();
    const { taps, window, bias } = this.weights;
    tf.dispose([...taps.flat(), ...window]);
    bias.forEach((b) => b?.dispose());
    this.options.kernel.dispose();
    this.options.bias?.dispose();
  }
}
