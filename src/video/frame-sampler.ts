/**
 * Resampling video frames to the model's frame rate, from their timestamps alone.
 *
 * Sampling instants lie on a grid `anchor + k / targetFps`. A frame is kept when it is the first
 * to reach the next instant, counting a frame that falls less than half a source frame interval
 * early as reaching it: without jitter that keeps the frame nearest each instant, and timestamps
 * that wobble by less than half an interval do not change which frames are kept. The grid, not the
 * last kept frame, sets the next instant, so the average kept rate is exactly the target however
 * the source rate divides it (29.97 -> 5 fps keeps every 6th frame, and a 5th every 33 s).
 *
 * Pure: no DOM, no clock; the frame pump feeds it timestamps.
 */

/** Why the stream is no longer continuous; the model state must be reset. */
export type Discontinuity = 'seek-backward' | 'gap';

/** What to do with one frame. */
export interface SampleDecision {
  /** Hand this frame to the model. */
  readonly keep: boolean;
  /** Set when the stream jumped: the kept frame starts a new stream. */
  readonly discontinuity: Discontinuity | null;
}

/** Options of {@link FrameSampler}. */
export interface FrameSamplerOptions {
  /** Frames per second to keep, e.g. the model's frame rate. */
  readonly targetFps: number;
  /**
   * A forward jump of more than this many seconds is a gap (a forward seek, a tab that was hidden)
   * after which the stream restarts. Default 1 s.
   */
  readonly maxGapSeconds?: number;
  /** Timestamps this close (s) count as the same frame, not a backward seek. Default 1 ms. */
  readonly sameFrameSeconds?: number;
}

/** Frame intervals remembered for the median estimate of the source's frame interval. */
const INTERVAL_HISTORY = 9;

/** Decides, frame by frame, which frames of a video stream to keep. */
export class FrameSampler {
  readonly targetFps: number;
  /** Seconds between sampling instants. */
  readonly period: number;
  readonly maxGapSeconds: number;
  readonly sameFrameSeconds: number;
  /** Time of sampling instant 0. */
  private anchor = 0;
  /** Index of the next sampling instant on the grid. */
  private nextIndex = 0;
  private last: number | null = null;
  private intervals: number[] = [];

  constructor(options: FrameSamplerOptions) {
    const { targetFps } = options;
    if (!(Number.isFinite(targetFps) && targetFps > 0)) {
      throw new Error(`The target frame rate must be a positive number, got ${targetFps}.`);
    }
    const maxGap = options.maxGapSeconds ?? 1;
    const same = options.sameFrameSeconds ?? 1e-3;
    if (!(maxGap > 0)) throw new Error(`maxGapSeconds must be positive, got ${maxGap}.`);
    if (!(same >= 0)) throw new Error(`sameFrameSeconds must be non-negative, got ${same}.`);
    this.targetFps = targetFps;
    this.period = 1 / targetFps;
    this.maxGapSeconds = maxGap;
    this.sameFrameSeconds = same;
  }

  /** The source's frame interval (median of recent intervals, s), null before two frames. */
  get frameInterval(): number | null {
    if (this.intervals.length === 0) return null;
    const sorted = [...this.intervals].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
  }

  /** The next sampling instant (s), null before the first frame. */
  get nextInstant(): number | null {
    return this.last === null ? null : this.instant(this.nextIndex);
  }

  /** Decides about the frame shown at `timestamp` seconds (video time). */
  offer(timestamp: number): SampleDecision {
    if (!Number.isFinite(timestamp)) {
      throw new Error(`A frame timestamp must be a finite number, got ${timestamp}.`);
    }
    const last = this.last;
    if (last === null) return this.restart(timestamp, null);
    const delta = timestamp - last;
    if (delta < -this.sameFrameSeconds) return this.restart(timestamp, 'seek-backward');
    // The same frame again (a paused video, a repeated callback): already decided.
    if (delta <= this.sameFrameSeconds) return { keep: false, discontinuity: null };
    if (delta > this.maxGapSeconds) return this.restart(timestamp, 'gap');

    this.last = timestamp;
    this.intervals.push(delta);
    if (this.intervals.length > INTERVAL_HISTORY) this.intervals.shift();
    // Half a frame early still counts, but never half a period: one frame per instant at most.
    const early = Math.min((this.frameInterval ?? 0) / 2, this.period / 2);
    if (timestamp < this.instant(this.nextIndex) - early)
      return { keep: false, discontinuity: null };
    this.advancePast(timestamp);
    return { keep: true, discontinuity: null };
  }

  /** Forgets the stream: the next frame is kept and starts a new grid. */
  reset(): void {
    this.last = null;
    this.intervals = [];
  }

  private instant(index: number): number {
    // Computed from the index, not accumulated, so rounding errors do not build up.
    return this.anchor + index * this.period;
  }

  /** Moves the next instant past `timestamp`, skipping instants a slow source never reached. */
  private advancePast(timestamp: number): void {
    this.nextIndex = Math.max(
      this.nextIndex + 1,
      Math.floor((timestamp - this.anchor) / this.period) + 1,
    );
  }

  private restart(timestamp: number, discontinuity: Discontinuity | null): SampleDecision {
    this.last = timestamp;
    this.anchor = timestamp;
    this.nextIndex = 1;
    // Intervals survive a seek (same video); they are cleared only by reset().
    return { keep: true, discontinuity };
  }
}

/** Indices of the frames a fresh {@link FrameSampler} keeps from a list of timestamps. */
export function sampleTimestamps(
  timestamps: readonly number[],
  options: FrameSamplerOptions,
): number[] {
  const sampler = new FrameSampler(options);
  const kept: number[] = [];
  timestamps.forEach((t, i) => {
    if (sampler.offer(t).keep) kept.push(i);
  });
  return kept;
}
