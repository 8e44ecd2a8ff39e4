/**
 * Decodes a video into the frames MoViNet-A0-Stream sees: 5 fps, 172x172, RGB24, with ffmpeg.
 *
 * Two preprocessings (both resample with ffmpeg's default scaler, bicubic; colour conversion
 * with swscale's defaults, BT.601 for untagged video):
 * - `stretch` (default): `fps=5,scale=172:172`, the whole frame squeezed to a square, exactly the
 *   filter that produced the reference results in shared/videos/SOURCE.md.
 * - `center-crop`: the largest centred square of the *displayed* picture (sample aspect ratio
 *   honoured, as a browser draws it), then resized: what the tensorflow/examples Android app does
 *   (it resizes bilinearly; we keep one scaler so the two modes differ only in geometry).
 *
 * The web app will decode with the browser and resize with canvas/WebGPU, whose scalers differ
 * slightly from swscale; comparisons against these frames need a tolerance for that.
 */
import { spawn } from 'node:child_process';

/** How a frame is brought to the model's square input. */
export type Preprocessing = 'stretch' | 'center-crop';

/** Options of {@link extractFrames}. */
export interface ExtractOptions {
  /** Geometry before resizing; default `stretch`. */
  readonly mode?: Preprocessing;
  /** Output frame rate (the model's rate); default 5. */
  readonly fps?: number;
  /** Output side in pixels; default 172. */
  readonly size?: number;
  /** ffmpeg executable; default `ffmpeg` on PATH. */
  readonly ffmpegPath?: string;
}

/** Decoded frames: `data` holds `count` frames of [size, size, 3] RGB24, row-major, contiguous. */
export interface ExtractedFrames {
  /** All frames back to back: shape [count, size, size, 3]. */
  readonly data: Uint8Array;
  /** [T, H, W, C] of `data`. */
  readonly shape: readonly [number, number, number, 3];
  /** The ffmpeg video filter that produced them (for fixtures' provenance). */
  readonly filter: string;
}

/** Model rate of MoViNet-A0-Stream (SOURCE.md: one frame per call, 5 fps). */
export const MOVINET_FPS = 5;
/** Input side of MoViNet-A0-Stream. */
export const MOVINET_SIZE = 172;

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

/** The ffmpeg `-vf` filter chain for a preprocessing, rate and size. */
export function videoFilter(
  mode: Preprocessing = 'stretch',
  fps: number = MOVINET_FPS,
  size: number = MOVINET_SIZE,
): string {
  checkPositiveInteger('size', size);
  if (!(fps > 0) || !Number.isFinite(fps)) throw new RangeError(`fps must be > 0, got ${fps}`);
  const scale = `scale=${size}:${size}`;
  switch (mode) {
    case 'stretch':
      return `fps=${fps},${scale}`;
    case 'center-crop':
      // Square in display geometry: a stored pixel is `sar` display pixels wide (crop treats an
      // unknown sar as 1). x and y default to centring the window.
      return `fps=${fps},crop=w='min(iw,ih/sar)':h='min(ih,iw*sar)',${scale}`;
    default:
      throw new RangeError(`unknown preprocessing ${String(mode)}`);
  }
}

/** The full ffmpeg argument list that writes raw RGB24 frames of `videoPath` to stdout. */
export function ffmpegArgs(videoPath: string, options: ExtractOptions = {}): string[] {
  return [
    '-nostdin',
    '-v',
    'error',
    '-i',
    videoPath,
    '-an',
    '-sn',
    '-vf',
    videoFilter(options.mode, options.fps, options.size),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

/** Runs ffmpeg on `videoPath` and returns its frames as one [T, size, size, 3] Uint8Array. */
export async function extractFrames(
  videoPath: string,
  options: ExtractOptions = {},
): Promise<ExtractedFrames> {
  const size = options.size ?? MOVINET_SIZE;
  const args = ffmpegArgs(videoPath, options);
  const stdout = await runToBuffer(options.ffmpegPath ?? 'ffmpeg', args);
  const frameBytes = size * size * 3;
  if (stdout.length === 0 || stdout.length % frameBytes !== 0) {
    throw new Error(
      `ffmpeg wrote ${stdout.length} bytes for ${videoPath}, not a whole number of ${size}x${size} RGB frames`,
    );
  }
  const count = stdout.length / frameBytes;
  return {
    data: new Uint8Array(stdout.buffer, stdout.byteOffset, stdout.length),
    shape: [count, size, size, 3],
    filter: videoFilter(options.mode, options.fps, options.size),
  };
}

/** Frame `t` of `frames` as a view (no copy) of [size, size, 3] bytes. */
export function frameAt(frames: ExtractedFrames, t: number): Uint8Array {
  const [count, h, w, c] = frames.shape;
  if (!Number.isInteger(t) || t < 0 || t >= count) {
    throw new RangeError(`frame ${t} out of range [0, ${count})`);
  }
  const n = h * w * c;
  return frames.data.subarray(t * n, (t + 1) * n);
}

function runToBuffer(command: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new Error(`cannot run ${command}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else {
        const message = Buffer.concat(err).toString('utf8').trim();
        reject(new Error(`${command} exited with ${code}: ${message}`));
      }
    });
  });
}
