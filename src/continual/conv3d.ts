/**
 * Continual 3D convolution (after continual-inference's `Conv3d` and the CoX3D paper): the clip
 * model is a (grouped) 3D convolution over [N, T, H, W, C]; the streaming model consumes one
 * frame per step and emits the output whose temporal window ends at that frame.
 *
 * Both passes decompose the 3D kernel into its `kt` temporal taps, each a 2D convolution of one
 * frame, because tf.conv3d is far slower on wasm and has no grouped form.
 */
import * as tf from '@tensorflow/tfjs-core';
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
 * - `'partial-sums'`: every frame is convolved with all kt taps at once and the results are
 *   added into kt - 1 running partial sums of future outputs (continual-inference's form).
 * - `'frame-buffer'`: the last kt - 1 input frames are kept and the full window is convolved on
 *   output steps only.
 */
export type ConvStateForm = 'partial-sums' | 'frame-buffer';

/** Options of {@link CoConv3d}. */
export interface CoConv3dOptions {
  /** Unique among siblings; used in state keys and weight names. */
  name: string;
  inChannels: number;
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
 * The state form a new {@link CoConv3d} uses when none is given.
 *
 * Both forms do the same multiply-adds per output at temporal stride 1, so the choice is about
 * per-step overhead, measured by tools/bench-conv3d-state-form.test.ts (see its header for the
 * figures). The frame-buffer form wins on every backend measured: it issues fewer ops per step
 * (a stack and one fused conv, against a conv, a pad, an add, two slices and an activation),
 * keeps no outC-sized sums, and with temporal stride st it convolves on 1 step in st only. A
 * kernel with kt = 1 has no past, so the two forms coincide.
 *
 * @param backendName tf.getBackend() of the backend that will run the module.
 * @param options the kernel size and grouping the measurement depends on.
 */
export function defaultConvStateForm(
  backendName: string,
  options: Pick<CoConv3dOptions, 'kernelSize' | 'groups' | 'inChannels' | 'outChannels'>,
): ConvStateForm {
  void backendName;
  void options;
  return 'frame-buffer';
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

/**
 * Weights rearranged for the 2D ops, built once.
 * Window filters convolve a group's channels of kt frames concatenated tap-major (channel
 * k * cg + c holds channel c of tap k); stream filters apply all kt taps to one frame and emit tap-minor outputs
 * (channel o * kt + i holds output o of slot i, which uses tap kt - 1 - i).
 */
interface Weights {
  /** Depthwise: one [kh, kw, C, m] filter per tap. Dense/grouped: one [kh, kw, Cg * kt, outCg] per group. */
  readonly window: tf.Tensor4D[];
  /** Dense/grouped: the bias slice of each group (depthwise uses the full bias). */
  readonly windowBias: (tf.Tensor1D | null)[];
  /** Partial-sum filters ([kh, kw, C, m * kt] depthwise, one [kh, kw, Cg, outCg * kt] per group); empty for frame-buffer. */
  readonly stream: tf.Tensor4D[];
  /** Bias of each stream filter, nonzero in slot 0 only (the output completed by this frame). */
  readonly streamBias: (tf.Tensor1D | null)[];
}

/**
 * A continual 3D convolution: channels-last, grouped or depthwise, with spatial and temporal
 * stride and padding, bias and activation, and two interchangeable state forms.
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
  private step = 0;
  /** Frame-buffer slots, indexed by padded frame position modulo kt - 1. */
  private frames: (tf.Tensor4D | null)[];
  /** Partial sums [N, H', W', outC, kt - 1]: slot i completes i steps from now. */
  private partialSums: tf.Tensor | null = null;

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
    this.frames = new Array<tf.Tensor4D | null>(Math.max(0, kt - 1)).fill(null);
  }

  private buildWeights(): Weights {
    const { kernelSize, inChannels, outChannels, groups, bias, kernel } = this.options;
    const [kt, kh, kw] = kernelSize;
    const streaming = this.stateForm === 'partial-sums' && kt > 1;
    const window: tf.Tensor4D[] = [];
    const windowBias: (tf.Tensor1D | null)[] = [];
    const stream: tf.Tensor4D[] = [];
    const streamBias: (tf.Tensor1D | null)[] = [];
    // Built from rank <= 3 ops only: tfjs-webgpu's rank-5 pad, tile and reverse give wrong
    // results (their shaders index at most four coordinates).
    tf.tidy(() => {
      // wasm's fused ops check the rank of a bias's underlying data, which reshape and slice
      // views keep, so every bias handed to them is materialised as its own rank-1 tensor.
      const rank1 = (b: tf.Tensor): tf.Tensor1D => tf.add(tf.reshape(b, [-1]), 0);
      const cg = this.depthwise ? 1 : inChannels / groups;
      const og = this.depthwise ? outChannels : outChannels / groups;
      const rows = kh * kw * cg;
      const flat = tf.reshape(kernel, [kt, rows, outChannels]);
      const sets = this.depthwise ? 1 : groups;
      for (let g = 0; g < sets; g++) {
        // Tap k of group g as [kh * kw * cg, og]; for depthwise, output channel o = c * m + j
        // of the 3D kernel is channel c, multiplier j of depthwiseConv2d.
        const taps: tf.Tensor2D[] = [];
        for (let k = 0; k < kt; k++) {
          taps.push(tf.reshape(tf.slice(flat, [k, 0, g * og], [1, rows, og]), [rows, og]));
        }
        const b = bias === null ? null : tf.slice(bias, [g * og], [og]);
        windowBias.push(b === null ? null : rank1(b));
        if (this.depthwise) {
          const m = outChannels / inChannels;
          for (const tap of taps) window.push(tf.reshape(tap, [kh, kw, inChannels, m]));
        } else {
          // Taps one after another on the input rows of each kernel position (row k * cg + c),
          // matching frames concatenated tap-major on channels.
          const rowsByTap = tf.concat(
            taps.map((t) => tf.reshape(t, [kh * kw, cg, og])),
            1,
          );
          window.push(tf.reshape(rowsByTap, [kh, kw, kt * cg, og]));
        }
        if (streaming) {
          // Slot i (the output completed i steps from now) uses tap kt - 1 - i, as output
          // channel o * kt + i; the bias goes to slot 0 only.
          const slots = [...taps].reverse().map((t) => tf.reshape(t, [rows * og, 1]));
          // Depthwise: rows kh * kw, columns outC = C * m, so the shape is [kh, kw, C, m * kt].
          const shape: [number, number, number, number] = this.depthwise
            ? [kh, kw, inChannels, (outChannels / inChannels) * kt]
            : [kh, kw, cg, og * kt];
          stream.push(tf.reshape(tf.concat(slots, 1), shape));
          if (b !== null) {
            const zeros = tf.zeros([og, kt - 1]);
            streamBias.push(rank1(tf.concat([tf.reshape(b, [og, 1]), zeros], 1)));
          } else {
            streamBias.push(null);
          }
        }
      }
      [...window, ...windowBias, ...stream, ...streamBias].forEach((t) => t !== null && tf.keep(t));
    });
    return { window, windowBias, stream, streamBias };
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

  /**
   * The full window: sum over taps k of conv2d(taps[k], W_k), plus bias, then the activation.
   * Each taps[k] is [B, H, W, C] (B frames at once offline). Call inside tf.tidy.
   */
  private windowConv(taps: tf.Tensor4D[]): tf.Tensor4D {
    const { activation, groups, kernelSize } = this.options;
    const kt = kernelSize[0];
    const fused = fusedActivation(activation);
    const { window, windowBias } = this.weights;
    if (this.depthwise) {
      // Depthwise taps cannot share one call without a cross-channel sum, so add them up; the
      // bias rides on tap 0 and the activation waits for the complete sum.
      if (kt === 1)
        return this.finish(
          this.conv2d(
            taps[0] as tf.Tensor4D,
            window[0] as tf.Tensor4D,
            windowBias[0] ?? null,
            fused ?? 'linear',
          ),
          fused,
        );
      const parts = taps.map((x, k) =>
        this.conv2d(
          x,
          window[k] as tf.Tensor4D,
          k === 0 ? (windowBias[0] ?? null) : null,
          'linear',
        ),
      );
      return applyActivation(tf.addN(parts), activation);
    }
    // Dense/grouped: the kt frames stacked on channels make one conv per group with bias and
    // activation fused.
    const first = taps[0] as tf.Tensor4D;
    const [b, h, w, c] = first.shape;
    const cg = c / groups;
    // Group g sees its channels of every tap, tap after tap: contiguous blocks, so the
    // concatenation copies whole runs of channels.
    const groupInput = (g: number): tf.Tensor4D => {
      const parts =
        groups === 1 ? taps : taps.map((t) => tf.slice(t, [0, 0, 0, g * cg], [b, h, w, cg]));
      return parts.length === 1 ? (parts[0] as tf.Tensor4D) : tf.concat(parts, 3);
    };
    const outs = window.map((filter, g) =>
      this.conv2d(groupInput(g), filter, windowBias[g] ?? null, fused ?? 'linear'),
    );
    return this.finish(outs.length === 1 ? (outs[0] as tf.Tensor4D) : tf.concat(outs, 3), fused);
  }

  /** Applies the activation that the fused op could not. */
  private finish(y: tf.Tensor4D, fused: FusedActivation | null): tf.Tensor4D {
    return fused === null ? applyActivation(y, this.options.activation) : y;
  }

  /** All kt taps of one frame, tap-minor [B, H', W', outC * kt], bias in slot 0. Call inside tf.tidy. */
  private streamTaps(x: tf.Tensor4D): tf.Tensor4D {
    const { stream, streamBias } = this.weights;
    if (this.depthwise)
      return this.conv2d(x, stream[0] as tf.Tensor4D, streamBias[0] ?? null, 'linear');
    const [b, h, w, c] = x.shape;
    const cg = c / this.options.groups;
    const outs = stream.map((filter, g) =>
      this.conv2d(
        stream.length === 1 ? x : tf.slice(x, [0, 0, 0, g * cg], [b, h, w, cg]),
        filter,
        streamBias[g] ?? null,
        'linear',
      ),
    );
    return outs.length === 1 ? (outs[0] as tf.Tensor4D) : tf.concat(outs, 3);
  }

  private checkClip(clip: Clip): void {
    if (clip.rank !== 5 || clip.shape[4] !== this.options.inChannels) {
      throw new Error(
        `CoConv3d "${this.name}": expected a clip [N, T, H, W, ${this.options.inChannels}], got ${shapeString(clip.shape)}.`,
      );
    }
  }

  forward(clip: Clip): Clip {
    this.checkClip(clip);
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
      const taps: tf.Tensor4D[] = [];
      for (let k = 0; k < kt; k++) {
        const slice =
          st === 1
            ? tf.slice(padded, [0, k, 0, 0], [n, length, h * w, c])
            : tf.stridedSlice(
                padded,
                [0, k, 0, 0],
                [n, k + (length - 1) * st + 1, h * w, c],
                [1, st, 1, 1],
              );
        taps.push(tf.reshape(slice, [n * length, h, w, c]));
      }
      const y = this.windowConv(taps);
      return tf.reshape(y, [n, length, out.height, out.width, out.channels]) as Clip;
    });
  }

  /** Frames [N, T, P, C] with the temporal padding: zeros, or copies of the first/last frame. */
  private padFrames(frames: tf.Tensor4D): tf.Tensor4D {
    const { start, end } = this.padding;
    if (start === 0 && end === 0) return frames;
    const [n, t, p, c] = frames.shape;
    const replicate = this.options.temporalFill === 'replicate';
    const fill = (at: number, count: number): tf.Tensor4D[] => {
      if (!replicate) return [tf.zeros([n, count, p, c])];
      const frame = tf.slice(frames, [0, at, 0, 0], [n, 1, p, c]);
      return new Array<tf.Tensor4D>(count).fill(frame);
    };
    const pieces = [
      ...(start > 0 ? fill(0, start) : []),
      frames,
      ...(end > 0 ? fill(t - 1, end) : []),
    ];
    return tf.concat(pieces, 1);
  }

  private checkFrame(frame: Frame): void {
    const { inChannels } = this.options;
    if (frame.rank !== 4 || frame.shape[3] !== inChannels) {
      throw new Error(
        `CoConv3d "${this.name}": expected a frame [N, H, W, ${inChannels}], got ${shapeString(frame.shape)}.`,
      );
    }
    // A frame of another size than the buffered ones would fail deep inside tfjs; say why here.
    const [n, h, w, c] = frame.shape;
    const held = this.frames.find((f) => f !== null);
    const sums = this.partialSums;
    let mismatch = held !== undefined && held !== null && !sameShape(held.shape, frame.shape);
    if (sums !== null) {
      const out = this.outputShape({ height: h, width: w, channels: c });
      const expected = [n, out.height, out.width, out.channels, this.receptiveField - 1];
      mismatch = !sameShape(sums.shape, expected);
    }
    if (mismatch) {
      throw new Error(
        `CoConv3d "${this.name}": frame ${shapeString(frame.shape)} does not match the streaming state; call resetState() before changing the frame size.`,
      );
    }
  }

  forwardStep(frame: Frame): Frame | null {
    this.checkFrame(frame);
    const t = this.step;
    const delay = this.delay;
    const emit = t >= delay && (t - delay) % this.stride === 0;
    let out: Frame | null;
    if (this.receptiveField === 1) {
      // No past to keep: both forms are one fused conv on output steps.
      out = emit ? tf.tidy(() => this.windowConv([frame])) : null;
    } else if (this.stateForm === 'partial-sums') {
      out = this.stepPartialSums(frame, t, emit);
    } else {
      out = this.stepFrameBuffer(frame, t, emit);
    }
    this.step = t + 1;
    return out;
  }

  private stepPartialSums(frame: Frame, t: number, emit: boolean): Frame | null {
    // Zero padding frames add nothing to the sums (null = zeros); replicated ones are fed as
    // virtual steps before the first real frame.
    if (t === 0 && this.options.temporalFill === 'replicate') {
      for (let i = 0; i < this.padding.start; i++) this.accumulate(frame, false);
    }
    return this.accumulate(frame, emit);
  }

  /**
   * Adds all taps of `frame` into the partial sums, shifts them, and returns slot 0 if asked.
   * The sums [N, H', W', outC, kt - 1] are worked on as [N * H' * W' * outC, kt - 1] so every
   * op is rank 2 (webgpu's rank-5 pad is wrong).
   */
  private accumulate(frame: Frame, emit: boolean): Frame | null {
    const kt = this.receptiveField;
    const previous = this.partialSums;
    const result = tf.tidy(() => {
      const y = this.streamTaps(frame);
      const [b, h, w] = y.shape;
      const oc = this.options.outChannels;
      const y2 = tf.reshape(y, [-1, kt]);
      const full =
        previous === null
          ? y2
          : tf.add(
              y2,
              tf.pad(tf.reshape(previous, [-1, kt - 1]), [
                [0, 0],
                [0, 1],
              ]),
            );
      const sums = tf.reshape(tf.slice(full, [0, 1], [-1, kt - 1]), [b, h, w, oc, kt - 1]);
      if (!emit) return { sums };
      const done = tf.reshape(tf.slice(full, [0, 0], [-1, 1]), [b, h, w, oc]) as Frame;
      return { sums, out: applyActivation(done, this.options.activation) };
    });
    previous?.dispose();
    this.partialSums = result.sums;
    return result.out ?? null;
  }

  private stepFrameBuffer(frame: Frame, t: number, emit: boolean): Frame | null {
    const slots = this.receptiveField - 1;
    const start = this.padding.start;
    if (t === 0 && start > 0) {
      // The padding frames before the first real one, at padded positions 0 .. start - 1.
      const fill = this.options.temporalFill === 'zeros' ? tf.zerosLike(frame) : tf.clone(frame);
      for (let q = 0; q < start; q++) this.replaceSlot(q % slots, tf.clone(fill));
      fill.dispose();
    }
    const q = t + start;
    let out: Frame | null = null;
    if (emit) {
      // The window is padded positions q - kt + 1 .. q; the oldest sits in slot q mod (kt - 1).
      const taps: tf.Tensor4D[] = [];
      for (let k = 0; k < slots; k++) {
        const held = this.frames[(q + k) % slots];
        if (held === null || held === undefined) {
          throw new Error(
            `CoConv3d "${this.name}": the frame buffer is missing a frame at step ${t}; was the state set from another module?`,
          );
        }
        taps.push(held);
      }
      taps.push(frame);
      out = tf.tidy(() => this.windowConv(taps));
    }
    this.replaceSlot(q % slots, tf.clone(frame));
    return out;
  }

  private replaceSlot(slot: number, frame: tf.Tensor4D | null): void {
    this.frames[slot]?.dispose();
    this.frames[slot] = frame;
  }

  getState(): CoState {
    const state: Record<string, tf.Tensor | number | null> = { step: this.step };
    if (this.stateForm === 'partial-sums') {
      if (this.receptiveField > 1)
        state.partialSums = this.partialSums === null ? null : tf.clone(this.partialSums);
    } else {
      this.frames.forEach((f, i) => {
        state[`frame${i}`] = f === null ? null : tf.clone(f);
      });
    }
    return state;
  }

  setState(state: CoState): void {
    const step = state.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) {
      throw new Error(`CoConv3d "${this.name}": state.step must be a non-negative integer.`);
    }
    // Read everything before changing anything, so a bad state leaves the module as it was.
    const read = (key: string, rank: number): tf.Tensor | null => {
      const value = state[key];
      if (value === null) return null;
      if (!(value instanceof tf.Tensor) || value.rank !== rank) {
        throw new Error(
          `CoConv3d "${this.name}": state.${key} must be a rank-${rank} tensor or null (${this.stateForm} state).`,
        );
      }
      return value;
    };
    if (this.stateForm === 'partial-sums') {
      const sums = this.receptiveField > 1 ? read('partialSums', 5) : null;
      this.disposeState();
      this.partialSums = sums === null ? null : tf.clone(sums);
    } else {
      const frames = this.frames.map((_, i) => read(`frame${i}`, 4));
      this.disposeState();
      this.frames = frames.map((f) => (f === null ? null : (tf.clone(f) as tf.Tensor4D)));
    }
    this.step = step;
  }

  resetState(): void {
    this.disposeState();
    this.step = 0;
  }

  private disposeState(): void {
    this.partialSums?.dispose();
    this.partialSums = null;
    this.frames.forEach((f) => f?.dispose());
    this.frames = this.frames.map(() => null);
  }

  /** Multiply-adds of one output frame, and its elementwise ops (bias add + activation). */
  private perOutput(input: FrameShape): FlopCount {
    const out = this.outputShape(input);
    const { kernelSize, inChannels, groups, bias, activation } = this.options;
    const taps = kernelSize[0] * kernelSize[1] * kernelSize[2];
    return {
      macs: convMacsPerOutputFrame(out, taps, inChannels, groups),
      elementwise:
        frameElements(out) * ((bias === null ? 0 : 1) + activationOpsPerElement(activation)),
    };
  }

  /**
   * Per input frame in steady state. Frame-buffer: one output's cost every `stride` frames.
   * Partial sums: all kt taps of every frame (also on steps that emit nothing), the accumulation
   * being part of those multiply-adds; bias and activation on emitted outputs only.
   */
  flopsPerStep(input: FrameShape): FlopCount {
    const one = this.perOutput(input);
    const everyFrame = this.stateForm === 'partial-sums' && this.receptiveField > 1;
    return {
      macs: everyFrame ? one.macs : one.macs / this.stride,
      elementwise: one.elementwise / this.stride,
    };
  }

  flopsPerClip(input: FrameShape, frames: number): FlopCount {
    const one = this.perOutput(input);
    const outputs = clipOutputLength(frames, this.receptiveField, this.padding, this.stride);
    return { macs: one.macs * outputs, elementwise: one.elementwise * outputs };
  }

  /** float32 bytes of the state for one batch item: kt - 1 frames, or kt - 1 partial sums. */
  stateBytes(input: FrameShape): number {
    const out = this.outputShape(input);
    const held = this.stateForm === 'partial-sums' ? out : input;
    return 4 * frameElements(held) * (this.receptiveField - 1);
  }

  dispose(): void {
    this.disposeState();
    const { window, windowBias, stream, streamBias } = this.weights;
    tf.dispose([...window, ...stream]);
    [...windowBias, ...streamBias].forEach((b) => b?.dispose());
    this.options.kernel.dispose();
    this.options.bias?.dispose();
  }
}
