/**
 * Builds an X3D network (Feichtenhofer 2020) from src/continual modules, in one of two temporal
 * forms sharing one set of weights:
 * - `'valid'`: CoX3D (Hedegaard and Iosifidis, ECCV 2022): no temporal padding in any conv, so
 *   the stream computes each frame's features once and the network's delay is derived from
 *   its kernels (stem kt - 1, plus kt - 1 per block, plus the global pool's window - 1).
 * - `'same'`: the X3D clip model as published, kt // 2 zero frames before and after every
 *   temporal conv, whose `forward` over T frames is one clip prediction; used for the paper's
 *   per-clip FLOPs and as the clip-based baseline.
 *
 * Architecture, as the SlowFast and PyTorchVideo reference implementations build it:
 * - stem: 1x3x3 conv, stride 2, 3 -> 24 (no bias, no norm), then a channelwise kt x 1 x 1 conv,
 *   BN, ReLU;
 * - res2..res5: bottleneck blocks; block = 1x1x1 conv, BN, ReLU; channelwise kt x 3 x 3 conv
 *   (spatial stride 2 in a stage's first block), BN; squeeze-excitation on every other block
 *   (ratio 1/16, ReLU inside, sigmoid gate); Swish; 1x1x1 conv, BN; plus the shortcut (the
 *   identity, or a strided 1x1x1 conv + BN in a stage's first block); ReLU after the sum;
 * - head: 1x1x1 conv to 432, BN, ReLU; global average pool over space and a window of frames;
 *   linear 432 -> 2048 (no bias), ReLU; linear 2048 -> classes.
 * Every BN is folded into the conv before it at build time ({@link foldBatchNorm}).
 *
 * CoX3D choices (documented where they differ from the clip model):
 * - Residuals are aligned 'centered': the shortcut adds the frame at the centre of the block's
 *   temporal window, the frame X3D's padded conv is centred on, and what the CoX3D reference
 *   code does (it delays the shortcut by the branch's delay, (kt - 1) / 2 with its padding).
 * - Squeeze-excitation pools causally over the last `seWindow` frames (X3D pools over the whole
 *   clip, which a stream cannot see); CoX3D's reference code offers this ('clip' scope) and a
 *   per-frame squeeze (window 1).
 * - The global pool averages the last `poolWindow` = T frames (a ring buffer), CoX3D's
 *   reformulation of X3D's clip-wide pool.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CoConv3d } from '../../continual/conv3d';
import { CoIdentity } from '../../continual/delay';
import { CoGlobalAvgPool } from '../../continual/global-pool';
import type { CoModule } from '../../continual/module';
import { coResidual, type Alignment } from '../../continual/parallel';
import {
  CoActivation,
  CoPointwiseConv,
  foldBatchNorm,
  type BatchNormParams,
} from '../../continual/pointwise';
import { CoSequential } from '../../continual/sequential';
import { CoSqueezeExcitation } from '../../continual/squeeze-excitation';
import { SeededRandom, heNormal, seededBatchNorm } from '../seeded-weights';
import {
  hasSqueezeExcitation,
  innerWidth,
  seWidth,
  validateX3dConfig,
  type X3dConfig,
} from './x3d-config';

/** Temporal form of the network; see the file comment. */
export type X3dTemporalForm = 'valid' | 'same';

/**
 * Where the weights come from.
 * - `'seeded'`: He-normal kernels and seeded BN statistics, folded (see seeded-weights.ts).
 * - `'zeros'`: zero kernels and biases, no PRNG and no folding: the cheapest build, for
 *   counting FLOPs and parameters, which depend on shapes only.
 */
export type X3dWeights = 'seeded' | 'zeros';

/** Options of {@link buildX3d}. */
export interface BuildX3dOptions {
  /** Default 'valid' (CoX3D). */
  readonly temporalForm?: X3dTemporalForm;
  /** Frames averaged by the head's global pool; default config.frames (T). */
  readonly poolWindow?: number;
  /** Frames of each squeeze-excitation's causal pool; default config.frames (T). */
  readonly seWindow?: number;
  /** Residual alignment of the 'valid' form; default 'centered' (the 'same' form needs none). */
  readonly align?: Alignment;
  /** Default 'seeded'. */
  readonly weights?: X3dWeights;
  /** Seed of the seeded weights; default 0. Equal seeds give equal weights. */
  readonly seed?: number;
}

/** A built network and what the build counted. */
export interface X3dNetwork {
  readonly network: CoSequential;
  /** Parameters after BN folding: every kernel and bias element the network holds. */
  readonly params: number;
  readonly config: X3dConfig;
  readonly temporalForm: X3dTemporalForm;
}

/**
 * Hands out kernels and biases in build order and counts them. BN is folded here, so every
 * module receives a final kernel and bias.
 */
class WeightSource {
  params = 0;
  private readonly random: SeededRandom | null;

  constructor(mode: X3dWeights, seed: number) {
    this.random = mode === 'seeded' ? new SeededRandom(seed) : null;
  }

  /**
   * A kernel (last axis = output channels) of He-normal draws, and a bias when asked: 'bn'
   * folds a seeded BN (its `gamma` range scales the branch), 'bias' draws a small bias, 'none'
   * has none.
   */
  kernel(
    shape: readonly number[],
    fanIn: number,
    gain: number,
    bias: 'bn' | 'bias' | 'none',
    gamma?: readonly [number, number],
  ): { kernel: tf.Tensor; bias: tf.Tensor1D | undefined } {
    const out = shape[shape.length - 1] ?? 0;
    this.params += shape.reduce((a, b) => a * b, 1) + (bias === 'none' ? 0 : out);
    if (this.random === null) {
      return {
        kernel: tf.zeros([...shape]),
        bias: bias === 'none' ? undefined : tf.zeros([out]),
      };
    }
    const raw = heNormal(this.random, shape, fanIn, gain);
    if (bias === 'none') return { kernel: raw, bias: undefined };
    if (bias === 'bias') {
      return { kernel: raw, bias: tf.tensor1d(this.random.uniformArray(out, -0.1, 0.1)) };
    }
    const bn: BatchNormParams = seededBatchNorm(
      this.random,
      out,
      gamma === undefined ? {} : { gamma },
    );
    try {
      return foldBatchNorm(raw, undefined, bn);
    } finally {
      raw.dispose();
    }
  }
}

/** Disposes tensors handed to a module that clones them (CoPointwiseConv, CoSqueezeExcitation). */
function disposeAll(...tensors: (tf.Tensor | undefined)[]): void {
  for (const t of tensors) t?.dispose();
}

/** Build state shared by the helpers below. */
interface Context {
  readonly config: X3dConfig;
  readonly weights: WeightSource;
  readonly form: X3dTemporalForm;
  readonly seWindow: number;
  readonly align: Alignment;
}

/** A 1x1x1 conv over channels (no spatial stride), with its kernel's bias and activation. */
function pointwise(
  ctx: Context,
  name: string,
  inChannels: number,
  outChannels: number,
  gain: number,
  bias: 'bn' | 'bias' | 'none',
  activation: 'relu' | 'linear',
  gamma?: readonly [number, number],
): CoPointwiseConv {
  const w = ctx.weights.kernel([inChannels, outChannels], inChannels, gain, bias, gamma);
  try {
    return new CoPointwiseConv({
      name,
      inChannels,
      outChannels,
      activation,
      kernel: w.kernel,
      ...(w.bias === undefined ? {} : { bias: w.bias }),
    });
  } finally {
    disposeAll(w.kernel, w.bias);
  }
}

/** Temporal padding of a conv of temporal kernel kt in the network's form. */
function temporalPadding(ctx: Context, kt: number): 'valid' | number {
  return ctx.form === 'valid' || kt === 1 ? 'valid' : (kt - 1) / 2;
}

/** Builds modules in order; on a failure disposes what was built so far, then rethrows. */
function buildAll(steps: readonly (() => CoModule)[]): CoModule[] {
  const built: CoModule[] = [];
  try {
    for (const step of steps) built.push(step());
    return built;
  } catch (e) {
    for (const m of built) m.dispose();
    throw e;
  }
}

function stem(ctx: Context): CoSequential {
  const { stemChannels: c, stemKernelT: kt } = ctx.config;
  return new CoSequential(
    'stem',
    buildAll([
      () => {
        // Linear into the temporal conv (no norm between them in X3D), hence gain 1.
        const w = ctx.weights.kernel([1, 3, 3, 3, c], 27, 1, 'none');
        return new CoConv3d({
          name: 'conv_xy',
          inChannels: 3,
          outChannels: c,
          kernelSize: [1, 3, 3],
          stride: [1, 2, 2],
          spatialPadding: 1,
          kernel: w.kernel,
        });
      },
      () => {
        const w = ctx.weights.kernel([kt, 1, 1, 1, c], kt, 2, 'bn');
        return new CoConv3d({
          name: 'conv_t',
          inChannels: c,
          outChannels: c,
          kernelSize: [kt, 1, 1],
          spatialPadding: 'valid',
          temporalPadding: temporalPadding(ctx, kt),
          groups: c,
          activation: 'relu',
          kernel: w.kernel,
          ...(w.bias === undefined ? {} : { bias: w.bias }),
        });
      },
    ]),
  );
}

function squeezeExcitation(ctx: Context, inner: number): CoSqueezeExcitation {
  const reduced = seWidth(ctx.config, inner);
  const reduce = ctx.weights.kernel([inner, reduced], inner, 2, 'bias');
  const expand = ctx.weights.kernel([reduced, inner], reduced, 1, 'bias');
  try {
    return new CoSqueezeExcitation({
      name: 'se',
      channels: inner,
      reducedChannels: reduced,
      pool: { kind: 'window', window: ctx.seWindow },
      activation: 'relu',
      gate: 'sigmoid',
      weights: {
        reduceKernel: reduce.kernel,
        reduceBias: reduce.bias as tf.Tensor1D,
        expandKernel: expand.kernel,
        expandBias: expand.bias as tf.Tensor1D,
      },
    });
  } finally {
    disposeAll(reduce.kernel, reduce.bias, expand.kernel, expand.bias);
  }
}

/**
 * One bottleneck block: relu(branch(x) + shortcut(x)). `depth` (blocks in the stage) scales
 * the last BN's gamma by 1 / sqrt(depth), so the stage's sum of branches stays O(1).
 */
function block(
  ctx: Context,
  index: number,
  inChannels: number,
  outChannels: number,
  stride: number,
  depth: number,
): CoSequential {
  const inner = innerWidth(ctx.config, outChannels);
  const kt = ctx.config.blockKernelT;
  const withSe = hasSqueezeExcitation(index);
  const scale = 1 / Math.sqrt(depth);
  const branch = new CoSequential(
    'branch',
    buildAll([
      () => pointwise(ctx, 'a', inChannels, inner, 2, 'bn', 'relu'),
      () => {
        const w = ctx.weights.kernel([kt, 3, 3, 1, inner], kt * 9, 2, 'bn');
        return new CoConv3d({
          name: 'b',
          inChannels: inner,
          outChannels: inner,
          kernelSize: [kt, 3, 3],
          stride: [1, stride, stride],
          spatialPadding: 1,
          temporalPadding: temporalPadding(ctx, kt),
          groups: inner,
          // Swish follows the SE where there is one, else it is the conv's own activation.
          activation: withSe ? 'linear' : 'swish',
          kernel: w.kernel,
          ...(w.bias === undefined ? {} : { bias: w.bias }),
        });
      },
      ...(withSe
        ? [
            () => squeezeExcitation(ctx, inner),
            () => new CoActivation({ name: 'swish', activation: 'swish' }),
          ]
        : []),
      () => pointwise(ctx, 'c', inner, outChannels, 1, 'bn', 'linear', [0.8 * scale, 1.2 * scale]),
    ]),
  );
  let shortcut: CoModule;
  try {
    if (stride === 1 && inChannels === outChannels) {
      shortcut = new CoIdentity({ name: 'shortcut' });
    } else {
      const w = ctx.weights.kernel([1, 1, 1, inChannels, outChannels], inChannels, 1, 'bn');
      shortcut = new CoConv3d({
        name: 'shortcut',
        inChannels,
        outChannels,
        kernelSize: [1, 1, 1],
        stride: [1, stride, stride],
        spatialPadding: 'valid',
        kernel: w.kernel,
        ...(w.bias === undefined ? {} : { bias: w.bias }),
      });
    }
  } catch (e) {
    branch.dispose();
    throw e;
  }
  try {
    const sum = coResidual('sum', branch, { shortcut, align: ctx.align });
    return new CoSequential(`res${index}`, [
      sum,
      new CoActivation({ name: 'relu', activation: 'relu' }),
    ]);
  } catch (e) {
    branch.dispose();
    shortcut.dispose();
    throw e;
  }
}

function stage(ctx: Context, s: number, inChannels: number): CoSequential {
  const depth = ctx.config.depths[s] ?? 0;
  const width = ctx.config.widths[s] ?? 0;
  return new CoSequential(
    `s${s + 2}`,
    buildAll(
      Array.from(
        { length: depth },
        (_, i) => () => block(ctx, i, i === 0 ? inChannels : width, width, i === 0 ? 2 : 1, depth),
      ),
    ),
  );
}

function head(ctx: Context, poolWindow: number): CoSequential {
  const { widths, conv5Channels, headChannels, numClasses } = ctx.config;
  const last = widths[3] ?? 0;
  return new CoSequential(
    'head',
    buildAll([
      () => pointwise(ctx, 'conv5', last, conv5Channels, 2, 'bn', 'relu'),
      () => new CoGlobalAvgPool({ name: 'pool', window: poolWindow }),
      () => pointwise(ctx, 'lin5', conv5Channels, headChannels, 2, 'none', 'relu'),
      () => pointwise(ctx, 'projection', headChannels, numClasses, 1, 'bias', 'linear'),
    ]),
  );
}

function positiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`buildX3d: ${what} must be a positive integer, got ${value}.`);
  }
  return value;
}

/**
 * Builds X3D/CoX3D for `config` (see the file comment): frames [N, H, W, 3] in, logits
 * [N, 1, 1, numClasses] out. The caller owns the network (dispose it).
 */
export function buildX3d(config: X3dConfig, options: BuildX3dOptions = {}): X3dNetwork {
  validateX3dConfig(config);
  const form = options.temporalForm ?? 'valid';
  if (form !== 'valid' && form !== 'same') {
    throw new Error(`buildX3d: temporalForm must be 'valid' or 'same', got '${String(form)}'.`);
  }
  const mode = options.weights ?? 'seeded';
  if (mode !== 'seeded' && mode !== 'zeros') {
    throw new Error(`buildX3d: weights must be 'seeded' or 'zeros', got '${String(mode)}'.`);
  }
  const weights = new WeightSource(mode, options.seed ?? 0);
  const ctx: Context = {
    config,
    weights,
    form,
    seWindow: positiveInt(options.seWindow ?? config.frames, 'seWindow'),
    align: options.align ?? 'centered',
  };
  const poolWindow = positiveInt(options.poolWindow ?? config.frames, 'poolWindow');
  let channels = config.stemChannels;
  const parts = buildAll([
    () => stem(ctx),
    ...config.widths.map((width, s) => () => {
      const built = stage(ctx, s, channels);
      channels = width;
      return built;
    }),
    () => head(ctx, poolWindow),
  ]);
  return {
    network: new CoSequential(config.id, parts),
    params: weights.params,
    config,
    temporalForm: form,
  };
}
