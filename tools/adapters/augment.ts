/**
 * Seeded augmentation of training clips for distillation: a random window of T frames at a
 * random speed (frame skipping: every decoded frame or every second one, normal or double
 * speed), a random square crop (side 60-100 % of the frame, anywhere inside it), a random
 * horizontal flip, and a bilinear resize to the training side. Parameters are drawn in JavaScript from a seed (the same on every machine); pixels are
 * resampled with tf.image.resizeBilinear.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../src/models/seeded-weights';
import type { ExtractedFrames } from '../reference/extract-frames';

/** Where and how one training clip is cut from a decoded video. */
export interface Augmentation {
  /** Index into the list of videos. */
  readonly video: number;
  /** First decoded frame. */
  readonly start: number;
  /** Decoded frames per clip frame (1 = normal speed, 2 = twice as fast). */
  readonly stride: number;
  /** Square crop in pixels of the decoded frame: top, left, side. */
  readonly crop: { readonly top: number; readonly left: number; readonly side: number };
  readonly flip: boolean;
}

/** Options of {@link sampleAugmentation}. */
export interface AugmentOptions {
  /** Frames per training clip. */
  readonly frames: number;
  /** Speeds to choose from (decoded frames per clip frame); default [1, 2]. */
  readonly strides?: readonly number[];
  /** Smallest crop side as a fraction of the frame side; default 0.6. */
  readonly minCrop?: number;
}

/**
 * Draws one augmentation: a video (uniformly), a speed the video is long enough for (else the
 * slowest), a start, a crop and a flip. `lengths` are the videos' frame counts and `side` their
 * (square) frame side. Throws when a video is shorter than a clip at normal speed.
 */
export function sampleAugmentation(
  rng: SeededRandom,
  lengths: readonly number[],
  side: number,
  options: AugmentOptions,
): Augmentation {
  const strides = options.strides ?? [1, 2];
  const minCrop = options.minCrop ?? 0.6;
  if (lengths.length === 0) throw new Error('augmentation needs at least one video.');
  if (!(minCrop > 0 && minCrop <= 1)) throw new Error(`minCrop must be in (0, 1], got ${minCrop}.`);
  const video = Math.floor(rng.uniform() * lengths.length);
  const length = lengths[video] ?? 0;
  const span = (s: number) => (options.frames - 1) * s + 1;
  if (length < span(1)) {
    throw new Error(`video ${video} has ${length} frames, fewer than a clip of ${options.frames}.`);
  }
  const fitting = strides.filter((s) => span(s) <= length);
  const stride = fitting[Math.floor(rng.uniform() * fitting.length)] ?? 1;
  const start = Math.floor(rng.uniform() * (length - span(stride) + 1));
  const cropSide = Math.max(1, Math.round(side * (minCrop + (1 - minCrop) * rng.uniform())));
  const top = Math.floor(rng.uniform() * (side - cropSide + 1));
  const left = Math.floor(rng.uniform() * (side - cropSide + 1));
  const flip = rng.uniform() < 0.5;
  return { video, start, stride, crop: { top, left, side: cropSide }, flip };
}

/**
 * The clip [1, T, size, size, 3] in [0, 1] that `aug` describes, cut from `videos`.
 */
export function applyAugmentation(
  videos: readonly ExtractedFrames[],
  aug: Augmentation,
  frames: number,
  size: number,
): tf.Tensor5D {
  const video = videos[aug.video];
  if (video === undefined) throw new Error(`no video ${aug.video}.`);
  const [count, h, w] = video.shape;
  const last = aug.start + (frames - 1) * aug.stride;
  if (aug.start < 0 || last >= count) {
    throw new Error(`frames ${aug.start}..${last} are outside the video's ${count} frames.`);
  }
  const { top, left, side } = aug.crop;
  if (top < 0 || left < 0 || top + side > h || left + side > w) {
    throw new Error(`crop ${side} at (${top}, ${left}) is outside the ${h}x${w} frame.`);
  }
  const n = h * w * 3;
  const pixels = new Float32Array(frames * n);
  for (let t = 0; t < frames; t++) {
    const from = (aug.start + t * aug.stride) * n;
    for (let i = 0; i < n; i++) pixels[t * n + i] = (video.data[from + i] ?? 0) / 255;
  }
  return tf.tidy(() => {
    let x = tf.slice(
      tf.tensor4d(pixels, [frames, h, w, 3]),
      [0, top, left, 0],
      [frames, side, side, 3],
    );
    if (aug.flip) x = tf.reverse(x, 2);
    const resized =
      side === size ? x : tf.image.resizeBilinear(x as tf.Tensor4D, [size, size], false, true);
    return tf.expandDims(resized, 0) as tf.Tensor5D;
  });
}
