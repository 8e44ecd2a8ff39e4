import { describe, expect, it } from 'vitest';
import {
  convMacsPerOutputFrame,
  frameElements,
  spatialOutputSize,
  spatialPadAmounts,
} from './flops';

describe('spatialOutputSize', () => {
  it('same: ceil(size / stride), whatever the kernel', () => {
    expect(spatialOutputSize(7, 3, 1, 'same')).toBe(7);
    expect(spatialOutputSize(7, 3, 2, 'same')).toBe(4);
    expect(spatialOutputSize(8, 5, 2, 'same')).toBe(4);
    expect(spatialOutputSize(1, 7, 3, 'same')).toBe(1);
  });

  it('valid: floor((size - kernel) / stride) + 1', () => {
    expect(spatialOutputSize(7, 3, 1, 'valid')).toBe(5);
    expect(spatialOutputSize(7, 3, 2, 'valid')).toBe(3);
    expect(spatialOutputSize(8, 3, 2, 'valid')).toBe(3);
    expect(spatialOutputSize(3, 3, 1, 'valid')).toBe(1);
  });

  it('explicit: floor((size + 2 pad - kernel) / stride) + 1 (PyTorch)', () => {
    expect(spatialOutputSize(7, 3, 1, 1)).toBe(7);
    expect(spatialOutputSize(8, 3, 2, 1)).toBe(4);
    expect(spatialOutputSize(224, 7, 2, 3)).toBe(112);
    expect(spatialOutputSize(5, 5, 1, 0)).toBe(1);
  });

  it('throws when the window does not fit', () => {
    expect(() => spatialOutputSize(2, 3, 1, 'valid')).toThrow(
      'A window of 3 with stride 1 and padding valid does not fit an input of 2.',
    );
    expect(() => spatialOutputSize(1, 5, 1, 1)).toThrow(/does not fit an input of 1/);
    expect(() => spatialOutputSize(0, 1, 1, 'same')).toThrow(/does not fit/);
  });
});

describe('spatialPadAmounts', () => {
  it('same: TensorFlow puts the odd extra element after', () => {
    expect(spatialPadAmounts(7, 3, 1, 'same')).toEqual([1, 1]);
    expect(spatialPadAmounts(8, 3, 2, 'same')).toEqual([0, 1]); // out 4: (3 * 2 + 3) - 8 = 1
    expect(spatialPadAmounts(7, 3, 2, 'same')).toEqual([1, 1]); // out 4: 9 - 7 = 2
    expect(spatialPadAmounts(8, 4, 1, 'same')).toEqual([1, 2]); // even kernel
    expect(spatialPadAmounts(6, 1, 2, 'same')).toEqual([0, 0]); // (2 * 2 + 1) - 6 = -1: never negative
  });

  it('valid and explicit', () => {
    expect(spatialPadAmounts(7, 3, 1, 'valid')).toEqual([0, 0]);
    expect(spatialPadAmounts(7, 3, 2, 2)).toEqual([2, 2]);
  });

  it('agrees with spatialOutputSize for every mode', () => {
    for (const size of [5, 6, 7, 8]) {
      for (const kernel of [1, 2, 3, 5]) {
        for (const stride of [1, 2, 3]) {
          for (const padding of ['same', 'valid', 0, 1, 2] as const) {
            if (padding === 'valid' && kernel > size) continue;
            const [before, after] = spatialPadAmounts(size, kernel, stride, padding);
            const out = Math.floor((size + before + after - kernel) / stride) + 1;
            expect(out).toBe(spatialOutputSize(size, kernel, stride, padding));
          }
        }
      }
    }
  });
});

describe('MAC counts', () => {
  it('frameElements multiplies the three sizes', () => {
    expect(frameElements({ height: 4, width: 5, channels: 6 })).toBe(120);
  });

  it('convMacsPerOutputFrame: elements * taps * channels per group', () => {
    // X3D-S conv_b depthwise 3x3x3 at 40x40x54: 86,400 elements * 27 taps * 1 channel.
    expect(convMacsPerOutputFrame({ height: 40, width: 40, channels: 54 }, 27, 54, 54)).toBe(
      2_332_800,
    );
    // Dense 3x1x1 64 -> 64 on 12x12: 9,216 elements * 3 taps * 64 channels.
    expect(convMacsPerOutputFrame({ height: 12, width: 12, channels: 64 }, 3, 64, 1)).toBe(
      1_769_472,
    );
    // Grouped: 2 groups halve the channels each output reads.
    expect(convMacsPerOutputFrame({ height: 2, width: 3, channels: 8 }, 9, 16, 2)).toBe(3_456);
  });
});
