/** The Slow/SlowFast configurations: the published shapes, derived quantities and validation. */
import { describe, expect, it } from 'vitest';
import {
  SLOWFAST_8X8_R50,
  SLOWFAST_PUBLISHED,
  SLOWFAST_SMALL,
  SLOW_8X8_R50,
  SLOW_SMALL,
  deriveSlowConfig,
  deriveSlowFastConfig,
  lateralChannels,
  slowFrames,
  validatePathway,
  validateSlowConfig,
  validateSlowFastConfig,
  type PathwayConfig,
} from './slowfast-config';

describe('published configurations', () => {
  it('Slow-8x8-R50: ResNet-50 widths and depths, temporal conv_a in res4/res5, 8 frames', () => {
    expect(SLOW_8X8_R50.pathway).toEqual({
      stemChannels: 64,
      stemKernelT: 1,
      depths: [3, 4, 6, 3],
      innerWidths: [64, 128, 256, 512],
      outWidths: [256, 512, 1024, 2048],
      convAKernelT: [1, 1, 3, 3],
    });
    expect(SLOW_8X8_R50).toMatchObject({ frames: 8, size: 256, numClasses: 400 });
    expect(SLOW_8X8_R50.frameRate).toBeCloseTo(3.75, 12);
  });

  it('SlowFast-8x8-R50: beta = 1/8, alpha = 4, 7x1x1 laterals of 2x the Fast channels', () => {
    const { slow, fast } = SLOWFAST_8X8_R50;
    expect(slow).toEqual(SLOW_8X8_R50.pathway);
    expect(fast.stemChannels * 8).toBe(slow.stemChannels);
    expect(fast.innerWidths.map((w) => w * 8)).toEqual(slow.innerWidths);
    expect(fast.outWidths.map((w) => w * 8)).toEqual(slow.outWidths);
    expect(fast.stemKernelT).toBe(5);
    expect(fast.convAKernelT).toEqual([3, 3, 3, 3]);
    expect(SLOWFAST_8X8_R50).toMatchObject({
      alpha: 4,
      fusionKernelT: 7,
      fusionChannelRatio: 2,
      frames: 32,
      frameRate: 15,
    });
    expect(slowFrames(SLOWFAST_8X8_R50)).toBe(8);
    // PySlowFast's Slow res2..res5 inputs: 64 + 16, 256 + 64, 512 + 128, 1024 + 256.
    expect([0, 1, 2, 3].map((s) => lateralChannels(SLOWFAST_8X8_R50, s))).toEqual([
      16, 64, 128, 256,
    ]);
  });

  it('lists the published costs', () => {
    expect(SLOWFAST_PUBLISHED).toEqual({
      'slow-8x8-r50': { gflopsPerClip: 54.52, paramsMillions: 32.45 },
      'slowfast-8x8-r50': { gflopsPerClip: 65.71, paramsMillions: 34.57 },
    });
  });

  it('small configurations are valid and share the Slow pathway', () => {
    expect(() => validateSlowConfig(SLOW_SMALL)).not.toThrow();
    expect(() => validateSlowFastConfig(SLOWFAST_SMALL)).not.toThrow();
    expect(SLOWFAST_SMALL.slow).toBe(SLOW_SMALL.pathway);
    expect(SLOW_SMALL.size).toBe(112);
    expect(SLOWFAST_SMALL.frames / SLOWFAST_SMALL.alpha).toBe(SLOW_SMALL.frames);
  });
});

describe('validation', () => {
  const pathway = SLOW_8X8_R50.pathway;
  const bad = (changes: Partial<PathwayConfig>) => () =>
    validatePathway({ ...pathway, ...changes }, 'P');

  it('checks every per-stage list against the number of stages', () => {
    expect(bad({ depths: [] })).toThrow(/P: needs at least one stage/);
    expect(bad({ innerWidths: [64, 128, 256] })).toThrow(
      /P: innerWidths must be 4 positive integers \(one per stage\)/,
    );
    expect(bad({ outWidths: [256, 512, 1024, 0] })).toThrow(/outWidths must be 4/);
    expect(bad({ depths: [3, 4, 6, 2.5] })).toThrow(/depths must be 4/);
    expect(bad({ convAKernelT: [1, 1, 3] })).toThrow(/convAKernelT must be 4/);
    expect(bad({ stemChannels: 0 })).toThrow(/stemChannels and stemKernelT must be positive/);
    expect(bad({ stemKernelT: 2 })).toThrow(/temporal kernels must be odd/);
    expect(bad({ convAKernelT: [1, 1, 2, 3] })).toThrow(/temporal kernels must be odd/);
    expect(bad({})).not.toThrow();
  });

  it('checks the shared fields', () => {
    const slow = (changes: object) => () => deriveSlowConfig(SLOW_8X8_R50, changes);
    expect(slow({ numClasses: 0 })).toThrow(/Slow config "slow-8x8-r50": numClasses must be/);
    expect(slow({ size: 1.5 })).toThrow(/size must be a positive integer/);
    expect(slow({ frameRate: 0 })).toThrow(/frameRate must be positive/);
    expect(slow({ pathway: { ...pathway, stemKernelT: 4 } })).toThrow(/odd/);
    const derived = deriveSlowConfig(SLOW_8X8_R50, { frames: 4 });
    expect(derived).toEqual({ ...SLOW_8X8_R50, frames: 4 });
    expect(SLOW_8X8_R50.frames).toBe(8);
  });

  it('checks the SlowFast fields', () => {
    const sf = (changes: object) => () => deriveSlowFastConfig(SLOWFAST_8X8_R50, changes);
    expect(sf({ fast: { ...SLOWFAST_8X8_R50.fast, depths: [3, 4, 6] } })).toThrow(
      /\(fast pathway\): innerWidths must be 3/,
    );
    const threeStages: PathwayConfig = {
      ...SLOWFAST_8X8_R50.fast,
      depths: [1, 1, 1],
      innerWidths: [1, 1, 1],
      outWidths: [1, 1, 1],
      convAKernelT: [1, 1, 1],
    };
    expect(sf({ fast: threeStages })).toThrow(
      /the two pathways must have the same number of stages/,
    );
    expect(sf({ alpha: 0 })).toThrow(/alpha must be a positive integer/);
    expect(sf({ alpha: 3 })).toThrow(/frames \(32\) must be a multiple of alpha \(3\)/);
    expect(sf({ fusionKernelT: 4 })).toThrow(/fusionKernelT must be an odd positive integer/);
    expect(sf({ fusionKernelT: 0 })).toThrow(/fusionKernelT must be an odd positive integer/);
    expect(sf({ fusionChannelRatio: 0 })).toThrow(/fusionChannelRatio must be a positive integer/);
    expect(sf({ numClasses: -1 })).toThrow(/SlowFast config "slowfast-8x8-r50": numClasses/);
    expect(sf({ slow: { ...pathway, stemChannels: 0 } })).toThrow(/\(slow pathway\)/);
    expect(sf({ alpha: 8 })().alpha).toBe(8);
  });
});
