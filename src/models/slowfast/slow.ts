/**
 * Builds the Slow network (the Slow pathway of SlowFast alone, Feichtenhofer et al. 2019) from
 * src/continual modules, in one of two temporal forms sharing one set of weights:
 * - `'valid'`: CoSlow, the continual network: no temporal padding, so each frame's features are
 *   computed once; its delay is derived from the kernels (two frames per temporal conv_a of
 *   res4/res5, plus the global pool's window - 1).
 * - `'same'`: the published clip model, kt // 2 zero frames around every temporal conv; its
 *   `forward` over T frames is one view's prediction and its `flopsPerClip` the published count.
 *
 * Network: stem (1x7x7 conv, max pool), res2..res5 (see resnet3d.ts), global average pool over
 * space and the last T frames (CoX3D's sliding reformulation of the clip-wide pool), dropout
 * (inference: the identity, left out), linear 2048 -> classes. CoSlow consumes frames at the
 * slow rate (3.75 fps for 8x8: one frame in 8 of 30 fps video).
 */
import { CoGlobalAvgPool } from '../../continual/global-pool';
import type { Alignment } from '../../continual/parallel';
import { CoSequential } from '../../continual/sequential';
import {
  buildAll,
  buildProjection,
  buildStage,
  buildStem,
  type BuildContext,
  type TemporalForm,
} from './resnet3d';
import { validateSlowConfig, type SlowConfig } from './slowfast-config';
import { WeightSource, type WeightsMode } from './weight-source';

/** Options of {@link buildSlow}. */
export interface BuildSlowOptions {
  /** Default 'valid' (the continual network). */
  readonly temporalForm?: TemporalForm;
  /** Frames averaged by the head's pool; default config.frames (T). */
  readonly poolWindow?: number;
  /** Residual alignment of the 'valid' form; default 'centered'. */
  readonly align?: Alignment;
  /** Default 'seeded'. */
  readonly weights?: WeightsMode;
  /** Seed of the seeded weights; default 0. Equal seeds give equal weights. */
  readonly seed?: number;
}

/** A built Slow network and what the build counted. */
export interface SlowNetwork {
  readonly network: CoSequential;
  /** Parameters after BN folding: every kernel and bias element the network holds. */
  readonly params: number;
  readonly config: SlowConfig;
  readonly temporalForm: TemporalForm;
}

/** Checks a temporal form option. */
export function checkForm(form: TemporalForm, where: string): TemporalForm {
  if (form !== 'valid' && form !== 'same') {
    throw new Error(`${where}: temporalForm must be 'valid' or 'same', got '${String(form)}'.`);
  }
  return form;
}

/** Checks a positive integer option. */
export function positiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${what} must be a positive integer, got ${value}.`);
  }
  return value;
}

/**
 * Builds Slow/CoSlow for `config` (see the file comment): frames [N, H, W, 3] in, logits
 * [N, 1, 1, numClasses] out. The caller owns the network (dispose it).
 */
export function buildSlow(config: SlowConfig, options: BuildSlowOptions = {}): SlowNetwork {
  validateSlowConfig(config);
  const form = checkForm(options.temporalForm ?? 'valid', 'buildSlow');
  const poolWindow = positiveInt(options.poolWindow ?? config.frames, 'buildSlow: poolWindow');
  const weights = new WeightSource(options.weights ?? 'seeded', options.seed ?? 0);
  const ctx: BuildContext = { weights, form, align: options.align ?? 'centered' };
  const { pathway } = config;
  let channels = pathway.stemChannels;
  const parts = buildAll([
    () => buildStem(ctx, pathway, 'stem'),
    ...pathway.outWidths.map((width, s) => () => {
      const stage = buildStage(ctx, pathway, s, channels, `s${s + 2}`);
      channels = width;
      return stage;
    }),
    () =>
      new CoSequential(
        'head',
        buildAll([
          () => new CoGlobalAvgPool({ name: 'pool', window: poolWindow }),
          () => buildProjection(ctx, channels, config.numClasses),
        ]),
      ),
  ]);
  return {
    network: new CoSequential(config.id, parts),
    params: weights.params,
    config,
    temporalForm: form,
  };
}
