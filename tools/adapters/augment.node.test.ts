/** Seeded augmentation: reproducible draws inside the video, and exact crops, flips and skips. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/models/seeded-weights';
import type { ExtractedFrames } from '../reference/extract-frames';
import { applyAugmentation, sampleAugmentation } from './augment';

/** A video of `count` frames of side `side` whose pixel (t, y, x, c) holds (t * 7 + y * 3 + x + c) % 256. */
function synthetic(count: number, side: number): ExtractedFrames {
  const data = new Uint8Array(count * side * side * 3);
  for (let t = 0; t < count; t++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++)
        for (let c = 0; c < 3; c++)
          data[((t * side + y) * side + x) * 3 + c] = (t * 7 + y * 3 + x + c) % 256;
  return { data, shape: [count, side, side, 3], filter: 'synthetic' };
}

describe('sampleAugmentation', () => {
  it('draws the same augmentations from the same seed, others from another', () => {
    const draw = (seed: number) => {
      const rng = new SeededRandom(seed);
      return Array.from({ length: 20 }, () =>
        sampleAugmentation(rng, [40, 11, 30], 172, { frames: 8 }),
      );
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(2)).not.toEqual(draw(1));
  });

  it('stays inside the video and the frame, with speeds the video is long enough for', () => {
    const rng = new SeededRandom(3);
    const lengths = [40, 11, 30];
    const seen = { flips: 0, doubled: 0 };
    for (let i = 0; i < 500; i++) {
      const a = sampleAugmentation(rng, lengths, 172, { frames: 8 });
      const length = lengths[a.video] ?? 0;
      expect(a.start + 7 * a.stride).toBeLessThan(length);
      expect(a.start).toBeGreaterThanOrEqual(0);
      // An 11-frame video fits 8 frames at normal speed only (double speed needs 15).
      if (a.video === 1) expect(a.stride).toBe(1);
      expect(a.crop.side).toBeGreaterThanOrEqual(Math.round(0.6 * 172));
      expect(a.crop.side).toBeLessThanOrEqual(172);
      expect(a.crop.top + a.crop.side).toBeLessThanOrEqual(172);
      expect(a.crop.left + a.crop.side).toBeLessThanOrEqual(172);
      if (a.flip) seen.flips++;
      if (a.stride === 2) seen.doubled++;
    }
    // Fair coins over 500 draws: far from 0 and 500.
    expect(seen.flips).toBeGreaterThan(200);
    expect(seen.flips).toBeLessThan(300);
    expect(seen.doubled).toBeGreaterThan(100);
  });

  it('rejects videos shorter than a clip and bad crop fractions', () => {
    const rng = new SeededRandom(1);
    expect(() => sampleAugmentation(rng, [5], 64, { frames: 8 })).toThrow(
      'video 0 has 5 frames, fewer than a clip of 8',
    );
    expect(() => sampleAugmentation(rng, [], 64, { frames: 8 })).toThrow('at least one video');
    expect(() => sampleAugmentation(rng, [9], 64, { frames: 8, minCrop: 0 })).toThrow(
      'minCrop must be in (0, 1], got 0',
    );
  });
});

describe('applyAugmentation', () => {
  const video = synthetic(10, 6);

  it('cuts the frames, crop and flip it describes, scaled to [0, 1]', () => {
    const aug = { video: 0, start: 1, stride: 2, crop: { top: 1, left: 2, side: 3 }, flip: true };
    const clip = applyAugmentation([video], aug, 3, 3);
    expect(clip.shape).toEqual([1, 3, 3, 3, 3]);
    const values = clip.arraySync()[0] ?? [];
    // Clip frame t is video frame 1 + 2t; output (y, x) reads crop pixel (1 + y, 2 + 2 - x) (flipped).
    for (let t = 0; t < 3; t++)
      for (let y = 0; y < 3; y++)
        for (let x = 0; x < 3; x++)
          for (let c = 0; c < 3; c++)
            expect(values[t]?.[y]?.[x]?.[c]).toBeCloseTo(
              (((1 + 2 * t) * 7 + (1 + y) * 3 + (4 - x) + c) % 256) / 255,
              6,
            );
    clip.dispose();
  });

  it('resizes the crop bilinearly to the training side', () => {
    const aug = { video: 0, start: 0, stride: 1, crop: { top: 0, left: 0, side: 6 }, flip: false };
    const clip = applyAugmentation([video], aug, 2, 3);
    expect(clip.shape).toEqual([1, 2, 3, 3, 3]);
    // Half-pixel centres: output (0, 0) averages input (0..1, 0..1): (0 + 3 + 1 + 4) / 4 = 2.
    expect(clip.arraySync()[0]?.[0]?.[0]?.[0]?.[0]).toBeCloseTo(2 / 255, 6);
    clip.dispose();
  });

  it('rejects frames or crops outside the video', () => {
    const base = { video: 0, start: 0, stride: 1, crop: { top: 0, left: 0, side: 6 }, flip: false };
    const before = tf.memory().numTensors;
    expect(() => applyAugmentation([video], { ...base, start: 6, stride: 2 }, 3, 6)).toThrow(
      "frames 6..10 are outside the video's 10 frames",
    );
    expect(() =>
      applyAugmentation([video], { ...base, crop: { top: 1, left: 0, side: 6 } }, 2, 6),
    ).toThrow('crop 6 at (1, 0) is outside the 6x6 frame');
    expect(() => applyAugmentation([video], { ...base, video: 1 }, 2, 6)).toThrow('no video 1');
    expect(tf.memory().numTensors).toBe(before);
  });
});
