/**
 * The page's side of the inference Worker: typed requests, typed events, a bound on frames in
 * flight, and a restart when the worker crashes.
 */
import { resolveOverride } from './backend';
import {
  isImageBitmap,
  isWorkerMessage,
  message,
  transferablesOf,
  type ErrorKind,
  type FrameMessage,
  type FramePixels,
  type InferenceMode,
  type LoadMessage,
  type PageMessage,
  type ReadyMessage,
  type ResetReason,
  type WorkerMessage,
} from './protocol';

/** What the client needs of a Worker (a real one, or a fake in tests). */
export interface WorkerLike {
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  onmessageerror: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
  terminate(): void;
}

/** What to load. */
export interface LoadRequest {
  readonly modelId: string;
  readonly variant?: string;
  /** Backend to try first; when absent, the page's `?backend=` is used, if any. */
  readonly backend?: string;
  readonly weightsBaseUrl?: string;
}

/** Options of {@link InferenceClient}. */
export interface InferenceClientOptions {
  /** Starts a worker; default the module worker next to this file. */
  readonly createWorker?: () => WorkerLike;
  /**
   * Frames sent and not yet answered (by a prediction or a drop) before the client holds new
   * ones back, keeping only the newest: one in flight in the worker and one waiting. Default 2.
   */
  readonly maxInFlight?: number;
  /** Crashes within `restartWindowMs` after which the client gives up. Default 3. */
  readonly maxRestarts?: number;
  readonly restartWindowMs?: number;
  /**
   * Query string read for `?backend=` at each load (a function is asked each time); default the
   * page's as it is then, so a picker that rewrites the URL takes effect on the next load.
   */
  readonly search?: string | (() => string);
  /** Clock, ms; default performance.now. */
  readonly now?: () => number;
}

/** Each worker message type mapped to its message. */
export type ClientEvents = {
  [K in WorkerMessage['type']]: Extract<WorkerMessage, { type: K }>;
};

/** Counters of the client's own bookkeeping. */
export interface ClientStats {
  /** Frames posted to a worker. */
  readonly sent: number;
  /** Frames replaced while held back (never posted). */
  readonly heldDropped: number;
  /** Frames posted and not yet answered. */
  readonly inFlight: number;
  /** Worker restarts after crashes. */
  readonly restarts: number;
}

/** A message for the user when the worker keeps crashing. */
const GAVE_UP =
  'The inference worker crashed repeatedly and was not restarted again; reload the page. ' +
  'If it keeps happening, try another backend with ?backend=wasm.';

const RESTARTED =
  'The inference worker crashed and was restarted; predictions resume once the model has reloaded.';

function defaultWorker(): WorkerLike {
  return new Worker(new URL('./inference.worker.ts', import.meta.url), { type: 'module' });
}

/** Thrown by {@link InferenceClient.load} when the load fails or is superseded. */
export class LoadError extends Error {
  override readonly name = 'LoadError';
  readonly kind: ErrorKind | 'superseded' | 'disposed';

  constructor(kind: ErrorKind | 'superseded' | 'disposed', text: string) {
    super(text);
    this.kind = kind;
  }
}

/** The typed client of the inference Worker. */
export class InferenceClient {
  private readonly createWorker: () => WorkerLike;
  private readonly maxInFlight: number;
  private readonly maxRestarts: number;
  private readonly restartWindowMs: number;
  /** The query string `?backend=` is read from: the page's as it is at each load (a picker may change it). */
  private readonly search: () => string;
  private readonly now: () => number;
  private worker: WorkerLike | null;
  private readonly listeners = new Map<keyof ClientEvents, Set<(msg: never) => void>>();
  private lastLoad: LoadMessage | null = null;
  private mode: InferenceMode | null = null;
  private held: FrameMessage | null = null;
  private nextFrameId = 0;
  private crashes: number[] = [];
  private waiter: {
    resolve: (ready: ReadyMessage) => void;
    reject: (e: LoadError) => void;
  } | null = null;
  private counts = { sent: 0, heldDropped: 0, inFlight: 0, restarts: 0 };

  constructor(options: InferenceClientOptions = {}) {
    this.createWorker = options.createWorker ?? defaultWorker;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxRestarts = options.maxRestarts ?? 3;
    this.restartWindowMs = options.restartWindowMs ?? 60_000;
    const search = options.search ?? (() => globalThis.location?.search ?? '');
    this.search = typeof search === 'function' ? search : () => search;
    this.now = options.now ?? (() => performance.now());
    if (!(Number.isInteger(this.maxInFlight) && this.maxInFlight >= 1)) {
      throw new Error(`maxInFlight must be a positive integer, got ${this.maxInFlight}.`);
    }
    this.worker = this.spawn();
  }

  /** Counters of frames sent, held back and answered, and of restarts. */
  get stats(): ClientStats {
    return { ...this.counts };
  }

  /** Whether the client still has a worker (false after dispose or after giving up on crashes). */
  get alive(): boolean {
    return this.worker !== null;
  }

  /**
   * Loads a model (replacing the current one). Resolves with the `ready` message; rejects with a
   * {@link LoadError} if the backend or the model fails, or a newer load supersedes this one.
   * Progress arrives as `progress` events.
   */
  load(request: LoadRequest): Promise<ReadyMessage> {
    const msg = message({
      type: 'load',
      modelId: request.modelId,
      variant: request.variant ?? null,
      backend: resolveOverride(request.backend, this.search()),
      weightsBaseUrl: request.weightsBaseUrl ?? null,
    });
    this.waiter?.reject(new LoadError('superseded', 'A newer model load replaced this one.'));
    this.lastLoad = msg;
    const ready = new Promise<ReadyMessage>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
    if (this.worker === null) {
      this.settleLoad(new LoadError('disposed', 'The inference worker is not running.'));
    } else {
      this.discardHeld();
      this.post(msg);
    }
    return ready;
  }

  /**
   * Sends a frame, transferring its pixels (the caller must not use them afterwards). When the
   * worker already has `maxInFlight` frames, the frame is held back until one is answered, and a
   * newer frame replaces (and closes) a held one. Returns the frame's id.
   */
  sendFrame(pixels: FramePixels, timestamp: number): number {
    const frameId = this.nextFrameId++;
    const msg = message({ type: 'frame', frameId, timestamp, pixels });
    if (this.worker === null) {
      closeFrame(msg);
      return frameId;
    }
    if (this.counts.inFlight < this.maxInFlight) {
      this.postFrame(msg);
    } else {
      this.discardHeld();
      this.held = msg;
    }
    return frameId;
  }

  /** Chooses what runs per frame (remembered across worker restarts). */
  setMode(mode: InferenceMode): void {
    this.mode = mode;
    this.post(message({ type: 'setMode', mode }));
  }

  /** Forgets the stream (seek, new source); a held frame is discarded. */
  reset(reason: ResetReason): void {
    this.discardHeld();
    this.post(message({ type: 'reset', reason }));
  }

  /** Subscribes to one kind of worker message; returns the unsubscribe function. */
  on<K extends keyof ClientEvents>(type: K, listener: (msg: ClientEvents[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    const entry = listener as (msg: never) => void;
    set.add(entry);
    return () => set.delete(entry);
  }

  /** Stops the worker and releases everything; the client is unusable afterwards. */
  dispose(): void {
    this.discardHeld();
    if (this.worker) {
      this.post(message({ type: 'dispose' }));
      this.detach(this.worker);
      this.worker.terminate();
      this.worker = null;
    }
    this.settleLoad(new LoadError('disposed', 'The inference client was disposed.'));
    this.listeners.clear();
  }

  // -------------------------------------------------------------------------------------------

  private spawn(): WorkerLike {
    const worker = this.createWorker();
    worker.onmessage = (event) => this.receive(event.data);
    worker.onerror = (event) => {
      // Handled here: keep the browser from also reporting it as uncaught.
      event.preventDefault?.();
      this.restart();
    };
    worker.onmessageerror = () =>
      this.emitError('protocol', 'A message from the inference worker could not be read.', true);
    return worker;
  }

  private detach(worker: WorkerLike): void {
    worker.onmessage = null;
    worker.onerror = null;
    worker.onmessageerror = null;
  }

  private restart(): void {
    const old = this.worker;
    if (old === null) return;
    this.detach(old);
    old.terminate();
    this.worker = null;
    this.counts.inFlight = 0;
    this.discardHeld();
    const now = this.now();
    this.crashes = this.crashes.filter((t) => now - t < this.restartWindowMs);
    if (this.crashes.length >= this.maxRestarts) {
      this.emitError('worker-crash', GAVE_UP, false);
      this.settleLoad(new LoadError('worker-crash', GAVE_UP));
      return;
    }
    this.crashes.push(now);
    this.counts.restarts++;
    this.worker = this.spawn();
    // The new worker starts empty: the same model again, in the same mode. A pending load() stays
    // pending and resolves with the new worker's ready.
    if (this.lastLoad) this.post(this.lastLoad);
    if (this.mode) this.post(message({ type: 'setMode', mode: this.mode }));
    this.emitError('worker-crash', RESTARTED, true);
  }

  private receive(data: unknown): void {
    if (!isWorkerMessage(data)) {
      this.emitError(
        'protocol',
        'The inference worker sent a malformed message; it was ignored.',
        true,
      );
      return;
    }
    switch (data.type) {
      case 'prediction':
        this.answered(1);
        break;
      case 'dropped':
        this.answered(data.count);
        break;
      case 'ready':
        this.waiter?.resolve(data);
        this.waiter = null;
        break;
      case 'error':
        if (!data.recoverable && (data.kind === 'backend' || data.kind === 'model-load')) {
          this.settleLoad(new LoadError(data.kind, data.message));
        }
        break;
      default:
        break;
    }
    this.emit(data);
  }

  /** Frames answered: make room, and send the held frame if there is one. */
  private answered(count: number): void {
    this.counts.inFlight = Math.max(0, this.counts.inFlight - count);
    if (this.held && this.counts.inFlight < this.maxInFlight) {
      const held = this.held;
      this.held = null;
      this.postFrame(held);
    }
  }

  private postFrame(msg: FrameMessage): void {
    this.counts.sent++;
    this.counts.inFlight++;
    this.post(msg);
  }

  private post(msg: PageMessage): void {
    this.worker?.postMessage(msg, transferablesOf(msg));
  }

  private discardHeld(): void {
    if (this.held === null) return;
    closeFrame(this.held);
    this.held = null;
    this.counts.heldDropped++;
  }

  private settleLoad(error: LoadError): void {
    this.waiter?.reject(error);
    this.waiter = null;
  }

  private emitError(kind: ErrorKind, text: string, recoverable: boolean): void {
    this.emit(message({ type: 'error', kind, message: text, recoverable }));
  }

  private emit(msg: WorkerMessage): void {
    const set = this.listeners.get(msg.type);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (m: WorkerMessage) => void)(msg);
      } catch (e) {
        // One faulty listener must not starve the others (or the client's bookkeeping).
        console.error(e);
      }
    }
  }
}

function closeFrame(msg: FrameMessage): void {
  if (isImageBitmap(msg.pixels)) msg.pixels.close();
}
