/**
 * What the inference Worker does, as a plain class that knows nothing of `self`: load a model on
 * the chosen backend, turn frames into predictions (online, offline or both), keep at most one
 * frame waiting, and move to the next backend when the current one fails while running.
 * The Worker file only binds it to `onmessage`/`postMessage`, so all of this runs in Node tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ActionModel, ModelInfo } from '../models/action-model';
import { BACKEND_LABELS, describeBackend, type BackendChoice, type BackendName } from './backend';
import type { BackendStarter } from './backend-fallback';
import { preprocessFrame } from './preprocess';
import {
  isImageBitmap,
  isPageMessage,
  message,
  type Agreement,
  type DropReason,
  type ErrorKind,
  type FrameMessage,
  type InferenceMode,
  type LoadMessage,
  type LoadPhase,
  type ModeOutcome,
  type PredictionMessage,
  type ScoredClass,
  type WorkerMessage,
} from './protocol';

/** Options the model registry's `createModel` takes (the fields the engine sets). */
export interface CreateModelOptions {
  backend?: string;
  variant?: string;
  weightsBaseUrl?: string;
  onProgress?: (p: { phase: LoadPhase; loaded: number; total: number }) => void;
}

/** Builds a model by registry id: `createModel` of src/models/registry.ts, or a fake in tests. */
export type ModelFactory = (id: string, options: CreateModelOptions) => Promise<ActionModel>;

/** What the engine needs from its surroundings. */
export interface InferenceEngineOptions {
  readonly createModel: ModelFactory;
  readonly startBackend: BackendStarter;
  /** Sends a message to the page. */
  readonly post: (msg: WorkerMessage) => void;
  /** Clock for latencies, ms; default performance.now. */
  readonly now?: () => number;
  /** Whether an error thrown while inferring means the backend is broken; default {@link isLikelyBackendFailure}. */
  readonly isBackendFailure?: (error: unknown, backend: BackendName) => boolean;
  /** Called after each backend start; calls `onLost` if the backend dies (e.g. WebGPU device.lost). */
  readonly watchBackend?: (backend: BackendName, onLost: (reason: string) => void) => void;
  /** Lets queued messages arrive between frames; default a zero timeout. */
  readonly yieldToEventLoop?: () => Promise<void>;
}

/** Counters since the current model was loaded. */
export interface EngineStats {
  readonly received: number;
  readonly predicted: number;
  readonly dropped: number;
}

/**
 * Default test for "the backend broke": on a GPU backend every inference error counts, since
 * shape errors would fail on the next backend too (and then be reported) while a lost device or
 * a GPU-only kernel bug is rescued by moving on; on WASM only a crashed module (a trap, an abort,
 * running out of memory) counts; the CPU backend has nowhere to fall back to.
 */
export function isLikelyBackendFailure(error: unknown, backend: BackendName): boolean {
  if (backend === 'webgpu' || backend === 'webgl') return true;
  if (backend === 'cpu') return false;
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return /RuntimeError|Aborted|out of memory|unreachable/i.test(text);
}

/** The `k` most probable classes, most probable first (ties: lower index first). */
export function topK(probs: ArrayLike<number>, k: number): ScoredClass[] {
  const best: ScoredClass[] = [];
  for (let index = 0; index < probs.length; index++) {
    const prob = probs[index] as number;
    if (best.length === k && prob <= (best[k - 1] as ScoredClass).prob) continue;
    let at = best.length;
    while (at > 0 && (best[at - 1] as ScoredClass).prob < prob) at--;
    best.splice(at, 0, { index, prob });
    if (best.length > k) best.pop();
  }
  return best;
}

/** Index of the largest value (the first one on ties). */
function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if ((values[i] as number) > (values[best] as number)) best = i;
  }
  return best;
}

/** Top-1 agreement and the largest per-class difference of two probability vectors. */
export function compareProbabilities(a: ArrayLike<number>, b: ArrayLike<number>): Agreement {
  if (a.length !== b.length) {
    throw new Error(`Cannot compare ${a.length} probabilities with ${b.length}.`);
  }
  let maxAbsDiff = 0;
  for (let i = 0; i < a.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs((a[i] as number) - (b[i] as number)));
  }
  return { top1Agree: argMax(a) === argMax(b), maxAbsDiff };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A plain copy of a model's info, safe to post whatever object the model keeps. */
function plainInfo(info: ModelInfo): ModelInfo {
  return {
    id: info.id,
    displayName: info.displayName,
    labels: [...info.labels],
    input: { height: info.input.height, width: info.input.width, channels: info.input.channels },
    frameRate: info.frameRate,
    clipLength: info.clipLength,
    twinLength: info.twinLength,
    trained: info.trained,
    params: info.params,
    description: info.description,
    ...(info.variant !== undefined
      ? {
          variant: {
            ...info.variant,
            evaluation: info.variant.evaluation && { ...info.variant.evaluation },
          },
        }
      : {}),
  };
}

const includesOnline = (mode: InferenceMode) => mode !== 'offline';
const includesOffline = (mode: InferenceMode) => mode !== 'online';

/** Thrown inside a frame when a reset or load made it stale; the frame is dropped as 'reset'. */
class StaleFrame extends Error {}

/** The worker's logic. Feed it page messages with {@link handle}; it answers through `post`. */
export class InferenceEngine {
  private readonly createModel: ModelFactory;
  private readonly startBackend: BackendStarter;
  private readonly post: (msg: WorkerMessage) => void;
  private readonly now: () => number;
  private readonly isBackendFailure: (error: unknown, backend: BackendName) => boolean;
  private readonly watchBackend:
    ((backend: BackendName, onLost: (reason: string) => void) => void) | undefined;
  private readonly yieldToEventLoop: () => Promise<void>;

  private model: ActionModel | null = null;
  private choice: BackendChoice | null = null;
  private request: LoadMessage | null = null;
  /** Backends that failed while running; never tried again in this worker. */
  private readonly excluded: BackendName[] = [];
  private mode: InferenceMode = 'online';
  /** The last `twinLength` preprocessed frames, oldest first, for the offline twin. */
  private window: tf.Tensor4D[] = [];
  /** Online steps since the last reset of the online state. */
  private onlineSteps = 0;
  /** Frames went by without an online step, so the online state no longer matches the stream. */
  private onlineStale = false;
  /** Bumped by reset, load, fallback and dispose: a frame started under another is stale. */
  private generation = 0;
  /** Bumped by each load request, so a superseded load stops. */
  private loadToken = 0;
  /** Load and fallback start backends and build models; they must not overlap. */
  private exclusive: Promise<void> = Promise.resolve();
  private pending: FrameMessage | null = null;
  /** A backend failure waiting to be handled, and the backend choice it concerns. */
  private lost: { readonly reason: string; readonly choice: BackendChoice } | null = null;
  private draining = false;
  private loop: Promise<void> = Promise.resolve();
  private counts = { received: 0, predicted: 0, dropped: 0 };

  constructor(options: InferenceEngineOptions) {
    this.createModel = options.createModel;
    this.startBackend = options.startBackend;
    this.post = options.post;
    this.now = options.now ?? (() => performance.now());
    this.isBackendFailure = options.isBackendFailure ?? isLikelyBackendFailure;
    this.watchBackend = options.watchBackend;
    this.yieldToEventLoop =
      options.yieldToEventLoop ?? (() => new Promise((resolve) => setTimeout(resolve, 0)));
  }

  /** Counters since the current model was loaded. */
  get stats(): EngineStats {
    return { ...this.counts };
  }

  /** The backend in use, null before the first load. */
  get backend(): BackendName | null {
    return this.choice?.backend ?? null;
  }

  /** Tensors held between frames: the clip window (the model's own are not counted). */
  get heldFrames(): number {
    return this.window.length;
  }

  /**
   * Handles one message from the page. The promise settles when the work it started is done
   * (for a frame: when the frame loop it joined has emptied), which tests await.
   */
  handle(raw: unknown): Promise<void> {
    if (!isPageMessage(raw)) {
      const pixels = (raw as { pixels?: unknown } | null)?.pixels;
      if (isImageBitmap(pixels)) pixels.close();
      this.postError(
        'protocol',
        'The page sent a message this worker does not understand; reload the page.',
        true,
      );
      return Promise.resolve();
    }
    switch (raw.type) {
      case 'load':
        return this.load(raw);
      case 'frame':
        return this.enqueue(raw);
      case 'setMode':
        this.mode = raw.mode;
        return Promise.resolve();
      case 'reset':
        this.reset();
        return Promise.resolve();
      case 'dispose':
        this.dispose();
        return Promise.resolve();
    }
  }

  /**
   * The backend died outside any call (WebGPU `device.lost`): move to the next backend, between
   * frames if one is being processed.
   */
  backendLost(reason: string): Promise<void> {
    if (this.model === null || this.choice === null) return Promise.resolve();
    this.lost = { reason, choice: this.choice };
    return this.runLoop();
  }

  /** Releases the model, the clip window and any waiting frame. */
  dispose(): void {
    this.loadToken++;
    this.release();
    this.request = null;
  }

  // -------------------------------------------------------------------------------------------
  // Loading

  private load(msg: LoadMessage): Promise<void> {
    const token = ++this.loadToken;
    return this.runExclusive(async () => {
      if (token !== this.loadToken) return;
      this.release();
      this.request = msg;
      this.counts = { received: 0, predicted: 0, dropped: 0 };
      let choice: BackendChoice;
      try {
        choice = await this.startBackend({ override: msg.backend, exclude: [...this.excluded] });
      } catch (e) {
        this.postError('backend', errorText(e), false);
        return;
      }
      if (token !== this.loadToken) return;
      let model: ActionModel;
      try {
        model = await this.buildModel(msg, choice.backend);
      } catch (e) {
        this.postError(
          'model-load',
          `The model "${msg.modelId}" could not be loaded: ${errorText(e)}`,
          false,
        );
        return;
      }
      if (token !== this.loadToken) {
        model.dispose();
        return;
      }
      this.install(model, choice);
      this.post(
        message({
          type: 'ready',
          modelInfo: plainInfo(model.info),
          backend: choice.backend,
          backendReason: choice.reason,
          backendChoice: choice,
          flopsPerStep: { ...model.flopsPerStep },
          flopsPerClip: { ...model.flopsPerClip },
          stateBytes: model.stateBytes,
          onlineDelay: model.network.delay,
        }),
      );
    });
  }

  private runExclusive(task: () => Promise<void>): Promise<void> {
    const run = this.exclusive.then(task);
    this.exclusive = run.catch(() => undefined);
    return run;
  }

  private buildModel(msg: LoadMessage, backend: BackendName): Promise<ActionModel> {
    const options: CreateModelOptions = {
      backend,
      onProgress: (p) =>
        this.post(
          message({
            type: 'progress',
            phase: p.phase,
            loaded: p.loaded,
            total: p.total,
          }),
        ),
    };
    if (msg.variant !== null) options.variant = msg.variant;
    if (msg.weightsBaseUrl !== null) options.weightsBaseUrl = msg.weightsBaseUrl;
    return this.createModel(msg.modelId, options);
  }

  private install(model: ActionModel, choice: BackendChoice): void {
    this.model = model;
    this.choice = choice;
    this.onlineSteps = 0;
    this.onlineStale = false;
    this.lost = null;
    this.watchBackend?.(choice.backend, (reason) => {
      if (this.choice === choice) void this.backendLost(reason);
    });
  }

  /** Drops the model and every held tensor; a frame in flight becomes stale. */
  private release(): void {
    this.generation++;
    this.clearWindow();
    this.discardPending('reset');
    const model = this.model;
    this.model = null;
    if (model) quietly(() => model.dispose());
  }

  // -------------------------------------------------------------------------------------------
  // Frames

  private enqueue(msg: FrameMessage): Promise<void> {
    this.counts.received++;
    if (this.model === null && !this.draining) {
      closePixels(msg);
      this.drop(1, 'not-ready');
      return Promise.resolve();
    }
    // Back-pressure: one frame in flight, one waiting; a newer frame replaces the waiting one.
    this.discardPending('busy');
    this.pending = msg;
    return this.runLoop();
  }

  private discardPending(reason: DropReason): void {
    if (this.pending === null) return;
    closePixels(this.pending);
    this.pending = null;
    this.drop(1, reason);
  }

  private runLoop(): Promise<void> {
    if (this.draining) return this.loop;
    this.draining = true;
    this.loop = this.drain();
    return this.loop;
  }

  /** Processes waiting work until none is left; `draining` ends in the same turn as the loop. */
  private async drain(): Promise<void> {
    try {
      while (this.lost !== null || this.pending !== null) {
        if (this.lost !== null) {
          const { reason, choice } = this.lost;
          this.lost = null;
          await this.runExclusive(() => this.fallBack(reason, choice));
          continue;
        }
        const frame = this.pending as FrameMessage;
        this.pending = null;
        await this.processFrame(frame);
        // Let frames queued behind this one arrive, so only the newest is kept.
        await this.yieldToEventLoop();
      }
    } finally {
      this.draining = false;
    }
  }

  private async processFrame(msg: FrameMessage): Promise<void> {
    const model = this.model;
    const choice = this.choice;
    if (model === null || choice === null) {
      closePixels(msg);
      this.drop(1, 'not-ready');
      return;
    }
    const generation = this.generation;
    try {
      const prediction = await this.infer(model, msg, generation);
      this.counts.predicted++;
      this.post(prediction);
    } catch (e) {
      if (e instanceof StaleFrame || generation !== this.generation) {
        this.drop(1, 'reset');
        return;
      }
      this.drop(1, 'error');
      if (this.isBackendFailure(e, choice.backend)) {
        this.lost = { reason: errorText(e), choice };
      } else {
        this.postError('inference', `A frame could not be processed: ${errorText(e)}`, true);
      }
    }
  }

  private async infer(
    model: ActionModel,
    msg: FrameMessage,
    generation: number,
  ): Promise<PredictionMessage> {
    const mode = this.mode;
    const start = this.now();
    let frame: tf.Tensor4D;
    try {
      frame = preprocessFrame(msg.pixels, model.info.input);
    } finally {
      closePixels(msg);
    }
    this.pushWindow(frame, model.info.twinLength);
    const preprocessMs = this.now() - start;
    const checkStale = () => {
      if (generation !== this.generation) throw new StaleFrame();
    };

    let online: ModeOutcome | undefined;
    let onlineProbs: Float32Array | undefined;
    if (includesOnline(mode)) {
      if (this.onlineStale) {
        model.resetState();
        this.onlineSteps = 0;
        this.onlineStale = false;
      }
      const t = this.now();
      const logits = model.step(frame);
      this.onlineSteps++;
      if (logits === null) {
        online = {
          kind: 'filling',
          frames: this.onlineSteps,
          needed: model.network.delay + 1,
          latencyMs: this.now() - t,
        };
      } else {
        onlineProbs = await readProbabilities(logits);
        checkStale();
        online = { kind: 'scores', top5: topK(onlineProbs, 5), latencyMs: this.now() - t };
      }
    } else {
      this.onlineStale = true;
    }

    let offline: ModeOutcome | undefined;
    let offlineProbs: Float32Array | undefined;
    if (includesOffline(mode)) {
      const t = this.now();
      const needed = model.info.twinLength;
      if (this.window.length < needed) {
        offline = { kind: 'filling', frames: this.window.length, needed, latencyMs: 0 };
      } else {
        const clip = tf.tidy(() => tf.stack(this.window, 1) as tf.Tensor5D);
        let logits: tf.Tensor2D;
        try {
          logits = model.predictTwin(clip);
        } finally {
          clip.dispose();
        }
        offlineProbs = await readProbabilities(logits);
        checkStale();
        offline = { kind: 'scores', top5: topK(offlineProbs, 5), latencyMs: this.now() - t };
      }
    }

    const prediction: {
      -readonly [K in keyof PredictionMessage]: PredictionMessage[K];
    } = message({
      type: 'prediction',
      frameId: msg.frameId,
      timestamp: msg.timestamp,
      preprocessMs,
    });
    if (online) prediction.online = online;
    if (offline) prediction.offline = offline;
    if (onlineProbs && offlineProbs) {
      prediction.agreement = compareProbabilities(onlineProbs, offlineProbs);
    }
    return prediction;
  }

  private pushWindow(frame: tf.Tensor4D, length: number): void {
    this.window.push(frame);
    while (this.window.length > length) this.window.shift()?.dispose();
  }

  private clearWindow(): void {
    const frames = this.window;
    this.window = [];
    quietly(() => tf.dispose(frames));
  }

  /** Forgets the stream: online state, clip window, the waiting frame and any frame in flight. */
  private reset(): void {
    this.generation++;
    this.clearWindow();
    this.discardPending('reset');
    this.onlineSteps = 0;
    this.onlineStale = false;
    this.model?.resetState();
  }

  // -------------------------------------------------------------------------------------------
  // Backend failure

  /** Moves to the next backend in priority order and rebuilds the model there. */
  private async fallBack(detail: string, failed: BackendChoice): Promise<void> {
    const request = this.request;
    // A load since the failure already replaced the backend and the model.
    if (this.choice !== failed || request === null || this.model === null) return;
    const token = this.loadToken;
    if (!this.excluded.includes(failed.backend)) this.excluded.push(failed.backend);
    this.generation++;
    this.clearWindow();
    const old = this.model;
    this.model = null;
    // Disposing on a lost device may throw; the memory goes with the device anyway.
    quietly(() => old.dispose());

    let choice: BackendChoice;
    let model: ActionModel;
    try {
      choice = await this.startBackend({ override: request.backend, exclude: [...this.excluded] });
      model = await this.buildModel(request, choice.backend);
    } catch (e) {
      this.choice = null;
      this.postError(
        'backend',
        `${BACKEND_LABELS[failed.backend]} stopped working (${detail}) and no other backend ` +
          `could take over: ${errorText(e)} Reload the page to try again.`,
        false,
      );
      return;
    }
    if (token !== this.loadToken) {
      model.dispose();
      return;
    }
    this.install(model, choice);
    this.post(
      message({
        type: 'backendChanged',
        backend: choice.backend,
        previous: failed.backend,
        reason:
          `${BACKEND_LABELS[failed.backend]} stopped working (${detail}); inference continues on ` +
          `${describeBackend(choice.info, choice.capabilities)}.`,
        backendChoice: choice,
      }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Messages

  private drop(count: number, reason: DropReason): void {
    this.counts.dropped += count;
    this.post(message({ type: 'dropped', count, total: this.counts.dropped, reason }));
  }

  private postError(kind: ErrorKind, text: string, recoverable: boolean): void {
    this.post(message({ type: 'error', kind, message: text, recoverable }));
  }
}

/** Softmax of logits [1, classes], read back; disposes the logits. */
async function readProbabilities(logits: tf.Tensor2D): Promise<Float32Array> {
  const probs = tf.tidy(() => tf.softmax(logits));
  logits.dispose();
  try {
    return (await probs.data()) as Float32Array;
  } finally {
    probs.dispose();
  }
}

function closePixels(msg: FrameMessage): void {
  if (isImageBitmap(msg.pixels)) msg.pixels.close();
}

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // Best effort: releasing resources of a broken backend must not stop the recovery.
  }
}
