/**
 * Makes the media of e2e/media.ts from the shared clip with ffmpeg, once (files newer than the
 * source are reused). Without the clip the dashboard specs skip themselves and say why.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import {
  BROKEN_VIDEO,
  FAKE_CAMERA_Y4M,
  HEVC_VIDEO,
  MEDIA_DIR,
  ODD_MEDIA,
  SOURCE_VIDEO,
  WEBM_VIDEO,
} from './media';

function fresh(target: string): boolean {
  return existsSync(target) && statSync(target).mtimeMs >= statSync(SOURCE_VIDEO).mtimeMs;
}

function ffmpeg(target: string, args: readonly string[], input = ['-i', SOURCE_VIDEO]): void {
  if (fresh(target)) return;
  execFileSync('ffmpeg', ['-y', '-loglevel', 'error', ...input, ...args, target], {
    stdio: 'inherit',
  });
}

const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-an'];

/** The odd files of ODD_MEDIA. */
function makeOddMedia(): void {
  writeFileSync(ODD_MEDIA.empty, new Uint8Array(0));
  // Deterministic junk (a linear congruential generator), so runs are comparable.
  const junk = new Uint8Array(64 * 1024);
  let x = 12345;
  for (let i = 0; i < junk.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    junk[i] = x >>> 24;
  }
  writeFileSync(ODD_MEDIA.random, junk);
  const faststart = join(MEDIA_DIR, 'faststart.mp4');
  ffmpeg(faststart, ['-c', 'copy', '-movflags', '+faststart']);
  const whole = readFileSync(faststart);
  writeFileSync(ODD_MEDIA.truncated, whole.subarray(0, Math.floor(whole.length * 0.4)));
  ffmpeg(
    ODD_MEDIA.audioOnly,
    ['-c:a', 'aac', '-t', '2'],
    ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
  );
  ffmpeg(ODD_MEDIA.singleFrame, ['-frames:v', '1', ...H264]);
  ffmpeg(ODD_MEDIA.short, ['-t', '0.4', ...H264]);
  ffmpeg(ODD_MEDIA.uhd, ['-t', '2', '-vf', 'scale=3840:2160,setsar=1', ...H264]);
  ffmpeg(ODD_MEDIA.portrait, ['-t', '3', '-vf', 'scale=720:1280,setsar=1', ...H264]);
  ffmpeg(ODD_MEDIA.odd, [
    '-t',
    '4',
    '-vf',
    'scale=97:61,setsar=1',
    '-c:v',
    'libvpx-vp9',
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    '-an',
  ]);
  // Keep 4 frames of every 10 and their own timestamps: gaps of 1 and 7 frame intervals.
  ffmpeg(ODD_MEDIA.vfr, ['-vf', "select='lt(mod(n\\,10)\\,4)'", '-fps_mode', 'vfr', ...H264]);
  if (!existsSync(ODD_MEDIA.huge) || statSync(ODD_MEDIA.huge).size !== 2 ** 30) {
    writeFileSync(ODD_MEDIA.huge, whole);
    // Extends the file with a hole: 1 GiB on paper, the clip's bytes on disk.
    const fd = openSync(ODD_MEDIA.huge, 'r+');
    ftruncateSync(fd, 2 ** 30);
    closeSync(fd);
  }
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
  makeOddMedia();
  if (!existsSync(BROKEN_VIDEO)) {
    writeFileSync(BROKEN_VIDEO, 'This file is text, not a video, whatever its name says.\n');
  }
}
