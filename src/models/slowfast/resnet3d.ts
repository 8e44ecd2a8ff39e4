/**
 * The ResNet-3D pieces the Slow and SlowFast builders share, as PySlowFast builds them
 * (stem_helper.py, resnet_helper.py): the stem and the bottleneck stages of one pathway, and the
 * lateral conv of SlowFast. Each batch norm is folded into the conv before it at build time.
 *
 * - Stem: conv kt x 7 x 7, spatial stride 2, padding 3 (temporal stride `temporalStride`), BN,
 *   ReLU; max pool 1 x 3 x 3, stride 2. The pool pads TensorFlow-style ('same': the extra row at
 *   the bottom) where PyTorch pads one row on each side: same output size and cost, windows one
 *   pixel apart, which untrained weights cannot tell.
 * - Bottleneck block: conv_a kt x 1 x 1, BN, ReLU; conv_b 1 x 3 x 3 (spatial stride on conv_b,
 *   PySlowFast's STRIDE_1X1 = False), BN, ReLU; conv_c 1 x 1 x 1, BN; plus the shortcut (the
 *   identity, or a 1 x 1 x 1 conv with the block's spatial stride + BN where the shape changes,
 *   i.e. each stage's first block); ReLU after the sum.
 * - Stage s: stride 1 in its first block for the first stage (res2), 2 for the others.
 *
 * Temporal forms: 'valid' pads nothing (the continual network, CoX3D's definition), 'same' pads
 * kt // 2 frames on both sides of every temporal conv (the clip model as published). Residuals
 * of the 'valid' form are aligned 'centered': the shortcut adds the frame at the centre of
 * conv_a's window, the frame the padded conv is centred on.
 */
import { CoConv3d, type SpatialPadding } from '../../continual/conv3d';
import { CoIdentity } from '../../continual/delay';
import type { CoModule } from '../../continual/module';
import { coResidual, type Alignment } from '../../continual/parallel';
import { CoActivation, CoPointwiseConv } from '../../continual/pointwise';
import { CoMaxPool3d } from '../../continual/pool3d';
import { CoSequential } from '../../continual/sequential';
import type { PathwayConfig } from './slowfast-config';
import type { BiasKind, WeightSource } from './weight-source';

/** Temporal form of a network; see the file comment. */
export type TemporalForm = 'valid' | 'same';

/** Build state shared by the builders. */
export interface BuildContext {
  readonly weights: WeightSource;
  readonly form: TemporalForm;
  /** Residual alignment of the 'valid' form (the 'same' form needs none). */
  readonly align: Alignment;
}

/** Temporal padding of a conv of temporal kernel kt in the context's form. */
export function temporalPaddingOf(ctx: BuildContext, kt: number): 'valid' | number {
  return ctx.form === 'valid' || kt === 1 ? 'valid' : (kt - 1) / 2;
}

/** Builds modules in order; on a failure disposes what was built so far, then rethrows. */
export function buildAll(steps: readonly (() => CoModule)[]): CoModule[] {
  const built: CoModule[] = [];
  try {
    for (const step of steps) built.push(step());
    return built;
  } catch (e) {
    for (const m of built) m.dispose();
    throw e;
  }
}

/** Options of {@link convBn}. */
interface ConvBnOptions {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: readonly [number, number, number];
  readonly stride?: readonly [number, number, number];
  readonly spatialPadding: SpatialPadding;
  readonly activation: 'relu' | 'linear';
  /** He gain: 2 into a ReLU, 1 into a linear sum. */
  readonly gain: number;
  readonly bias?: BiasKind;
  /** Range of the folded BN's gamma (scales the branch). */
  readonly gamma?: readonly [number, number];
}

/**
 * A conv + BN (+ ReLU) as one module: a CoPointwiseConv for a 1 x 1 x 1 kernel without stride
 * (one matMul per frame), else a CoConv3d.
 */
export function convBn(ctx: BuildContext, o: ConvBnOptions): CoModule {
  const [kt, kh, kw] = o.kernelSize;
  const stride = o.stride ?? ([1, 1, 1] as const);
  const shape = [kt, kh, kw, o.inChannels, o.outChannels];
  const w = ctx.weights.kernel(shape, kt * kh * kw * o.inChannels, o.gain, o.bias ?? 'bn', o.gamma);
  const bias = w.bias === undefined ? {} : { bias: w.bias };
  if (kt === 1 && kh === 1 && kw === 1 && stride.every((s) => s === 1)) {
    try {
      return new CoPointwiseConv({
        name: o.name,
        inChannels: o.inChannels,
        outChannels: o.outChannels,
        activation: o.activation,
        kernel: w.kernel,
        ...bias,
      });
    } finally {
      // CoPointwiseConv keeps copies.
      w.kernel.dispose();
      w.bias?.dispose();
    }
  }
  try {
    return new CoConv3d({
      name: o.name,
      inChannels: o.inChannels,
      outChannels: o.outChannels,
      kernelSize: o.kernelSize,
      stride,
      spatialPadding: o.spatialPadding,
      temporalPadding: temporalPaddingOf(ctx, kt),
      activation: o.activation,
      kernel: w.kernel,
      ...bias,
    });
  } catch (e) {
    w.kernel.dispose();
    w.bias?.dispose();
    throw e;
  }
}

/**
 * The stem of a pathway: conv stemKernelT x 7 x 7 (3 -> stemChannels, spatial stride 2,
 * temporal stride `temporalStride`), BN, ReLU, max pool 1 x 3 x 3 stride 2.
 */
export function buildStem(
  ctx: BuildContext,
  pathway: PathwayConfig,
  name: string,
  temporalStride = 1,
): CoSequential {
  const kt = pathway.stemKernelT;
  return new CoSequential(
    name,
    buildAll([
      () =>
        convBn(ctx, {
          name: 'conv',
          inChannels: 3,
          outChannels: pathway.stemChannels,
          kernelSize: [kt, 7, 7],
          stride: [temporalStride, 2, 2],
          spatialPadding: 3,
          activation: 'relu',
          gain: 2,
        }),
      () =>
        new CoMaxPool3d({
          name: 'pool',
          kernelSize: [1, 3, 3],
          stride: [1, 2, 2],
          spatialPadding: 'same',
        }),
    ]),
  );
}

/**
 * One bottleneck block (see the file comment). `depth` (blocks in the stage) scales conv_c's
 * BN gamma by 1 / sqrt(depth), so the stage's sum of branches keeps activations O(1).
 */
function bottleneck(
  ctx: BuildContext,
  name: string,
  inChannels: number,
  inner: number,
  outChannels: number,
  kt: number,
  stride: number,
  depth: number,
): CoSequential {
  const scale = 1 / Math.sqrt(depth);
  const branch = new CoSequential(
    'branch',
    buildAll([
      () =>
        convBn(ctx, {
          name: 'a',
          inChannels,
          outChannels: inner,
          kernelSize: [kt, 1, 1],
          spatialPadding: 'valid',
          activation: 'relu',
          gain: 2,
        }),
      () =>
        convBn(ctx, {
          name: 'b',
          inChannels: inner,
          outChannels: inner,
          kernelSize: [1, 3, 3],
          stride: [1, stride, stride],
          spatialPadding: 1,
          activation: 'relu',
          gain: 2,
        }),
      () =>
        convBn(ctx, {
          name: 'c',
          inChannels: inner,
          outChannels,
          kernelSize: [1, 1, 1],
          spatialPadding: 'valid',
          activation: 'linear',
          gain: 1,
          gamma: [0.8 * scale, 1.2 * scale],
        }),
    ]),
  );
  let shortcut: CoModule;
  try {
    shortcut =
      stride === 1 && inChannels === outChannels
        ? new CoIdentity({ name: 'shortcut' })
        : convBn(ctx, {
            name: 'shortcut',
            inChannels,
            outChannels,
            kernelSize: [1, 1, 1],
            stride: [1, stride, stride],
            spatialPadding: 'valid',
            activation: 'linear',
            gain: 1,
          });
  } catch (e) {
    branch.dispose();
    throw e;
  }
  try {
    const sum = coResidual('sum', branch, { shortcut, align: ctx.align });
    return new CoSequential(name, [sum, new CoActivation({ name: 'relu', activation: 'relu' })]);
  } catch (e) {
    branch.dispose();
    shortcut.dispose();
    throw e;
  }
}

/**
 * Stage `s` of a pathway (res{s + 2}): depths[s] bottleneck blocks, the first taking
 * `inChannels` (more than the previous stage's output where a lateral was concatenated) and
 * striding space by 2 unless it is the first stage.
 */
export function buildStage(
  ctx: BuildContext,
  pathway: PathwayConfig,
  s: number,
  inChannels: number,
  name: string,
): CoSequential {
  const depth = pathway.depths[s] ?? 0;
  const inner = pathway.innerWidths[s] ?? 0;
  const out = pathway.outWidths[s] ?? 0;
  const kt = pathway.convAKernelT[s] ?? 1;
  return new CoSequential(
    name,
    buildAll(
      Array.from(
        { length: depth },
        (_, i) => () =>
          bottleneck(
            ctx,
            `res${i}`,
            i === 0 ? inChannels : out,
            inner,
            out,
            kt,
            i === 0 && s > 0 ? 2 : 1,
            depth,
          ),
      ),
    ),
  );
}

/**
 * A SlowFast lateral connection: conv kt x 1 x 1 with temporal stride `alpha` (padding kt // 2
 * in the 'same' form), BN, ReLU, from the Fast features to `outChannels` channels that are
 * concatenated to the Slow features.
 */
export function buildLateral(
  ctx: BuildContext,
  name: string,
  inChannels: number,
  outChannels: number,
  kt: number,
  alpha: number,
): CoModule {
  return convBn(ctx, {
    name,
    inChannels,
    outChannels,
    kernelSize: [kt, 1, 1],
    stride: [alpha, 1, 1],
    spatialPadding: 'valid',
    activation: 'relu',
    gain: 2,
  });
}

/** The classifier: a linear layer (with bias) over pooled features [N, 1, 1, C]. */
export function buildProjection(
  ctx: BuildContext,
  inChannels: number,
  numClasses: number,
): CoModule {
  return convBn(ctx, {
    name: 'projection',
    inChannels,
    outChannels: numClasses,
    kernelSize: [1, 1, 1],
    spatialPadding: 'valid',
    activation: 'linear',
    gain: 1,
    bias: 'bias',
  });
}
