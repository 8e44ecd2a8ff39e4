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
