import type { BrowserCommand } from 'vitest/node';
import { basename, join } from 'node:path';
import { VIDEOS_DIR } from '../reference/reference-fixture';
import { extractFrames, type Preprocessing } from '../reference/extract-frames';

/**
 * Server-side command for browser tests: decodes one of the shared test clips with ffmpeg at the
 * model's rate and returns its RGB24 frames base64-encoded (browser tests have no ffmpeg).
 * Only file names inside ../shared/videos are accepted.
 */
export const extractClipFrames: BrowserCommand<
  [clip: string, options?: { mode?: Preprocessing; fps?: number; size?: number }]
> = async (_context, clip, options = {}) => {
  if (basename(clip) !== clip || !clip.endsWith('.mp4'))
    throw new Error(`Not a shared clip: ${clip}`);
  const frames = await extractFrames(join(VIDEOS_DIR, clip), options);
  return { data: Buffer.from(frames.data).toString('base64'), shape: [...frames.shape] };
};
