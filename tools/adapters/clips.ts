/**
 * Which clips the adapters are trained and evaluated on, and their frames as MoViNet sees them
 * (tools/reference/extract-frames.ts: ffmpeg, 5 fps, 172x172 stretch).
 *
 * shared/videos/train holds nine unlabelled clips. Three are held out for evaluation and never
 * trained on (archery, opening_screen_door, yoga_outdoors: a sport, an indoor everyday scene
 * with a fixed camera, a slow full-body outdoor scene), together with the two labelled reference
 * clips in shared/videos. The six others are the training data.
 */
import { join } from 'node:path';
import { extractFrames, MOVINET_SIZE, type ExtractedFrames } from '../reference/extract-frames';
import { VIDEOS_DIR } from '../reference/reference-fixture';

/** Training clips (file names in shared/videos/train). */
export const TRAINING_CLIPS: readonly string[] = [
  'applying_eye_makeup.mp4',
  'flipping_pancake.mp4',
  'making_cake.mp4',
  'playing_drums.mp4',
  'playing_with_dog_in_snow.mp4',
  'riding_motorcycle.mp4',
];

/** Held-out clips of shared/videos/train. */
export const HELD_OUT_TRAIN_CLIPS: readonly string[] = [
  'archery.mp4',
  'opening_screen_door.mp4',
  'yoga_outdoors.mp4',
];

/** The labelled reference clips of shared/videos (also held out). */
export const HELD_OUT_LABELLED_CLIPS: readonly string[] = [
  'arm_wrestling.mp4',
  'shooting_basketball.mp4',
];

/** Every evaluation clip, as paths relative to shared/videos. */
export const EVALUATION_CLIPS: readonly string[] = [
  ...HELD_OUT_TRAIN_CLIPS.map((c) => `train/${c}`),
  ...HELD_OUT_LABELLED_CLIPS,
];

/** Path of a clip given relative to shared/videos (training clips are under train/). */
export function clipPath(relative: string): string {
  return join(VIDEOS_DIR, relative);
}

/** Decoded frames of a clip (relative to shared/videos) at 5 fps, `size` x `size` (default 172). */
export function clipFrames(relative: string, size = MOVINET_SIZE): Promise<ExtractedFrames> {
  return extractFrames(clipPath(relative), { size });
}

/** Frames of every training clip, in TRAINING_CLIPS order. */
export async function trainingFrames(size = MOVINET_SIZE): Promise<ExtractedFrames[]> {
  const out: ExtractedFrames[] = [];
  for (const c of TRAINING_CLIPS) out.push(await clipFrames(`train/${c}`, size));
  return out;
}
