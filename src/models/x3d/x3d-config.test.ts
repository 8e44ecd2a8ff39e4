import { describe, expect, it } from 'vitest';
import {
  X3D_CONFIGS,
  X3D_L,
  X3D_M,
  X3D_PUBLISHED,
  X3D_S,
  X3D_XS,
  deriveX3dConfig,
  hasSqueezeExcitation,
  innerWidth,
  roundRepeats,
  roundWidth,
  seWidth,
  validateX3dConfig,
} from './x3d-config';

describe('X3D rounding rules', () => {
  it('rounds widths to the nearest multiple of 8, at least 8, bumping a >10% loss', () => {
    expect(roundWidth(12, 2)).toBe(24);
    expect(roundWidth(24, 2)).toBe(48);
    expect(roundWidth(54, 1 / 16)).toBe(8); // 3.375 -> the minimum
    expect(roundWidth(216, 1 / 16)).toBe(16); // 13.5 -> 16
    // 432 / 16 = 27 rounds to 24, which loses more than 10% (24 < 24.3): bumped to 32.
    expect(roundWidth(432, 1 / 16)).toBe(32);
    expect(roundWidth(20, 1)).toBe(24); // 20 + 4 = 24 -> 24
    expect(roundWidth(18, 1)).toBe(24); // 22 -> 16, which is below 16.2: bumped
    expect(roundWidth(17, 1)).toBe(16); // 21 -> 16, not below 15.3: kept
    expect(roundWidth(3, 1, 4, 4)).toBe(4); // own minimum and divisor
  });

  it('rounds depths up', () => {
    expect(roundRepeats(1, 2.2)).toBe(3);
    expect(roundRepeats(5, 2.2)).toBe(11);
    expect(roundRepeats(3, 5)).toBe(15);
    expect(roundRepeats(2, 1)).toBe(2);
  });
});

describe('the published X3D configurations', () => {
  it('have the stage widths, depths and inputs of the paper', () => {
    for (const c of [X3D_XS, X3D_S, X3D_M, X3D_L]) {
      expect(c.widths).toEqual([24, 48, 96, 192]);
      expect(c.stemChannels).toBe(24);
      expect(c.conv5Channels).toBe(432);
      expect(c.headChannels).toBe(2048);
      expect(c.numClasses).toBe(400);
      expect([c.stemKernelT, c.blockKernelT]).toEqual([5, 3]);
    }
    for (const c of [X3D_XS, X3D_S, X3D_M]) expect(c.depths).toEqual([3, 5, 11, 7]);
    expect(X3D_L.depths).toEqual([5, 10, 25, 15]);
    expect([X3D_XS.frames, X3D_XS.size]).toEqual([4, 160]);
    expect([X3D_S.frames, X3D_S.size]).toEqual([13, 160]);
    expect([X3D_M.frames, X3D_M.size]).toEqual([16, 224]);
    expect([X3D_L.frames, X3D_L.size]).toEqual([16, 312]);
    expect(X3D_CONFIGS.map((c) => c.id)).toEqual(['x3d-xs', 'x3d-s', 'x3d-m', 'x3d-l']);
  });

  it('derive the inner (2.25x) and squeeze-excitation widths', () => {
    expect(X3D_M.widths.map((w) => innerWidth(X3D_M, w))).toEqual([54, 108, 216, 432]);
    expect([54, 108, 216, 432].map((i) => seWidth(X3D_M, i))).toEqual([8, 8, 16, 32]);
  });

  it('put a squeeze-excitation on blocks 0, 2, 4, ... of each stage', () => {
    expect([0, 1, 2, 3, 4].map(hasSqueezeExcitation)).toEqual([true, false, true, false, true]);
  });

  it('sample 30 fps video every 12th, 6th and 5th frame', () => {
    expect([X3D_XS, X3D_S, X3D_M, X3D_L].map((c) => c.frameRate)).toEqual([2.5, 5, 6, 6]);
  });

  it('list a published cost for every model', () => {
    for (const c of X3D_CONFIGS) expect(X3D_PUBLISHED[c.id]?.gflopsPerClip).toBeGreaterThan(0);
  });
});

describe('deriveX3dConfig and validation', () => {
  it('replaces fields and keeps the rest', () => {
    const c = deriveX3dConfig(X3D_S, { frames: 64 });
    expect(c.frames).toBe(64);
    expect(c.depths).toEqual(X3D_S.depths);
    expect(X3D_S.frames).toBe(13);
  });

  it.each([
    [{ depths: [1, 2, 3] }, /depths must be 4 positive integers/],
    [{ depths: [1, 2, 0, 1] }, /depths must be 4 positive integers/],
    [{ widths: [8, 8, 8, 8.5] }, /widths must be 4 positive integers/],
    [{ frames: 0 }, /frames must be a positive integer/],
    [{ size: 2.5 }, /size must be a positive integer/],
    [{ numClasses: -1 }, /numClasses must be a positive integer/],
    [{ stemKernelT: 4 }, /temporal kernels must be odd/],
    [{ blockKernelT: 2 }, /temporal kernels must be odd/],
    [{ expansion: 0.5 }, /expansion >= 1/],
    [{ seRatio: 0 }, /seRatio > 0/],
    [{ frameRate: 0 }, /frameRate > 0/],
  ])('rejects %o', (changes, message) => {
    expect(() => deriveX3dConfig(X3D_XS, changes)).toThrow(message);
  });

  it('accepts every published configuration', () => {
    for (const c of X3D_CONFIGS) expect(() => validateX3dConfig(c)).not.toThrow();
  });
});
