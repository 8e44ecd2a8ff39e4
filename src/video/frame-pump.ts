/**
 * The frame pump: each frame the <video> presents (requestVideoFrameCallback) goes through the
 * {@link FrameSampler}; a kept frame is grabbed with createImageBitmap, cropped to its centred
 * square and scaled to about the model's input, so the copy handed on is small and stays GPU-side.
 * A seek, a gap or a new source resets the stream. The video is reached through {@link VideoLike}
 * and the grab is injectable, so the pump's logic is tested without a browser.
 */
import type { ResetReason } from '../runtime/protocol';
import { centerSquare } from './crop';
import { FrameSampler } from './frame-sampler';

/** Metadata of a presented frame (the part of VideoFrameCallbackMetadata used here). */
export interface VideoFrameInfo {
  /** Presentation time of the frame in the media, s. */
  readonly mediaTime: number;
  /** Frames the compositor has presented so far (gaps reveal frames we were not called for). */
  readonly presentedFrames?: number;
}

/** The media events the pump follows. */
export type PumpEvent = 'seeking' | 'seeked' | 'emptied';

/** The slice of HTMLVideoElement the pump uses. */
export interface VideoLike {
  readonly videoWidth: number;
  readonly videoHeight: number;
  readonly currentTime: number;
  /** True between 'seeking' and 'seeked': frames shown then may still be from before the jump. */
  readonly seeking?: boolean;
  requestVideoFrameCallback?(callback: (now: number, metadata: VideoFrameInfo) => void): number;
  cancelVideoFrameCallback?(handle: number): void;
  addEventListener(type: PumpEvent, listener: () => void): void;
  removeEventListener(type: PumpEvent, listener: () => void): void;
}

/** Where to cut a video frame and the size to scale the cut to. */
export interface GrabRegion {
  readonly sx: number;
  readonly sy: number;
  readonly sw: number;
  readonly sh: number;
  readonly resizeWidth: number;
  readonly resizeHeight: number;
}

/**
 * The centred square of a `videoWidth` x `videoHeight` frame, scaled to `outputSize` — never up:
 * a video smaller than that is grabbed at its own size and the worker resizes it.
 */
export function grabRegion(
  videoWidth: number,
  videoHeight: number,
  outputSize: number,
): GrabRegion {
  if (!(Number.isInteger(outputSize) && outputSize > 0)) {
    throw new Error(`The grab size must be a positive integer, got ${outputSize}.`);
  }
  const box = centerSquare(videoWidth, videoHeight);
  const side = Math.min(outputSize, box.size);
  return {
    sx: box.x,
    sy: box.y,
    sw: box.size,
    sh: box.size,
    resizeWidth: side,
    resizeHeight: side,
  };
}

/** Grabs a region of the video as a bitmap (createImageBitmap in the browser). */
export type GrabFrame = (video: VideoLike, region: GrabRegion) => Promise<ImageBitmap>;

/** The browser's grab: GPU-side crop and scale, no canvas, no pixels in JS. */
export const grabWithImageBitmap: GrabFrame = (video, r) =>
  createImageBitmap(video as unknown as HTMLVideoElement, r.sx, r.sy, r.sw, r.sh, {
    resizeWidth: r.resizeWidth,
    resizeHeight: r.resizeHeight,
    resizeQuality: 'medium',
  });

/** A grabbed frame, owned by the receiver (transfer it or close it). */
export interface PumpedFrame {
  readonly bitmap: ImageBitmap;
  /** Video time of the frame, s. */
  readonly timestamp: number;
}

/** Counters since the pump was created. */
export interface PumpStats {
  /** Frame callbacks received. */
  readonly framesIn: number;
  /** Frames the browser presented without calling us (a busy page). */
  readonly missed: number;
  /** Frames the sampler kept. */
  readonly sampled: number;
  /** Kept frames handed to `onFrame`. */
  readonly delivered: number;
  /** Kept frames not delivered: the previous grab was still running, it failed, or went stale. */
  readonly dropped: number;
}

/** Options of {@link FramePump}. */
export interface FramePumpOptions {
  /** Frames per second to keep (the model's rate). */
  readonly targetFps: number;
  /** Side of the square handed on, px (about the model's input size). */
  readonly outputSize: number;
  readonly onFrame: (frame: PumpedFrame) => void;
  /** The stream jumped or changed: the model state must be reset before the next frame. */
  readonly onReset: (reason: ResetReason) => void;
  readonly maxGapSeconds?: number;
  /** Default {@link grabWithImageBitmap}. */
  readonly grab?: GrabFrame;
  /** Fallback scheduler when requestVideoFrameCallback is missing; default requestAnimationFrame. */
  readonly requestFrame?: (callback: () => void) => number;
  readonly cancelFrame?: (handle: number) => void;
}

/** Drives sampling and grabbing from a video element's frames. */
export class FramePump {
  private readonly video: VideoLike;
  private readonly options: FramePumpOptions;
  private readonly grab: GrabFrame;
  private sampler: FrameSampler;
  private running = false;
  private handle: number | null = null;
  private usingVideoCallback = false;
  private grabbing = false;
  /** Bumped on each reset: a grab started before it is stale. */
  private epoch = 0;
  private lastPresented: number | null = null;
  private counts = { framesIn: 0, missed: 0, sampled: 0, delivered: 0, dropped: 0 };
  private readonly onSeeking = () => this.restartStream('seek');
  /**
   * A frame callback queued before the seek can still arrive after 'seeking' with its old time;
   * the sampler would then take the first frame at the new position for a gap. The seek is already
   * reported, so the grid restarts silently once the new position is reached.
   */
  private readonly onSeeked = () => {
    this.sampler.reset();
    this.epoch++;
  };
  private readonly onEmptied = () => this.restartStream('source');

  constructor(video: VideoLike, options: FramePumpOptions) {
    this.video = video;
    this.options = options;
    this.grab = options.grab ?? grabWithImageBitmap;
    this.sampler = this.makeSampler(options.targetFps);
  }

  /** Counters since the pump was created. */
  get stats(): PumpStats {
    return { ...this.counts };
  }

  /** Whether the pump is running. */
  get active(): boolean {
    return this.running;
  }

  /** Starts following the video's frames. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.video.addEventListener('seeking', this.onSeeking);
    this.video.addEventListener('seeked', this.onSeeked);
    this.video.addEventListener('emptied', this.onEmptied);
    this.schedule();
  }

  /** Stops; a grab in progress is discarded when it lands. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.epoch++;
    this.video.removeEventListener('seeking', this.onSeeking);
    this.video.removeEventListener('seeked', this.onSeeked);
    this.video.removeEventListener('emptied', this.onEmptied);
    if (this.handle !== null) {
      if (this.usingVideoCallback) this.video.cancelVideoFrameCallback?.(this.handle);
      else (this.options.cancelFrame ?? cancelAnimationFrame)(this.handle);
    }
    this.handle = null;
  }

  /** A new model rate: sampling restarts on the new grid (and the stream is reset). */
  setTargetFps(targetFps: number): void {
    this.sampler = this.makeSampler(targetFps);
    this.restartStream('source');
  }

  /** The video's source changed (a new file or camera): reset the stream. */
  sourceChanged(): void {
    this.restartStream('source');
  }

  private makeSampler(targetFps: number): FrameSampler {
    return new FrameSampler(
      this.options.maxGapSeconds === undefined
        ? { targetFps }
        : { targetFps, maxGapSeconds: this.options.maxGapSeconds },
    );
  }

  private restartStream(reason: ResetReason): void {
    this.sampler.reset();
    this.epoch++;
    this.lastPresented = null;
    this.options.onReset(reason);
  }

  private schedule(): void {
    const video = this.video;
    if (typeof video.requestVideoFrameCallback === 'function') {
      this.usingVideoCallback = true;
      this.handle = video.requestVideoFrameCallback((_now, metadata) =>
        this.onVideoFrame(metadata),
      );
    } else {
      // Without frame callbacks, poll once per display frame; the sampler ignores repeats.
      this.usingVideoCallback = false;
      const request = this.options.requestFrame ?? requestAnimationFrame;
      this.handle = request(() => this.onVideoFrame({ mediaTime: video.currentTime }));
    }
  }

  private onVideoFrame(metadata: VideoFrameInfo): void {
    if (!this.running) return;
    this.schedule();
    this.counts.framesIn++;
    const presented = metadata.presentedFrames;
    if (presented !== undefined) {
      if (this.lastPresented !== null && presented > this.lastPresented + 1) {
        this.counts.missed += presented - this.lastPresented - 1;
      }
      this.lastPresented = presented;
    }
    // Mid-seek frames belong to neither side of the jump.
    if (this.video.seeking === true) return;
    const timestamp = metadata.mediaTime;
    const decision = this.sampler.offer(timestamp);
    if (decision.discontinuity !== null) {
      this.epoch++;
      this.options.onReset(decision.discontinuity === 'gap' ? 'gap' : 'seek');
    }
    if (!decision.keep) return;
    this.counts.sampled++;
    const { videoWidth, videoHeight } = this.video;
    if (this.grabbing || videoWidth === 0 || videoHeight === 0) {
      this.counts.dropped++;
      return;
    }
    this.grabbing = true;
    const epoch = this.epoch;
    const region = grabRegion(videoWidth, videoHeight, this.options.outputSize);
    this.grab(this.video, region).then(
      (bitmap) => {
        this.grabbing = false;
        if (!this.running || epoch !== this.epoch) {
          bitmap.close();
          this.counts.dropped++;
          return;
        }
        this.counts.delivered++;
        this.options.onFrame({ bitmap, timestamp });
      },
      () => {
        this.grabbing = false;
        this.counts.dropped++;
      },
    );
  }
}
