/**
 * A dropped video file as a source: an object URL played by a <video> element, so the browser
 * streams and decodes it and the file is never read into memory. Playback rate, seeking, and
 * decode failures in words the user can act on.
 */
import { SourceError } from './source-error';

/** MediaError codes (HTMLMediaElement.error.code), as the HTML standard numbers them. */
export const MEDIA_ERR = {
  ABORTED: 1,
  NETWORK: 2,
  DECODE: 3,
  SRC_NOT_SUPPORTED: 4,
} as const;

/** Advice common to every decoding failure. */
const CONVERT = 'convert it to MP4 (H.264) or WebM';

/** Names the file in a message when it has a name. */
function quoted(fileName: string | undefined): string {
  return fileName ? ` ("${fileName}")` : '';
}

/** Turns a MediaError code into a {@link SourceError} the user can act on. */
export function classifyMediaError(code: number, fileName?: string, detail?: string): SourceError {
  const cause = detail ? new Error(detail) : undefined;
  switch (code) {
    case MEDIA_ERR.ABORTED:
      return new SourceError('aborted', 'Loading the video was stopped before it finished.', cause);
    case MEDIA_ERR.NETWORK:
      return new SourceError(
        'file-read',
        `The video file${quoted(fileName)} could not be read; it may have been moved or ` +
          'deleted. Drop it again.',
        cause,
      );
    case MEDIA_ERR.DECODE:
      return new SourceError(
        'decode',
        `The video${quoted(fileName)} stopped decoding partway: the file may be damaged or use a ` +
          `codec profile this browser cannot decode; ${CONVERT}.`,
        cause,
      );
    case MEDIA_ERR.SRC_NOT_SUPPORTED:
      return new SourceError(
        'format-unsupported',
        `This video's format or codec${quoted(fileName)} cannot be decoded by this browser; ` +
          `${CONVERT}.`,
        cause,
      );
    default:
      return new SourceError(
        'unknown',
        `The video${quoted(fileName)} could not be played (media error ${code}).`,
        cause,
      );
  }
}

/**
 * A warning before playing, from the file's MIME type: null when the browser may play it, an
 * error when it says it cannot. An empty or generic type gives no verdict (the browser then
 * tries, and a failure arrives as a MediaError).
 */
export function checkFileType(
  mimeType: string,
  canPlayType: (type: string) => string,
  fileName?: string,
): SourceError | null {
  if (mimeType === '' || mimeType === 'application/octet-stream') return null;
  if (!mimeType.startsWith('video/')) {
    return new SourceError(
      'format-unsupported',
      `The file${quoted(fileName)} is not a video (${mimeType}). Drop a video file, ` +
        'e.g. MP4 (H.264) or WebM.',
    );
  }
  if (canPlayType(mimeType) === '') {
    return new SourceError(
      'format-unsupported',
      `This video's format or codec${quoted(fileName)} cannot be decoded by this browser; ` +
        `${CONVERT}.`,
    );
  }
  return null;
}

/** The slice of the URL statics used here (injected in tests). */
export interface ObjectUrls {
  createObjectURL(blob: Blob): string;
  revokeObjectURL(url: string): void;
}

/** What a file turned out to be once its metadata loaded. */
export interface FileInfo {
  readonly duration: number;
  readonly width: number;
  readonly height: number;
}

/** Options of {@link FileSource}. */
export interface FileSourceOptions {
  /** Called when playback fails after the file opened (a decode error midway). */
  readonly onError?: (error: SourceError) => void;
  readonly urls?: ObjectUrls;
}

/** A video file played in a <video> element (which the frame pump reads). */
export class FileSource {
  private readonly video: HTMLVideoElement;
  private readonly onError: ((error: SourceError) => void) | undefined;
  private readonly urls: ObjectUrls;
  private url: string | null = null;
  private fileName: string | undefined;
  private readonly errorListener = () => this.reportError();

  constructor(video: HTMLVideoElement, options: FileSourceOptions = {}) {
    this.video = video;
    this.onError = options.onError;
    this.urls = options.urls ?? URL;
  }

  /** Whether a file is open. */
  get open(): boolean {
    return this.url !== null;
  }

  /**
   * Opens a file (closing any open one) and waits for its metadata. Rejects with a
   * {@link SourceError} for a file the browser cannot play or one with no video track.
   */
  async openFile(file: Blob & { readonly name?: string }): Promise<FileInfo> {
    this.close();
    this.fileName = file.name;
    if (file.size === 0) {
      throw new SourceError(
        'empty-file',
        `The file${file.name ? ` "${file.name}"` : ''} is empty (0 bytes): there is nothing to play.`,
      );
    }
    const early = checkFileType(file.type, (t) => this.video.canPlayType(t), file.name);
    if (early) throw early;
    const url = this.urls.createObjectURL(file);
    this.url = url;
    const video = this.video;
    video.muted = true;
    video.playsInline = true;
    video.loop = true;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        video.removeEventListener('loadedmetadata', onLoaded);
        video.removeEventListener('error', onFailed);
      };
      const onLoaded = () => {
        done();
        resolve();
      };
      const onFailed = () => {
        done();
        reject(this.currentError());
      };
      video.addEventListener('loadedmetadata', onLoaded);
      video.addEventListener('error', onFailed);
      video.src = url;
    }).catch((e: unknown) => {
      this.close();
      throw e;
    });
    if (video.videoWidth === 0 || video.videoHeight === 0) {
      this.close();
      throw new SourceError(
        'no-video-track',
        `The file${this.fileName ? ` "${this.fileName}"` : ''} has no video track the browser can show.`,
      );
    }
    video.addEventListener('error', this.errorListener);
    return { duration: video.duration, width: video.videoWidth, height: video.videoHeight };
  }

  /** Starts playback (muted, so autoplay rules allow it). */
  play(): Promise<void> {
    return this.video.play();
  }

  pause(): void {
    this.video.pause();
  }

  /** Playback speed, e.g. 0.5 for slow motion; the frame pump samples by video time anyway. */
  setPlaybackRate(rate: number): void {
    if (!(Number.isFinite(rate) && rate > 0)) {
      throw new Error(`A playback rate must be a positive number, got ${rate}.`);
    }
    this.video.playbackRate = rate;
  }

  /** Jumps to `seconds` (clamped to the video); the frame pump resets the model on 'seeking'. */
  seek(seconds: number): void {
    const duration = Number.isFinite(this.video.duration) ? this.video.duration : seconds;
    this.video.currentTime = Math.min(Math.max(0, seconds), duration);
  }

  /** Stops playback, detaches the file and frees its object URL. */
  close(): void {
    this.video.removeEventListener('error', this.errorListener);
    if (this.url === null) return;
    const url = this.url;
    this.url = null;
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
    this.urls.revokeObjectURL(url);
  }

  private currentError(): SourceError {
    const error = this.video.error;
    return classifyMediaError(error?.code ?? 0, this.fileName, error?.message);
  }

  private reportError(): void {
    this.onError?.(this.currentError());
  }
}
