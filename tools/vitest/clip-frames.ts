/**
 * Frames of a shared test clip at the model's rate, in any test project: ffmpeg directly in
 * Node, through the `extractClipFrames` server command in the browser projects.
 */
export interface ClipFrames {
  /** RGB24 frames back to back, [T, H, W, 3]. */
  readonly data: Uint8Array;
  readonly shape: readonly [number, number, number, 3];
}

declare module 'vitest/browser' {
  interface BrowserCommands {
    extractClipFrames: (
      clip: string,
      options?: { mode?: 'stretch' | 'center-crop'; fps?: number; size?: number },
    ) => Promise<{ data: string; shape: number[] }>;
  }
}

/** Decodes `clip` (a file name in ../shared/videos) to frames. */
export async function loadClipFrames(clip: string): Promise<ClipFrames> {
  if (typeof window === 'undefined') {
    const { extractFrames } = await import('../reference/extract-frames');
    const { VIDEOS_DIR } = await import('../reference/reference-fixture');
    const frames = await extractFrames(`${VIDEOS_DIR}/${clip}`);
    return { data: frames.data, shape: frames.shape };
  }
  const { server } = await import('vitest/browser');
  const { data, shape } = await server.commands.extractClipFrames(clip);
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const [t, h, w] = shape as [number, number, number, 3];
  return { data: bytes, shape: [t, h, w, 3] };
}
