/**
 * Makes the media of e2e/media.ts from the shared clip with ffmpeg, once (files newer than the
 * source are reused). Without the clip the dashboard specs skip themselves and say why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import {
  BROKEN_VIDEO,
  FAKE_CAMERA_Y4M,
  HEVC_VIDEO,
  MEDIA_DIR,
  SOURCE_VIDEO,
  WEBM_VIDEO,
} from './media';

function fresh(target: string): boolean {
  return existsSync(target) && statSync(target).mtimeMs >= statSync(SOURCE_VIDEO).mtimeMs;
}

function ffmpeg(target: string, args: readonly string[]): void {
  if (fresh(target)) return;
  execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', SOURCE_VIDEO, ...args, target], {
    stdio: 'inherit',
  });
}

/** Playwright's global setup. */
export default function globalSetup(): void {
  if (!existsSync(SOURCE_VIDEO)) {
    console.warn(`[e2e] ${SOURCE_VIDEO} is missing: the dashboard specs will be skipped.`);
    return;
  }
  mkdirSync(MEDIA_DIR, { recursive: true });
  ffmpeg(FAKE_CAMERA_Y4M, ['-vf', 'scale=344:256,fps=15', '-pix_fmt', 'yuv420p']);
  // Realtime VP9: seconds to encode, and quality is no concern here.
  ffmpeg(WEBM_VIDEO, [
    '-c:v',
    'libvpx-vp9',
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    '-b:v',
    '600k',
    '-an',
  ]);
  ffmpeg(HEVC_VIDEO, ['-c:v', 'libx265', '-preset', 'ultrafast', '-tag:v', 'hvc1', '-an']);
  if (!existsSync(BROKEN_VIDEO)) {
    writeFileSync(BROKEN_VIDEO, 'This file is text, not a video, whatever its name says.\n');
  }
}
