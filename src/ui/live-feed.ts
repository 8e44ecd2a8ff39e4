/**
 * The per-frame data of the dashboard, kept out of React: the latest top-5 of each mode, latency
 * rings, rates, drop counts, the agreement and cost tallies, and a ring of top-1 samples for the
 * timeline. Components subscribe and repaint on the next animation frame, writing to the DOM or
 * a canvas directly, so 30 predictions a second never re-render the React tree.
 *
 * Plain TypeScript, no DOM: the controller feeds it from the worker's messages, tests feed it
 * by hand.
 */
import type { PredictionMessage, ModeOutcome, ScoredClass } from '../runtime/protocol';
import { LatencyStats } from '../runtime/latency-stats';
import { EMPTY_AGREEMENT, addAgreement, type AgreementTally } from './agreement';
import { EMPTY_STEPS, addStep, type StepTally } from './cost';
import { RateMeter } from './rate-meter';
import type { TimelineSample } from './timeline';

/** The latest answer of one mode. */
export interface ModeSnapshot {
  /** The last top-5, most probable first; null before the first since the last reset. */
  readonly top5: readonly ScoredClass[] | null;
  /** Set while the mode's buffers fill after a reset: frames seen and frames needed. */
  readonly filling: { readonly frames: number; readonly needed: number } | null;
  /** Latency of the mode's own work per frame, ms (the last `latencyWindow` frames). */
  readonly latency: LatencyStats;
}

/** Frames the page itself did not deliver to the worker. */
export interface DropCounts {
  /** Frames the worker received and dropped (busy, not ready, reset), since the model loaded. */
  readonly worker: number;
  /** Frames the page discarded before sending (grab still running, held frame replaced). */
  readonly page: number;
}

/** Options of {@link LiveFeed}. */
export interface LiveFeedOptions {
  /** Top-1 samples kept for the timeline; default 4096 (over a minute at 60 predictions/s). */
  readonly timelineCapacity?: number;
  /** Latencies kept per mode for the percentiles; default 120. */
  readonly latencyWindow?: number;
  /** Window of the rate meters, ms; default 4000. */
  readonly rateWindowMs?: number;
}

/** Frames remembered for the round-trip time (frames that are dropped are never answered). */
const MAX_PENDING = 64;

class ModeState implements ModeSnapshot {
  top5: readonly ScoredClass[] | null = null;
  filling: { readonly frames: number; readonly needed: number } | null = null;
  readonly latency: LatencyStats;

  constructor(window: number) {
    this.latency = new LatencyStats(window);
  }

  record(outcome: ModeOutcome): void {
    this.latency.push(outcome.latencyMs);
    if (outcome.kind === 'scores') {
      this.top5 = outcome.top5;
      this.filling = null;
    } else {
      this.top5 = null;
      this.filling = { frames: outcome.frames, needed: outcome.needed };
    }
  }

  resetStream(): void {
    this.top5 = null;
    this.filling = null;
  }
}

/** See the file comment. */
export class LiveFeed {
  /** Bumped on every change; a painter can skip work when it has seen this version. */
  version = 0;
  /** Cropping and scaling in the worker, ms. */
  readonly preprocess: LatencyStats;
  /** From posting a frame to its prediction arriving (queueing included), ms. */
  readonly roundTrip: LatencyStats;
  readonly framesIn: RateMeter;
  readonly framesOut: RateMeter;
  private onlineState: ModeState;
  private offlineState: ModeState;
  private agreementTally: AgreementTally = EMPTY_AGREEMENT;
  private stepTally: StepTally = EMPTY_STEPS;
  private counters = { sent: 0, predicted: 0 };
  private drops: DropCounts = { worker: 0, page: 0 };
  private lastAt: number | null = null;
  private readonly pending = new Map<number, number>();
  private readonly listeners = new Set<() => void>();
  // The history ring, one slot per prediction: parallel typed arrays, no object per sample.
  private readonly times: Float64Array;
  /** Top-1 class, -1 when no mode had scores. */
  private readonly classes: Int32Array;
  private readonly probs: Float32Array;
  /** Latency of each mode, NaN when the mode did not run. */
  private readonly onlineMs: Float32Array;
  private readonly offlineMs: Float32Array;
  private head = 0;
  private size = 0;

  constructor(options: LiveFeedOptions = {}) {
    const capacity = options.timelineCapacity ?? 4096;
    if (!(Number.isInteger(capacity) && capacity > 0)) {
      throw new Error(`The timeline capacity must be a positive integer, got ${capacity}.`);
    }
    const window = options.latencyWindow ?? 120;
    this.onlineState = new ModeState(window);
    this.offlineState = new ModeState(window);
    this.preprocess = new LatencyStats(window);
    this.roundTrip = new LatencyStats(window);
    this.framesIn = new RateMeter(options.rateWindowMs);
    this.framesOut = new RateMeter(options.rateWindowMs);
    this.times = new Float64Array(capacity);
    this.classes = new Int32Array(capacity);
    this.probs = new Float32Array(capacity);
    this.onlineMs = new Float32Array(capacity);
    this.offlineMs = new Float32Array(capacity);
  }

  /** The online (continual) mode's latest answer and latencies. */
  get online(): ModeSnapshot {
    return this.onlineState;
  }

  /** The offline (clip-based) mode's latest answer and latencies. */
  get offline(): ModeSnapshot {
    return this.offlineState;
  }

  /** Top-1 agreement and max difference of the two modes since the model loaded. */
  get agreement(): AgreementTally {
    return this.agreementTally;
  }

  /** Online steps and predictions since the model loaded (for the FLOPs saved). */
  get steps(): StepTally {
    return this.stepTally;
  }

  /** Frames sent to the worker and predictions received since the model loaded. */
  get counts(): { readonly sent: number; readonly predicted: number } {
    return { ...this.counters };
  }

  /** Frames dropped, by where. */
  get dropped(): DropCounts {
    return this.drops;
  }

  /** When the last prediction arrived (page clock, ms), null before the first. */
  get lastPredictionAt(): number | null {
    return this.lastAt;
  }

  /**
   * The top-5 to headline: the online mode's when it has one, else the offline mode's. Null while
   * neither has scores.
   */
  get primary(): readonly ScoredClass[] | null {
    return this.onlineState.top5 ?? this.offlineState.top5;
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A frame was posted to the worker at `now`. */
  frameSent(frameId: number, now: number): void {
    this.counters.sent++;
    this.framesIn.tick(now);
    this.pending.set(frameId, now);
    if (this.pending.size > MAX_PENDING) {
      // Maps iterate in insertion order: the first key is the oldest frame.
      const oldest = this.pending.keys().next().value as number;
      this.pending.delete(oldest);
    }
    this.changed();
  }

  /** A prediction arrived at `now`. */
  prediction(msg: PredictionMessage, now: number): void {
    this.counters.predicted++;
    this.framesOut.tick(now);
    this.lastAt = now;
    this.preprocess.push(msg.preprocessMs);
    const sentAt = this.pending.get(msg.frameId);
    if (sentAt !== undefined) {
      this.pending.delete(msg.frameId);
      this.roundTrip.push(Math.max(0, now - sentAt));
    }
    if (msg.online) {
      this.onlineState.record(msg.online);
      this.stepTally = addStep(this.stepTally, msg.online.kind === 'scores');
    }
    if (msg.offline) this.offlineState.record(msg.offline);
    if (msg.agreement) this.agreementTally = addAgreement(this.agreementTally, msg.agreement);
    const top1 =
      msg.online?.kind === 'scores'
        ? msg.online.top5[0]
        : msg.offline?.kind === 'scores'
          ? msg.offline.top5[0]
          : undefined;
    this.pushSample(
      now,
      top1?.index ?? -1,
      top1?.prob ?? 0,
      msg.online?.latencyMs ?? NaN,
      msg.offline?.latencyMs ?? NaN,
    );
    this.changed();
  }

  /** The latest drop counts (the worker's running total and the page's own). */
  setDropped(drops: DropCounts): void {
    if (drops.worker === this.drops.worker && drops.page === this.drops.page) return;
    this.drops = { ...drops };
    this.changed();
  }

  /**
   * The stream restarted (seek, new source): the answers shown belong to the past. Tallies and
   * the timeline go on; they describe the session.
   */
  resetStream(): void {
    this.onlineState.resetStream();
    this.offlineState.resetStream();
    this.pending.clear();
    this.changed();
  }

  /** A mode is no longer computed: its last answer is not current any more. */
  clearMode(mode: 'online' | 'offline'): void {
    (mode === 'online' ? this.onlineState : this.offlineState).resetStream();
    this.changed();
  }

  /** A new model: everything starts over, the timeline too (other classes). */
  clear(): void {
    const window = this.onlineState.latency.capacity;
    this.onlineState = new ModeState(window);
    this.offlineState = new ModeState(window);
    this.preprocess.clear();
    this.roundTrip.clear();
    this.framesIn.clear();
    this.framesOut.clear();
    this.agreementTally = EMPTY_AGREEMENT;
    this.stepTally = EMPTY_STEPS;
    this.counters = { sent: 0, predicted: 0 };
    this.drops = { worker: 0, page: 0 };
    this.lastAt = null;
    this.pending.clear();
    this.head = 0;
    this.size = 0;
    this.changed();
  }

  /** Top-1 samples newer than `since` (page clock, ms), oldest first. */
  timeline(since = -Infinity): TimelineSample[] {
    const out: TimelineSample[] = [];
    this.forEachSince(since, (at, t) => {
      const cls = this.classes[at] as number;
      if (cls >= 0) out.push({ t, cls, prob: this.probs[at] as number });
    });
    return out;
  }

  /**
   * Per-prediction latencies newer than `since`, oldest first, as columns (uPlot's data layout);
   * null where a mode did not run.
   */
  latencyHistory(since = -Infinity): {
    readonly t: number[];
    readonly online: (number | null)[];
    readonly offline: (number | null)[];
  } {
    const t: number[] = [];
    const online: (number | null)[] = [];
    const offline: (number | null)[] = [];
    this.forEachSince(since, (at, time) => {
      const on = this.onlineMs[at] as number;
      const off = this.offlineMs[at] as number;
      t.push(time);
      online.push(Number.isNaN(on) ? null : on);
      offline.push(Number.isNaN(off) ? null : off);
    });
    return { t, online, offline };
  }

  private forEachSince(since: number, visit: (slot: number, t: number) => void): void {
    const n = this.times.length;
    for (let i = 0; i < this.size; i++) {
      const at = (this.head - this.size + i + n) % n;
      const t = this.times[at] as number;
      if (t > since) visit(at, t);
    }
  }

  private pushSample(t: number, cls: number, prob: number, onMs: number, offMs: number): void {
    this.times[this.head] = t;
    this.classes[this.head] = cls;
    this.probs[this.head] = prob;
    this.onlineMs[this.head] = onMs;
    this.offlineMs[this.head] = offMs;
    this.head = (this.head + 1) % this.times.length;
    this.size = Math.min(this.size + 1, this.times.length);
  }

  private changed(): void {
    this.version++;
    for (const listener of [...this.listeners]) listener();
  }
}
