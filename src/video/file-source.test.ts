import { describe, expect, it } from 'vitest';
import { FileSource, MEDIA_ERR, checkFileType, classifyMediaError } from './file-source';
import type { SourceError } from './source-error';

describe('classifyMediaError', () => {
  it('words each MediaError code with what to do', () => {
    const unsupported = classifyMediaError(MEDIA_ERR.SRC_NOT_SUPPORTED);
    expect(unsupported.kind).toBe('format-unsupported');
    expect(unsupported.message).toBe(
      "This video's format or codec cannot be decoded by this browser; convert it to MP4 (H.264) or WebM.",
    );
    expect(classifyMediaError(4, 'clip.mov').message).toMatch(/codec \("clip\.mov"\) cannot/);
    const decode = classifyMediaError(MEDIA_ERR.DECODE, 'a.mp4', 'PIPELINE_ERROR_DECODE');
    expect(decode.kind).toBe('decode');
    expect(decode.message).toMatch(
      /stopped decoding partway.*convert it to MP4 \(H\.264\) or WebM/,
    );
    expect((decode.cause as Error).message).toBe('PIPELINE_ERROR_DECODE');
    expect(classifyMediaError(MEDIA_ERR.NETWORK, 'a.mp4').kind).toBe('file-read');
    expect(classifyMediaError(MEDIA_ERR.NETWORK).message).toMatch(
      /could not be read.*Drop it again/,
    );
    expect(classifyMediaError(MEDIA_ERR.ABORTED).kind).toBe('aborted');
    const other = classifyMediaError(9);
    expect(other.kind).toBe('unknown');
    expect(other.message).toMatch(/media error 9/);
    expect(other.cause).toBeUndefined();
  });
});

describe('checkFileType', () => {
  const canPlay = (t: string) => (t === 'video/mp4' || t === 'video/webm' ? 'maybe' : '');

  it('passes playable and unknown types, stops non-videos and types the browser refuses', () => {
    expect(checkFileType('video/mp4', canPlay)).toBeNull();
    expect(checkFileType('', canPlay)).toBeNull();
    expect(checkFileType('application/octet-stream', canPlay)).toBeNull();
    const image = checkFileType('image/png', canPlay, 'cat.png');
    expect(image?.kind).toBe('format-unsupported');
    expect(image?.message).toMatch(/"cat\.png"\) is not a video \(image\/png\)/);
    const mkv = checkFileType('video/x-matroska', canPlay);
    expect(mkv?.kind).toBe('format-unsupported');
    expect(mkv?.message).toMatch(/convert it to MP4/);
  });
});

/** A <video> stand-in: setting `src` loads metadata or fails, as configured. */
class FakeVideo extends EventTarget {
  videoWidth = 0;
  videoHeight = 0;
  duration = Number.NaN;
  error: { code: number; message: string } | null = null;
  playbackRate = 1;
  currentTime = 0;
  muted = false;
  playsInline = false;
  loop = false;
  paused = true;
  loads = 0;
  private source = '';

  constructor(
    private readonly outcome:
      { width: number; height: number; duration: number } | { code: number; message: string },
  ) {
    super();
  }

  get src(): string {
    return this.source;
  }

  set src(url: string) {
    this.source = url;
    setTimeout(() => {
      if ('code' in this.outcome) {
        this.error = this.outcome;
        this.dispatchEvent(new Event('error'));
      } else {
        this.videoWidth = this.outcome.width;
        this.videoHeight = this.outcome.height;
        this.duration = this.outcome.duration;
        this.dispatchEvent(new Event('loadedmetadata'));
      }
    }, 0);
  }

  removeAttribute(name: string): void {
    if (name === 'src') this.source = '';
  }
  load(): void {
    this.loads++;
  }
  canPlayType(type: string): string {
    return type === 'video/mp4' ? 'probably' : '';
  }
  play(): Promise<void> {
    this.paused = false;
    return Promise.resolve();
  }
  pause(): void {
    this.paused = true;
  }
}

function urls() {
  const created: string[] = [];
  const revoked: string[] = [];
  return {
    created,
    revoked,
    createObjectURL: () => {
      const url = `blob:test/${created.length}`;
      created.push(url);
      return url;
    },
    revokeObjectURL: (url: string) => {
      revoked.push(url);
    },
  };
}

const file = (type = 'video/mp4', name = 'walk.mp4') =>
  Object.assign(new Blob([new Uint8Array(8)], { type }), { name });

describe('FileSource', () => {
  it('refuses an empty file before handing it to the browser', async () => {
    const video = new FakeVideo({ width: 640, height: 360, duration: 12.5 });
    const u = urls();
    const source = new FileSource(video as unknown as HTMLVideoElement, { urls: u });
    const empty = Object.assign(new Blob([], { type: 'video/mp4' }), { name: 'empty.mp4' });
    await expect(source.openFile(empty)).rejects.toMatchObject({
      kind: 'empty-file',
      message: 'The file "empty.mp4" is empty (0 bytes): there is nothing to play.',
    });
    expect(u.created).toEqual([]);
    expect(source.open).toBe(false);
    // One byte is enough to be tried.
    expect(await source.openFile(file())).toEqual({ duration: 12.5, width: 640, height: 360 });
  });

  it('plays a file through an object URL and frees it on close', async () => {
    const video = new FakeVideo({ width: 640, height: 360, duration: 12.5 });
    const u = urls();
    const source = new FileSource(video as unknown as HTMLVideoElement, { urls: u });
    expect(await source.openFile(file())).toEqual({ duration: 12.5, width: 640, height: 360 });
    expect(video.src).toBe('blob:test/0');
    expect(video.muted && video.playsInline && video.loop).toBe(true);
    expect(source.open).toBe(true);
    await source.play();
    source.setPlaybackRate(0.5);
    expect(video.playbackRate).toBe(0.5);
    source.seek(20);
    expect(video.currentTime).toBe(12.5); // clamped to the duration
    source.seek(-3);
    expect(video.currentTime).toBe(0);
    source.seek(4.25);
    expect(video.currentTime).toBe(4.25);
    expect(() => source.setPlaybackRate(0)).toThrow(/positive/);
    source.close();
    expect(u.revoked).toEqual(['blob:test/0']);
    expect(video.src).toBe('');
    expect(video.paused).toBe(true);
    expect(video.loads).toBe(1);
    expect(source.open).toBe(false);
    source.close(); // twice is harmless
    expect(u.revoked).toHaveLength(1);
  });

  it('closes the previous file when another is opened', async () => {
    const video = new FakeVideo({ width: 2, height: 2, duration: 1 });
    const u = urls();
    const source = new FileSource(video as unknown as HTMLVideoElement, { urls: u });
    await source.openFile(file());
    await source.openFile(file());
    expect(u.created).toEqual(['blob:test/0', 'blob:test/1']);
    expect(u.revoked).toEqual(['blob:test/0']);
  });

  it('rejects a file the browser cannot decode, with the codec message, and frees its URL', async () => {
    const video = new FakeVideo({ code: MEDIA_ERR.SRC_NOT_SUPPORTED, message: 'DEMUXER_ERROR' });
    const u = urls();
    const source = new FileSource(video as unknown as HTMLVideoElement, { urls: u });
    await expect(source.openFile(file('', 'clip.hevc.mp4'))).rejects.toMatchObject({
      kind: 'format-unsupported',
      message: expect.stringMatching(/\("clip\.hevc\.mp4"\) cannot be decoded by this browser/),
    });
    expect(u.revoked).toEqual(['blob:test/0']);
    expect(source.open).toBe(false);
  });

  it('refuses a type the browser says it cannot play, before creating a URL', async () => {
    const u = urls();
    const source = new FileSource(
      new FakeVideo({ width: 1, height: 1, duration: 1 }) as unknown as HTMLVideoElement,
      {
        urls: u,
      },
    );
    await expect(source.openFile(file('video/quicktime', 'a.mov'))).rejects.toMatchObject({
      kind: 'format-unsupported',
    });
    expect(u.created).toEqual([]);
  });

  it('rejects a file without a video track (audio only)', async () => {
    const u = urls();
    const source = new FileSource(
      new FakeVideo({ width: 0, height: 0, duration: 3 }) as unknown as HTMLVideoElement,
      {
        urls: u,
      },
    );
    await expect(source.openFile(file('', 'song.mp4'))).rejects.toMatchObject({
      kind: 'no-video-track',
    });
    expect(u.revoked).toHaveLength(1);
  });

  it('reports a decode error during playback', async () => {
    const video = new FakeVideo({ width: 4, height: 4, duration: 2 });
    const errors: SourceError[] = [];
    const source = new FileSource(video as unknown as HTMLVideoElement, {
      urls: urls(),
      onError: (e) => errors.push(e),
    });
    await source.openFile(file());
    video.error = { code: MEDIA_ERR.DECODE, message: 'bad frame' };
    video.dispatchEvent(new Event('error'));
    expect(errors.map((e) => e.kind)).toEqual(['decode']);
    source.close();
    video.dispatchEvent(new Event('error'));
    expect(errors).toHaveLength(1);
  });
});
