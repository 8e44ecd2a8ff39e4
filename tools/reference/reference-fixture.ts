/**
 * Reference fixtures: per-frame outputs of the original MoViNet-A0-Stream TFLite model on the
 * shared clips, for tests that compare our TF.js model against it.
 * Where the inputs live (../shared relative to the repository root, same layout in CI), what a
 * fixture holds, and how one is computed.
 */
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  extractFrames,
  ffmpegArgs,
  frameAt,
  MOVINET_FPS,
  type Preprocessing,
} from './extract-frames';
import type { MovinetTflite } from './movinet-tflite';
import { softmax, topK, type RankedClass } from './top-k';

/** Repository root (this file is tools/reference/reference-fixture.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Shared assets beside the repository: models and clips (not committed here). */
export const SHARED_DIR = resolve(REPO_ROOT, '../shared');
/** Clips whose references are generated: every ../shared/videos/*.mp4 (not the train/ folder). */
export const VIDEOS_DIR = join(SHARED_DIR, 'videos');
/** The original model; provenance in its SOURCE.md. */
export const MODEL_PATH = join(
  SHARED_DIR,
  'models/movinet-a0-stream/movinet_a0_stream_int8.tflite',
);
/** Kinetics-600 labels, line i = class i. */
export const LABELS_PATH = join(SHARED_DIR, 'models/movinet-a0-stream/kinetics600_labels.txt');
/** Where fixtures are written: tools/reference/fixtures/<clip>.json. */
export const FIXTURES_DIR = join(REPO_ROOT, 'tools/reference/fixtures');

/** Logits are stored rounded to this step (keeps a 50-frame fixture well under 1 MB). */
export const LOGIT_STEP = 1e-4;

/** One model step in a fixture. */
export interface FixtureFrame {
  /** 0-based frame index at 5 fps. */
  readonly step: number;
  /** Five most probable classes (softmax of the unrounded logits). */
  readonly top5: readonly RankedClass[];
  /** The 600 logits, rounded to {@link LOGIT_STEP}. */
  readonly logits: readonly number[];
}

/** How the frames were made. */
export interface FixturePreprocessing {
  /** `stretch` or `center-crop` (see extract-frames.ts). */
  readonly mode: Preprocessing;
  /** The ffmpeg filter chain. */
  readonly filter: string;
  /** The full command, with the clip as `<clip>.mp4`. */
  readonly command: string;
  /** ffmpeg's version line. */
  readonly ffmpeg: string;
  /** How pixels enter the model. */
  readonly input: string;
}

/** A reference fixture file. */
export interface ReferenceFixture {
  /** Clip name (file name without .mp4). */
  readonly clip: string;
  /** sha256 of the .mp4 the frames were decoded from. */
  readonly videoSha256: string;
  /** Frame preprocessing. */
  readonly preprocessing: FixturePreprocessing;
  /** Frames per second fed to the model. */
  readonly fps: number;
  /** Number of frames (steps). */
  readonly frames: number;
  /** sha256 of the .tflite model. */
  readonly modelSha256: string;
  /** sha256 of the label file. */
  readonly labelsSha256: string;
  /** Tool, runtime and state handling that produced the numbers. */
  readonly generatedBy: string;
  /** One entry per step, states carried from the first frame. */
  readonly perFrame: readonly FixtureFrame[];
}

/** Hex sha256 of some bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `x` rounded to the nearest multiple of `step` (and -0 written as 0). */
export function roundTo(x: number, step: number): number {
  const r = Math.round(x / step) * step;
  // Remove binary noise from the multiplication so JSON prints the short decimal.
  const digits = Math.max(0, Math.ceil(-Math.log10(step)));
  return Number(r.toFixed(digits)) + 0;
}

/** A command line as a POSIX shell would take it (arguments with special characters in double quotes). */
export function shellCommand(args: readonly string[]): string {
  return args
    .map((a) => (/^[\w./:=,@+-]+$/.test(a) ? a : `"${a.replace(/(["\\$`])/g, '\\$1')}"`))
    .join(' ');
}

/** Inputs of {@link buildFixture}. */
export interface FixtureInputs {
  /** Path of the .mp4. */
  readonly videoPath: string;
  /** Its bytes (hashed). */
  readonly videoBytes: Uint8Array;
  /** Model bytes (hashed). */
  readonly modelBytes: Uint8Array;
  /** Label file bytes (hashed). */
  readonly labelsBytes: Uint8Array;
  /** Labels, index = class. */
  readonly labels: readonly string[];
  /** The loaded model (its state is reset first). */
  readonly model: MovinetTflite;
  /** Preprocessing; default `stretch` (SOURCE.md's reference). */
  readonly mode?: Preprocessing;
  /** Text for `generatedBy`. */
  readonly generatedBy: string;
  /** ffmpeg's version line. */
  readonly ffmpegVersion: string;
  /** Limit on frames (for quick checks); default all. */
  readonly maxFrames?: number;
}

/** What {@link buildFixture} measured besides the fixture. */
export interface FixtureRun {
  /** The fixture. */
  readonly fixture: ReferenceFixture;
  /** Milliseconds per model step (mean over the clip, excluding frame extraction). */
  readonly msPerFrame: number;
}

/** Decodes a clip, steps the TFLite model over every frame with states carried, and records it. */
export async function buildFixture(inputs: FixtureInputs): Promise<FixtureRun> {
  const mode = inputs.mode ?? 'stretch';
  const frames = await extractFrames(inputs.videoPath, { mode });
  const count = Math.min(frames.shape[0], inputs.maxFrames ?? Infinity);
  const clipFile = inputs.videoPath.split(/[\\/]/).pop() ?? inputs.videoPath;
  const clip = clipFile.replace(/\.mp4$/i, '');
  const perFrame: FixtureFrame[] = [];
  inputs.model.resetState();
  let elapsed = 0;
  for (let t = 0; t < count; t++) {
    const start = performance.now();
    const logits = inputs.model.step(frameAt(frames, t));
    elapsed += performance.now() - start;
    const top5 = topK(softmax(logits), 5, inputs.labels).map((c) => ({
      ...c,
      prob: roundTo(c.prob, 1e-6),
    }));
    perFrame.push({ step: t, top5, logits: Array.from(logits, (x) => roundTo(x, LOGIT_STEP)) });
  }
  const fixture: ReferenceFixture = {
    clip,
    videoSha256: sha256(inputs.videoBytes),
    preprocessing: {
      mode,
      filter: frames.filter,
      command: shellCommand(['ffmpeg', ...ffmpegArgs(`${clip}.mp4`, { mode })]),
      ffmpeg: inputs.ffmpegVersion,
      input: 'RGB24 uint8 / 255 as float32 [1,1,172,172,3], one frame per step',
    },
    fps: MOVINET_FPS,
    frames: count,
    modelSha256: sha256(inputs.modelBytes),
    labelsSha256: sha256(inputs.labelsBytes),
    generatedBy: inputs.generatedBy,
    perFrame,
  };
  return { fixture, msPerFrame: count > 0 ? elapsed / count : 0 };
}
