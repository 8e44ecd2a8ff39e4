/**
 * Builds a SlowFast network (Feichtenhofer et al., ICCV 2019) from src/continual modules as a
 * {@link CoSlowFastNetwork}, in one of two temporal forms sharing one set of weights:
 * - `'valid'`: CoSlowFast, the continual network (no temporal padding); it consumes frames at the
 *   Fast rate (15 fps for 8x8), its Slow pathway keeps every alpha-th frame through the Slow
 *   stem's temporal stride and costs 1/alpha per step; delays and junction alignment derived
 *   (see slowfast-network.ts).
 * - `'same'`: the published clip model, kt // 2 zero frames around every temporal conv and
 *   lateral; it classifies one view of T frames (the Slow pathway sees frames 0, alpha, 2 alpha,
 *   ...), and its `flopsPerClip` is the published per-view count.
 *
 * Network (PySlowFast's SlowFast model): Slow stem (1x7x7) and Fast stem (5x7x7, 3 -> 8), each
 * with its max pool; lateral convs kf x 1 x 1 with temporal stride alpha, BN, ReLU, from the
 * Fast features to 2x their channels, after the stems and after every stage but the last, each
 * concatenated to the Slow features; res2..res5 per pathway (resnet3d.ts), the Slow stages taking
 * the concatenated channels; head: global average pool of each pathway over its frames of the
 * view (T / alpha Slow, T Fast), concat, dropout (the identity at inference, left out), linear.
 */
import { CoGlobalAvgPool } from '../../continual/global-pool';
import type { CoModule } from '../../continual/module';
import type { Alignment } from '../../continual/parallel';
import {
  buildAll,
  buildLateral,
  buildProjection,
  buildStage,
  buildStem,
  type BuildContext,
  type TemporalForm,
} from './resnet3d';
import { checkForm } from './slow';
import {
  lateralChannels,
  slowFrames,
  validateSlowFastConfig,
  type SlowFastConfig,
} from './slowfast-config';
import { CoSlowFastNetwork, type SlowFastParts } from './slowfast-network';
import { WeightSource, type WeightsMode } from './weight-source';

/** Options of {@link buildSlowFast}. */
export interface BuildSlowFastOptions {
  /** Default 'valid' (the continual network). */
  readonly temporalForm?: TemporalForm;
  /** Residual alignment of the 'valid' form; default 'centered'. */
  readonly align?: Alignment;
  /** Default 'seeded'. */
  readonly weights?: WeightsMode;
  /** Seed of the seeded weights; default 0. Equal seeds give equal weights. */
  readonly seed?: number;
  /** 'valid' only: delays before the laterals (default derived; for tests of the check). */
  readonly lateralDelays?: readonly number[];
}

/** A built SlowFast network and what the build counted. */
export interface SlowFastNetwork {
  readonly network: CoSlowFastNetwork;
  /** Parameters after BN folding: every kernel and bias element the network holds. */
  readonly params: number;
  readonly config: SlowFastConfig;
  readonly temporalForm: TemporalForm;
}

/** Disposes every module of (partly built) parts. */
function disposeParts(
  parts: Partial<Record<keyof SlowFastParts, CoModule | readonly CoModule[]>>,
): void {
  for (const value of Object.values(parts)) {
    if (value === undefined) continue;
    if ('dispose' in value) value.dispose();
    else value.forEach((m) => m.dispose());
  }
}

/**
 * Builds SlowFast/CoSlowFast for `config` (see the file comment): frames [N, H, W, 3] at the Fast
 * rate in, logits [N, 1, 1, numClasses] out. The caller owns the network (dispose it).
 */
export function buildSlowFast(
  config: SlowFastConfig,
  options: BuildSlowFastOptions = {},
): SlowFastNetwork {
  validateSlowFastConfig(config);
  const form = checkForm(options.temporalForm ?? 'valid', 'buildSlowFast');
  const weights = new WeightSource(options.weights ?? 'seeded', options.seed ?? 0);
  const ctx: BuildContext = { weights, form, align: options.align ?? 'centered' };
  const { slow, fast, alpha } = config;
  const laterals: CoModule[] = [];
  const slowStages: CoModule[] = [];
  const fastStages: CoModule[] = [];
  const built: Partial<Record<keyof SlowFastParts, CoModule | readonly CoModule[]>> = {
    laterals,
    slowStages,
    fastStages,
  };
  let parts: SlowFastParts;
  try {
    // Build order = weight draw order, the same in both forms.
    const slowStem = buildStem(ctx, slow, 'slow_stem', alpha);
    built.slowStem = slowStem;
    const fastStem = buildStem(ctx, fast, 'fast_stem');
    built.fastStem = fastStem;
    let slowChannels = slow.stemChannels;
    let fastChannels = fast.stemChannels;
    slow.depths.forEach((_, s) => {
      const lateral = lateralChannels(config, s);
      laterals.push(
        buildLateral(ctx, `lateral${s}`, fastChannels, lateral, config.fusionKernelT, alpha),
      );
      slowStages.push(buildStage(ctx, slow, s, slowChannels + lateral, `slow_s${s + 2}`));
      fastStages.push(buildStage(ctx, fast, s, fastChannels, `fast_s${s + 2}`));
      slowChannels = slow.outWidths[s] ?? 0;
      fastChannels = fast.outWidths[s] ?? 0;
    });
    const [slowPool, fastPool, projection] = buildAll([
      () => new CoGlobalAvgPool({ name: 'slow_pool', window: slowFrames(config) }),
      () => new CoGlobalAvgPool({ name: 'fast_pool', window: config.frames }),
      () => buildProjection(ctx, slowChannels + fastChannels, config.numClasses),
    ]) as [CoModule, CoModule, CoModule];
    parts = {
      slowStem,
      fastStem,
      laterals,
      slowStages,
      fastStages,
      slowPool,
      fastPool,
      projection,
    };
  } catch (e) {
    disposeParts(built);
    throw e;
  }
  try {
    const network = new CoSlowFastNetwork(config.id, parts, {
      temporalForm: form,
      ...(options.lateralDelays === undefined ? {} : { lateralDelays: options.lateralDelays }),
    });
    return { network, params: weights.params, config, temporalForm: form };
  } catch (e) {
    disposeParts({ ...parts });
    throw e;
  }
}
