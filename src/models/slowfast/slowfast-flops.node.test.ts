/**
 * Parameters, FLOPs, delays and junctions of the published Slow-8x8-R50 and SlowFast-8x8-R50,
 * counted by the modules from shapes (networks built with zero weights), against an independent
 * walk of the architecture written here from the papers' tables (no module code), and against
 * the published figures. Node only: 32M-parameter builds on the software WebGPU adapter are slow
 * and test nothing the cpu run does not.
 */
import { describe, expect, it } from 'vitest';
import type { FrameShape } from '../../continual/module';
import { buildSlow } from './slow';
import { buildSlowFast } from './slowfast';
import {
  SLOWFAST_8X8_R50,
  SLOWFAST_PUBLISHED,
  SLOW_8X8_R50,
  deriveSlowConfig,
  type PathwayConfig,
  type SlowConfig,
  type SlowFastConfig,
} from './slowfast-config';

/** What a hand walk counts: multiply-adds of one padded view, parameters, BN channels. */
interface HandCount {
  macs: number;
  params: number;
  bnChannels: number;
}

/** Adds a conv (kernel taps x in x out per output pixel) followed by a BN. */
function addConv(
  count: HandCount,
  frames: number,
  pixels: number,
  taps: number,
  cin: number,
  cout: number,
): void {
  count.macs += frames * pixels * taps * cin * cout;
  count.params += taps * cin * cout + cout;
  count.bnChannels += cout;
}

/**
 * One pathway of ResNet-3D over `frames` frames of size x size: stem conv kt x 7 x 7 stride 2
 * (pad 3), max pool stride 2, stages of bottlenecks (conv_a kt x 1 x 1 at the input size, conv_b
 * 3x3 with the stride, conv_c 1x1, projection shortcut in the first block). `extra[s]` channels
 * are concatenated before stage s (SlowFast laterals). Returns the final channels.
 */
function walkPathway(
  count: HandCount,
  p: PathwayConfig,
  frames: number,
  size: number,
  extra: readonly number[],
  lateral?: (s: number, pixels: number) => void,
): number {
  let h = size / 2;
  addConv(count, frames, h * h, p.stemKernelT * 49, 3, p.stemChannels);
  h = Math.ceil(h / 2);
  let c = p.stemChannels;
  p.depths.forEach((depth, s) => {
    lateral?.(s, h * h);
    const cin = c + (extra[s] ?? 0);
    const m = p.innerWidths[s] as number;
    const o = p.outWidths[s] as number;
    const kt = p.convAKernelT[s] as number;
    const hOut = s === 0 ? h : Math.ceil(h / 2);
    for (let b = 0; b < depth; b++) {
      const inC = b === 0 ? cin : o;
      const inPixels = b === 0 ? h * h : hOut * hOut;
      addConv(count, frames, inPixels, kt, inC, m);
      addConv(count, frames, hOut * hOut, 9, m, m);
      addConv(count, frames, hOut * hOut, 1, m, o);
      if (b === 0) addConv(count, frames, hOut * hOut, 1, cin, o);
    }
    h = hOut;
    c = o;
  });
  return c;
}

function handSlow(config: SlowConfig): HandCount {
  const count = { macs: 0, params: 0, bnChannels: 0 };
  const c = walkPathway(count, config.pathway, config.frames, config.size, []);
  count.macs += c * config.numClasses;
  count.params += c * config.numClasses + config.numClasses;
  return count;
}

function handSlowFast(config: SlowFastConfig): HandCount {
  const count = { macs: 0, params: 0, bnChannels: 0 };
  const slowT = config.frames / config.alpha;
  const fastIn = [config.fast.stemChannels, ...config.fast.outWidths];
  const lateralOut = fastIn.map((c) => c * config.fusionChannelRatio);
  const fastC = walkPathway(count, config.fast, config.frames, config.size, []);
  const slowC = walkPathway(count, config.slow, slowT, config.size, lateralOut, (s, pixels) =>
    // The lateral: kf x 1 x 1 conv, stride alpha, one output per Slow frame.
    addConv(
      count,
      slowT,
      pixels,
      config.fusionKernelT,
      fastIn[s] as number,
      lateralOut[s] as number,
    ),
  );
  count.macs += (slowC + fastC) * config.numClasses;
  count.params += (slowC + fastC) * config.numClasses + config.numClasses;
  return count;
}

const input = (size: number): FrameShape => ({ height: size, width: size, channels: 3 });
const relativeError = (ours: number, published: number): number => Math.abs(ours / published - 1);

describe('Slow-8x8-R50 against the architecture and the published figures', () => {
  const same = buildSlow(SLOW_8X8_R50, { temporalForm: 'same', weights: 'zeros' });
  const valid = buildSlow(SLOW_8X8_R50, { weights: 'zeros' });
  const clip = same.network.flopsPerClip(input(256), 8);
  const step = valid.network.flopsPerStep(input(256));
  const hand = handSlow(SLOW_8X8_R50);
  same.network.dispose();
  valid.network.dispose();

  it('counts exactly what a walk of the architecture counts', () => {
    expect(hand.macs).toBe(54_518_382_592);
    expect(clip.macs).toBe(hand.macs);
    expect(same.params).toBe(hand.params);
    expect(valid.params).toBe(hand.params);
    expect(same.params).toBe(32_427_536);
  });

  it('matches the published 54.52 GFLOPs and 32.45M parameters within 5% (in fact 0.1%)', () => {
    // The published figure: conv + linear multiply-adds of one 8 x 256 x 256 view (fvcore).
    const published = SLOWFAST_PUBLISHED['slow-8x8-r50'];
    expect(relativeError(clip.macs / 1e9, published?.gflopsPerClip ?? 0)).toBeLessThan(0.001);
    // Published parameters hold BN's gamma and beta (2 per channel) where ours hold one folded
    // bias: adding one per normalised channel gives the published figure to its rounding.
    expect(relativeError(same.params / 1e6, published?.paramsMillions ?? 0)).toBeLessThan(0.05);
    expect((same.params + hand.bnChannels) / 1e6).toBeCloseTo(published?.paramsMillions ?? 0, 2);
  });

  it('is counted at 256 x 256: at the 224 training crop it would be 23% below', () => {
    const at224 = buildSlow(deriveSlowConfig(SLOW_8X8_R50, { size: 224 }), {
      temporalForm: 'same',
      weights: 'zeros',
    });
    const macs = at224.network.flopsPerClip(input(224), 8).macs;
    at224.network.dispose();
    // Every feature map is (7/8)^2 as large; only the classifier keeps its size.
    expect(macs).toBe((hand.macs - 2048 * 400) * (49 / 64) + 2048 * 400);
    expect(macs / 1e9).toBeCloseTo(41.74, 2);
  });

  it('streams at one eighth of the clip plus the head: 25 steps of delay', () => {
    // Per step: the view's body on one frame (its multiply-adds / 8), plus the classifier.
    expect(step.macs).toBe((hand.macs - 2048 * 400) / 8 + 2048 * 400);
    // res4 and res5: 9 temporal conv_a of 3 (2 frames each) + the pool's 8 - 1.
    expect(valid.network.delay).toBe(25);
  });
});

describe('SlowFast-8x8-R50 against the architecture and the published figures', () => {
  const same = buildSlowFast(SLOWFAST_8X8_R50, { temporalForm: 'same', weights: 'zeros' });
  const valid = buildSlowFast(SLOWFAST_8X8_R50, { weights: 'zeros' });
  const clip = same.network.flopsPerClip(input(256), 32);
  const step = valid.network.flopsPerStep(input(256));
  const hand = handSlowFast(SLOWFAST_8X8_R50);
  const { junctions, head, delay } = valid.network;
  const viewLength = same.network.receptiveField;
  same.network.dispose();
  valid.network.dispose();

  it('counts exactly what a walk of the architecture counts', () => {
    expect(hand.macs).toBe(65_708_888_064);
    expect(clip.macs).toBe(hand.macs);
    expect(same.params).toBe(hand.params);
    expect(valid.params).toBe(34_536_144);
    expect(viewLength).toBe(32);
  });

  it('matches the published 65.71 GFLOPs and 34.57M parameters within 5% (in fact 0.1%)', () => {
    const published = SLOWFAST_PUBLISHED['slowfast-8x8-r50'];
    expect(relativeError(clip.macs / 1e9, published?.gflopsPerClip ?? 0)).toBeLessThan(0.001);
    expect(relativeError(same.params / 1e6, published?.paramsMillions ?? 0)).toBeLessThan(0.05);
    expect((same.params + hand.bnChannels) / 1e6).toBeCloseTo(published?.paramsMillions ?? 0, 2);
  });

  it('derives its junctions: a delay of 2 after the stem, the Slow stream ahead at res5', () => {
    // Fast stem 5 frames: first output at step 4; lateral 7 frames: 10, +2 = 12 = 0 mod 4.
    // res2/res3 (per-frame Slow conv_a) keep the Slow stream behind; res4's six temporal
    // blocks put it 48 steps further, ahead of the lateral (36), whose first 9 outputs drop.
    expect(junctions).toEqual([
      {
        lateralDelay: 2,
        slowFirst: 0,
        lateralFirst: 12,
        first: 12,
        slowDropped: 3,
        lateralDropped: 0,
      },
      {
        lateralDelay: 0,
        slowFirst: 12,
        lateralFirst: 16,
        first: 16,
        slowDropped: 1,
        lateralDropped: 0,
      },
      {
        lateralDelay: 0,
        slowFirst: 16,
        lateralFirst: 24,
        first: 24,
        slowDropped: 2,
        lateralDropped: 0,
      },
      {
        lateralDelay: 0,
        slowFirst: 72,
        lateralFirst: 36,
        first: 72,
        slowDropped: 0,
        lateralDropped: 9,
      },
    ]);
    // Slow: 72 + 3 blocks * 2 * 4 + (8 - 1) * 4 = 124; Fast: 36 + (32 - 1) = 67.
    expect(head).toEqual({ slowFirst: 124, fastFirst: 67, first: 124 });
    expect(delay).toBe(124);
  });

  it('streams the Fast pathway every step and the Slow one every 4th', () => {
    // The Slow parts (stem, laterals, stages) cost a quarter of their view per step, i.e. 1/32
    // of the view's Slow share; the Fast parts 1/32 of theirs; plus the classifier.
    const classifier = 2304 * 400;
    expect(step.macs).toBeCloseTo((hand.macs - classifier) / 32 + classifier, 0);
    expect(step.macs / 1e9).toBeCloseTo(2.054, 3);
  });
});
