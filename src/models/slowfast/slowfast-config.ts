/**
 * The Slow and SlowFast networks (Feichtenhofer, Fan, Malik and He, "SlowFast Networks for Video
 * Recognition", ICCV 2019) as configurations: the ResNet-3D shape of each pathway, the fusion
 * between them, and the published input, as PySlowFast's SLOW_8x8_R50 and SLOWFAST_8x8_R50
 * configs build them; plus reduced configurations that run live in a browser.
 */

/** One ResNet-3D pathway (the Slow or the Fast one): its stem and its bottleneck stages. */
export interface PathwayConfig {
  /** Output channels of the stem's 7x7 conv (3 -> stemChannels). */
  readonly stemChannels: number;
  /** Temporal kernel of the stem's conv (1 for the Slow pathway, 5 for the Fast one). */
  readonly stemKernelT: number;
  /** Bottleneck blocks per stage (res2, res3, ...). */
  readonly depths: readonly number[];
  /** Width of conv_a and conv_b of each stage's blocks. */
  readonly innerWidths: readonly number[];
  /** Output channels (conv_c and the shortcut) of each stage. */
  readonly outWidths: readonly number[];
  /**
   * Temporal kernel of conv_a (kt x 1 x 1) in each stage: SlowFast keeps the Slow pathway's
   * early stages per-frame (1) and makes res4/res5 temporal (3); the Fast pathway is temporal
   * everywhere.
   */
  readonly convAKernelT: readonly number[];
}

/** Slow-only network (the "Slow" baseline of the paper): one pathway at the slow rate. */
export interface SlowConfig {
  /** Short id, e.g. 'slow-8x8-r50'. */
  readonly id: string;
  /** Name shown to people, e.g. 'Slow-8x8-R50'. */
  readonly displayName: string;
  readonly pathway: PathwayConfig;
  /** Classes of the last linear layer. */
  readonly numClasses: number;
  /** Clip length T of one view (frames at the slow rate). */
  readonly frames: number;
  /** Spatial size of one view (square, H = W). */
  readonly size: number;
  /** Frames per second the network consumes (30 fps video / sampling rate). */
  readonly frameRate: number;
}

/** SlowFast network: a Slow and a Fast pathway with lateral connections from Fast to Slow. */
export interface SlowFastConfig {
  /** Short id, e.g. 'slowfast-8x8-r50'. */
  readonly id: string;
  /** Name shown to people, e.g. 'SlowFast-8x8-R50'. */
  readonly displayName: string;
  readonly slow: PathwayConfig;
  /** Same number of stages as `slow`. */
  readonly fast: PathwayConfig;
  /** Frame-rate ratio: the Fast pathway sees `alpha` frames per Slow frame. */
  readonly alpha: number;
  /** Temporal kernel of the lateral convs (PySlowFast FUSION_KERNEL_SZ: 7 for 8x8, 5 for 4x16). */
  readonly fusionKernelT: number;
  /** Lateral output channels per Fast channel (FUSION_CONV_CHANNEL_RATIO, 2). */
  readonly fusionChannelRatio: number;
  readonly numClasses: number;
  /** Clip length of one view at the Fast rate (the Slow pathway sees frames / alpha). */
  readonly frames: number;
  readonly size: number;
  /** Frames per second the network consumes: the Fast rate. */
  readonly frameRate: number;
}

/**
 * ResNet-50's Slow pathway: res2..res5 of 3, 4, 6, 3 blocks, bottleneck ratio 4, conv_a
 * temporal only in res4 and res5 (PySlowFast's temporal kernel basis for 'slow' and 'slowfast').
 */
const SLOW_R50: PathwayConfig = {
  stemChannels: 64,
  stemKernelT: 1,
  depths: [3, 4, 6, 3],
  innerWidths: [64, 128, 256, 512],
  outWidths: [256, 512, 1024, 2048],
  convAKernelT: [1, 1, 3, 3],
};

/** ResNet-50's Fast pathway: beta = 1/8 of the Slow widths, 5x7x7 stem, temporal conv_a everywhere. */
const FAST_R50: PathwayConfig = {
  stemChannels: 8,
  stemKernelT: 5,
  depths: [3, 4, 6, 3],
  innerWidths: [8, 16, 32, 64],
  outWidths: [32, 64, 128, 256],
  convAKernelT: [3, 3, 3, 3],
};

/**
 * Size of the published view, 256 x 256: PySlowFast tests (and PyTorchVideo's model zoo counts
 * GFLOPs) on 3 crops of 256 x 256 (TEST_CROP_SIZE), though training crops are 224. The
 * published 54.52 and 65.71 GFLOPs are reproduced at 256 only: at 224 the multiply-adds are
 * (224 / 256)^2 = 0.77 of them (41.7 and 50.3 GFLOPs).
 */
const PUBLISHED_VIEW = 256;

/** Slow-8x8-R50: 8 frames sampled 1 in 8 from 30 fps video (3.75 fps). */
export const SLOW_8X8_R50: SlowConfig = {
  id: 'slow-8x8-r50',
  displayName: 'Slow-8x8-R50',
  pathway: SLOW_R50,
  numClasses: 400,
  frames: 8,
  size: PUBLISHED_VIEW,
  frameRate: 30 / 8,
};

/**
 * SlowFast-8x8-R50: the Fast pathway sees 32 frames sampled 1 in 2 (15 fps), the Slow one every
 * 4th of them (alpha = 4: 8 frames, 1 in 8), lateral convs 7x1x1 with temporal stride 4.
 */
export const SLOWFAST_8X8_R50: SlowFastConfig = {
  id: 'slowfast-8x8-r50',
  displayName: 'SlowFast-8x8-R50',
  slow: SLOW_R50,
  fast: FAST_R50,
  alpha: 4,
  fusionKernelT: 7,
  fusionChannelRatio: 2,
  numClasses: 400,
  frames: 32,
  size: PUBLISHED_VIEW,
  frameRate: 15,
};

/**
 * Browser-live Slow: 112 x 112 frames (a quarter of the pixels of a 224 crop), a quarter of the
 * R50 widths (stem 16, out 64..512) and two blocks per stage (res4/res5 keep their temporal
 * conv_a, so the network still has a temporal receptive field): 1.33M parameters, 0.055 GFLOPs
 * a step. Measured on wasm (headless chromium, 2 shared vCPUs, 2026-11-25): median 4.9 ms a
 * step (mean 6.0); the full R50 depths [3, 4, 6, 3] at these widths took 8.5-9.6 ms (mean
 * 9.4-10.9) and the full widths at 112 cost 1.3 GFLOPs a step, about 100 ms there. Two blocks
 * per stage are chosen over the full depth for the start-up: a delay of 15 steps (4 s at 3.75
 * fps) against 25 (6.7 s), within the 5-20 ms budget either way.
 */
export const SLOW_SMALL: SlowConfig = {
  id: 'slow-small',
  displayName: 'Slow-small',
  pathway: {
    stemChannels: 16,
    stemKernelT: 1,
    depths: [2, 2, 2, 2],
    innerWidths: [16, 32, 64, 128],
    outWidths: [64, 128, 256, 512],
    convAKernelT: [1, 1, 3, 3],
  },
  numClasses: 400,
  frames: 8,
  size: 112,
  frameRate: 30 / 8,
};

/**
 * Browser-live SlowFast: the Slow pathway of {@link SLOW_SMALL}, a Fast pathway of beta = 1/4 of
 * its widths (stem 4, out 16..128: 1/8 would leave a 2-channel stem, too thin to carry
 * anything), alpha = 4 and 7x1x1 laterals as in 8x8-R50, 32 frames at 15 fps: 1.68M parameters,
 * 0.031 GFLOPs a step (the Fast pathway every step, the Slow one every 4th). Measured on wasm
 * as above: median 5.4-10.2 ms a step (mean 7.6-10.9; the Slow steps are the slow ones), the
 * full depths 6.8 ms (mean 9.5) but with a delay of 124 steps (8.3 s) against 80 (5.3 s).
 */
export const SLOWFAST_SMALL: SlowFastConfig = {
  id: 'slowfast-small',
  displayName: 'SlowFast-small',
  slow: SLOW_SMALL.pathway,
  fast: {
    stemChannels: 4,
    stemKernelT: 5,
    depths: [2, 2, 2, 2],
    innerWidths: [4, 8, 16, 32],
    outWidths: [16, 32, 64, 128],
    convAKernelT: [3, 3, 3, 3],
  },
  alpha: 4,
  fusionKernelT: 7,
  fusionChannelRatio: 2,
  numClasses: 400,
  frames: 32,
  size: 112,
  frameRate: 15,
};

/** Published figures: GFLOPs per view (multiply-adds, 'same' clip model) and parameters. */
export interface SlowFastPublishedCost {
  /**
   * PyTorchVideo model zoo, Kinetics-400 ("Flops (G) x views"; PySlowFast's MODEL_ZOO lists the
   * same models): multiply-adds of the convolutions and the linear layer counted by fvcore over
   * one 256 x 256 view (BN, ReLU, pooling and additions are not counted).
   */
  readonly gflopsPerClip: number;
  /** Millions of parameters, BN's affine weights included (2 per normalised channel). */
  readonly paramsMillions: number;
}

/** Published costs by config id. */
export const SLOWFAST_PUBLISHED: Readonly<Record<string, SlowFastPublishedCost>> = {
  'slow-8x8-r50': { gflopsPerClip: 54.52, paramsMillions: 32.45 },
  'slowfast-8x8-r50': { gflopsPerClip: 65.71, paramsMillions: 34.57 },
};

function isPositiveInt(v: number): boolean {
  return Number.isInteger(v) && v > 0;
}

/** Throws a clear error for an inconsistent pathway; `where` names it. */
export function validatePathway(pathway: PathwayConfig, where: string): void {
  const stages = pathway.depths.length;
  if (stages === 0) throw new Error(`${where}: needs at least one stage.`);
  for (const [key, list] of [
    ['depths', pathway.depths],
    ['innerWidths', pathway.innerWidths],
    ['outWidths', pathway.outWidths],
    ['convAKernelT', pathway.convAKernelT],
  ] as const) {
    if (list.length !== stages || !list.every(isPositiveInt)) {
      throw new Error(`${where}: ${key} must be ${stages} positive integers (one per stage).`);
    }
  }
  if (!isPositiveInt(pathway.stemChannels) || !isPositiveInt(pathway.stemKernelT)) {
    throw new Error(`${where}: stemChannels and stemKernelT must be positive integers.`);
  }
  // Odd temporal kernels: the 'same' form pads kt // 2 on each side and 'centered' residuals
  // crop (kt - 1) / 2 frames at each end.
  if (pathway.stemKernelT % 2 !== 1 || !pathway.convAKernelT.every((k) => k % 2 === 1)) {
    throw new Error(`${where}: temporal kernels must be odd.`);
  }
}

function validateCommon(
  where: string,
  config: { numClasses: number; frames: number; size: number; frameRate: number },
): void {
  for (const key of ['numClasses', 'frames', 'size'] as const) {
    if (!isPositiveInt(config[key]))
      throw new Error(`${where}: ${key} must be a positive integer.`);
  }
  if (!(config.frameRate > 0)) throw new Error(`${where}: frameRate must be positive.`);
}

/** Throws a clear error for an inconsistent Slow configuration. */
export function validateSlowConfig(config: SlowConfig): void {
  const where = `Slow config "${config.id}"`;
  validatePathway(config.pathway, where);
  validateCommon(where, config);
}

/** Throws a clear error for an inconsistent SlowFast configuration. */
export function validateSlowFastConfig(config: SlowFastConfig): void {
  const where = `SlowFast config "${config.id}"`;
  validatePathway(config.slow, `${where} (slow pathway)`);
  validatePathway(config.fast, `${where} (fast pathway)`);
  validateCommon(where, config);
  if (config.slow.depths.length !== config.fast.depths.length) {
    throw new Error(`${where}: the two pathways must have the same number of stages.`);
  }
  if (!isPositiveInt(config.alpha)) throw new Error(`${where}: alpha must be a positive integer.`);
  if (config.frames % config.alpha !== 0) {
    throw new Error(
      `${where}: frames (${config.frames}) must be a multiple of alpha (${config.alpha}), so the Slow pathway sees frames / alpha of them.`,
    );
  }
  if (!isPositiveInt(config.fusionKernelT) || config.fusionKernelT % 2 !== 1) {
    throw new Error(`${where}: fusionKernelT must be an odd positive integer.`);
  }
  if (!isPositiveInt(config.fusionChannelRatio)) {
    throw new Error(`${where}: fusionChannelRatio must be a positive integer.`);
  }
}

/** Frames of one view the Slow pathway of a SlowFast config sees: frames / alpha. */
export function slowFrames(config: SlowFastConfig): number {
  return config.frames / config.alpha;
}

/**
 * Channels of the lateral connection before stage `s` (0 = after the stem): fusionChannelRatio
 * times the Fast pathway's channels there.
 */
export function lateralChannels(config: SlowFastConfig, s: number): number {
  const fast = s === 0 ? config.fast.stemChannels : (config.fast.outWidths[s - 1] ?? 0);
  return config.fusionChannelRatio * fast;
}

/** A copy of a Slow config with some fields replaced, checked (reduced test networks). */
export function deriveSlowConfig(base: SlowConfig, changes: Partial<SlowConfig>): SlowConfig {
  const config: SlowConfig = { ...base, ...changes };
  validateSlowConfig(config);
  return config;
}

/** A copy of a SlowFast config with some fields replaced, checked (reduced test networks). */
export function deriveSlowFastConfig(
  base: SlowFastConfig,
  changes: Partial<SlowFastConfig>,
): SlowFastConfig {
  const config: SlowFastConfig = { ...base, ...changes };
  validateSlowFastConfig(config);
  return config;
}
