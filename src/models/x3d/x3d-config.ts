/**
 * The X3D family (Feichtenhofer, "X3D: Expanding Architectures for Efficient Video Recognition",
 * CVPR 2020) as configurations: stage depths and widths, the published input of each model, and
 * the widths derived from them by X3D's rounding rules (as the SlowFast and PyTorchVideo
 * reference implementations apply them).
 */

/** One X3D model: the architecture's free parameters and its published input. */
export interface X3dConfig {
  /** Short id, e.g. 'x3d-s'. */
  readonly id: string;
  /** Name shown to people, e.g. 'X3D-S'. */
  readonly displayName: string;
  /** Output channels of the stem (3 -> stemChannels). */
  readonly stemChannels: number;
  /** Temporal kernel of the stem's channelwise conv. */
  readonly stemKernelT: number;
  /** Blocks per stage (res2..res5). */
  readonly depths: readonly number[];
  /** Output channels per stage (res2..res5). */
  readonly widths: readonly number[];
  /** Inner (3x3x3) width of a block = floor(expansion * stage width). */
  readonly expansion: number;
  /** Temporal kernel of every block's channelwise 3x3x3 conv. */
  readonly blockKernelT: number;
  /** Squeeze-excitation reduction ratio (applied to the inner width, rounded to a multiple of 8). */
  readonly seRatio: number;
  /** Channels of conv5, the 1x1x1 conv before the global pool. */
  readonly conv5Channels: number;
  /** Width of the hidden linear layer of the head (lin5). */
  readonly headChannels: number;
  /** Classes of the last linear layer. */
  readonly numClasses: number;
  /** Published clip length T (frames per view). */
  readonly frames: number;
  /** Published spatial size (square crops, H = W). */
  readonly size: number;
  /** Frames per second the published clips are sampled at (30 fps video / sampling rate). */
  readonly frameRate: number;
}

/**
 * X3D's width rounding: width * multiplier to the nearest multiple of `divisor` (at least
 * `minWidth`), bumped up one step when rounding lost more than 10%.
 */
export function roundWidth(width: number, multiplier: number, minWidth = 8, divisor = 8): number {
  const scaled = width * multiplier;
  let rounded = Math.max(minWidth, Math.floor((scaled + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * scaled) rounded += divisor;
  return rounded;
}

/** X3D's depth rounding: ceil(multiplier * repeats). */
export function roundRepeats(repeats: number, multiplier: number): number {
  return Math.ceil(multiplier * repeats);
}

/** Inner (channelwise conv) width of a block of a stage of `width` output channels. */
export function innerWidth(config: X3dConfig, width: number): number {
  return Math.floor(config.expansion * width);
}

/** Bottleneck width of the squeeze-excitation of a block whose inner width is `inner`. */
export function seWidth(config: X3dConfig, inner: number): number {
  return roundWidth(inner, config.seRatio);
}

/** Whether block `index` (0-based within its stage) has a squeeze-excitation: every other one. */
export function hasSqueezeExcitation(index: number): boolean {
  return index % 2 === 0;
}

// The X3D base network: res2..res5 of 1, 2, 5, 3 blocks, stem width 12, each stage doubling
// the width (rounded); the models scale it by a width factor (2 for all four) and a depth
// factor (2.2 for XS/S/M, 5 for L).
const BASE_DEPTHS = [1, 2, 5, 3] as const;
const BASE_STEM = 12;
const WIDTH_FACTOR = 2;

function stageWidths(): number[] {
  // res2 has the stem's (unscaled) base width, each later stage twice the one before, all then
  // scaled by the width factor: 12, 24, 48, 96 -> 24, 48, 96, 192.
  const widths: number[] = [];
  let base = BASE_STEM;
  for (let s = 0; s < 4; s++) {
    widths.push(roundWidth(base, WIDTH_FACTOR));
    base = roundWidth(base, 2);
  }
  return widths;
}

function family(
  id: string,
  displayName: string,
  depthFactor: number,
  frames: number,
  size: number,
  frameRate: number,
): X3dConfig {
  return {
    id,
    displayName,
    stemChannels: roundWidth(BASE_STEM, WIDTH_FACTOR),
    stemKernelT: 5,
    depths: BASE_DEPTHS.map((d) => roundRepeats(d, depthFactor)),
    widths: stageWidths(),
    expansion: 2.25,
    blockKernelT: 3,
    seRatio: 1 / 16,
    conv5Channels: 432,
    headChannels: 2048,
    numClasses: 400,
    frames,
    size,
    frameRate,
  };
}

/** X3D-XS: 4 frames of 160x160, sampled every 12th frame of 30 fps video. */
export const X3D_XS: X3dConfig = family('x3d-xs', 'X3D-XS', 2.2, 4, 160, 2.5);
/** X3D-S: 13 frames of 160x160, every 6th frame. */
export const X3D_S: X3dConfig = family('x3d-s', 'X3D-S', 2.2, 13, 160, 5);
/** X3D-M: 16 frames of 224x224, every 5th frame. */
export const X3D_M: X3dConfig = family('x3d-m', 'X3D-M', 2.2, 16, 224, 6);
/** X3D-L: 16 frames of 312x312, every 5th frame, 5x the base depth. */
export const X3D_L: X3dConfig = family('x3d-l', 'X3D-L', 5, 16, 312, 6);

/** The four published models, smallest first. */
export const X3D_CONFIGS: readonly X3dConfig[] = [X3D_XS, X3D_S, X3D_M, X3D_L];

/**
 * Published figures of the X3D paper: inference GFLOPs per view (multiply-adds of convolutions
 * and linear layers, the clip model with temporal padding at the published input) and millions
 * of parameters; and of the CoX3D paper (Hedegaard and Iosifidis, ECCV 2022), whose profiler
 * also counts other ops (see tools/flops/README.md), per clip for X3D and per step for CoX3D.
 */
export interface X3dPublishedCost {
  readonly gflopsPerClip: number;
  readonly paramsMillions: number;
  /** CoX3D paper: X3D GFLOPs per clip with its counting tool, or null where not published. */
  readonly coX3dPaperClipGflops: number | null;
  /** CoX3D paper: CoX3D GFLOPs per step, or null where not published. */
  readonly coX3dPaperStepGflops: number | null;
}

/** Published costs by config id. */
export const X3D_PUBLISHED: Readonly<Record<string, X3dPublishedCost>> = {
  'x3d-xs': {
    gflopsPerClip: 0.6,
    paramsMillions: 3.76,
    coX3dPaperClipGflops: null,
    coX3dPaperStepGflops: null,
  },
  'x3d-s': {
    gflopsPerClip: 1.96,
    paramsMillions: 3.76,
    coX3dPaperClipGflops: 2.06,
    coX3dPaperStepGflops: 0.17,
  },
  'x3d-m': {
    gflopsPerClip: 4.73,
    paramsMillions: 3.76,
    coX3dPaperClipGflops: 4.97,
    coX3dPaperStepGflops: 0.33,
  },
  'x3d-l': {
    gflopsPerClip: 18.37,
    paramsMillions: 6.08,
    coX3dPaperClipGflops: 19.17,
    coX3dPaperStepGflops: 1.25,
  },
};

/**
 * A copy of `base` with some fields replaced, checked: for reduced test networks (tiny widths
 * and sizes) and other clip lengths (CoX3D-S with T = 64).
 */
export function deriveX3dConfig(base: X3dConfig, changes: Partial<X3dConfig>): X3dConfig {
  const config: X3dConfig = { ...base, ...changes };
  validateX3dConfig(config);
  return config;
}

/** Throws a clear error for an inconsistent configuration. */
export function validateX3dConfig(config: X3dConfig): void {
  const where = `X3D config "${config.id}"`;
  const positive = (v: number) => Number.isInteger(v) && v > 0;
  if (config.depths.length !== 4 || !config.depths.every(positive)) {
    throw new Error(`${where}: depths must be 4 positive integers.`);
  }
  if (config.widths.length !== 4 || !config.widths.every(positive)) {
    throw new Error(`${where}: widths must be 4 positive integers.`);
  }
  for (const [key, value] of [
    ['stemChannels', config.stemChannels],
    ['stemKernelT', config.stemKernelT],
    ['blockKernelT', config.blockKernelT],
    ['conv5Channels', config.conv5Channels],
    ['headChannels', config.headChannels],
    ['numClasses', config.numClasses],
    ['frames', config.frames],
    ['size', config.size],
  ] as const) {
    if (!positive(value)) throw new Error(`${where}: ${key} must be a positive integer.`);
  }
  // Odd temporal kernels: the padded clip twin pads kt // 2 on each side and 'centered'
  // residuals crop (kt - 1) / 2 frames at each end.
  if (config.stemKernelT % 2 !== 1 || config.blockKernelT % 2 !== 1) {
    throw new Error(`${where}: temporal kernels must be odd.`);
  }
  if (!(config.expansion >= 1) || !(config.seRatio > 0) || !(config.frameRate > 0)) {
    throw new Error(`${where}: expansion >= 1, seRatio > 0 and frameRate > 0 are required.`);
  }
}
