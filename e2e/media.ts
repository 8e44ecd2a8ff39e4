/**
 * The media the end-to-end tests use: the shared arm-wrestling clip, and files made from it by
 * e2e/global-setup.ts (a .y4m for chromium's fake camera, a WebM, an HEVC MP4 and a file that is
 * not a video). Paths only, so the Playwright config can name the fake camera's file.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The source clip (Kinetics "arm wrestling"); E2E_VIDEO overrides it. */
export const SOURCE_VIDEO =
  process.env.E2E_VIDEO ?? resolve(repoRoot, '../shared/videos/arm_wrestling.mp4');

/** Where the derived files go (outside test-results/, which Playwright empties on each run). */
export const MEDIA_DIR = join(tmpdir(), 'continual-video-e2e');

/** The fake camera's frames: 344x256 at 15 fps, raw YUV 4:2:0 (chromium loops it). */
export const FAKE_CAMERA_Y4M = join(MEDIA_DIR, 'arm_wrestling.y4m');

/** The clip as VP9 WebM. */
export const WEBM_VIDEO = join(MEDIA_DIR, 'arm_wrestling.webm');

/** The clip as HEVC (H.265) MP4, a codec Debian's chromium does not decode. */
export const HEVC_VIDEO = join(MEDIA_DIR, 'arm_wrestling_hevc.mp4');

/** Bytes that are no video at all, named .mp4. */
export const BROKEN_VIDEO = join(MEDIA_DIR, 'broken.mp4');

/** Chromium flags for a fake camera that shows the clip, with permission granted. */
export const fakeCameraArgs = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  `--use-file-for-fake-video-capture=${FAKE_CAMERA_Y4M}`,
];

/**
 * Files a person might drop that are not ordinary clips (made by e2e/global-setup.ts, see
 * {@link makeOddMedia}'s list there): each must get a clear message or simply work.
 */
export const ODD_MEDIA = {
  /** Zero bytes. */
  empty: join(MEDIA_DIR, 'empty.mp4'),
  /** 64 KiB of pseudo-random bytes named .mp4. */
  random: join(MEDIA_DIR, 'random.mp4'),
  /** The first 40% of an MP4 whose index (moov) comes first: plays, then the data runs out. */
  truncated: join(MEDIA_DIR, 'truncated.mp4'),
  /** An MP4 holding a sine tone and no video. */
  audioOnly: join(MEDIA_DIR, 'audio-only.mp4'),
  /** One frame. */
  singleFrame: join(MEDIA_DIR, 'single-frame.mp4'),
  /** 0.4 s: fewer frames than a clip-based window. */
  short: join(MEDIA_DIR, 'short.mp4'),
  /** 3840x2160, 2 s. */
  uhd: join(MEDIA_DIR, 'uhd-3840x2160.mp4'),
  /** 720x1280 (portrait), 3 s. */
  portrait: join(MEDIA_DIR, 'portrait-720x1280.mp4'),
  /** 97x61, VP9 (odd sizes are legal there). */
  odd: join(MEDIA_DIR, 'odd-97x61.webm'),
  /** Irregular frame intervals (variable frame rate). */
  vfr: join(MEDIA_DIR, 'vfr.mp4'),
  /** A playable MP4 followed by zeros up to 1 GiB (sparse on disk): must never be read whole. */
  huge: join(MEDIA_DIR, 'huge-1GiB.mp4'),
} as const;
