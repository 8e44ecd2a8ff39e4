/**
 * The one message protocol between the page and the inference Worker: typed, versioned
 * discriminated unions and the guards that check what arrives, since a message crossing the
 * Worker boundary is untyped data.
 *
 * Invariant the page relies on for back-pressure: every `frame` the worker receives ends in
 * exactly one `prediction` or is counted in exactly one `dropped` message.
 */
import type { BackendChoice, BackendName, BackendOverride } from './backend';
import { BACKEND_PRIORITY } from './backend';
import type { FlopCount } from '../continual/module';

/** A cost as the page sees it: multiply-adds and element-wise ops (see src/continual/module.ts). */
export type CostFigures = FlopCount;
import type { ModelInfo } from '../models/action-model';

/** Bumped whenever a message changes shape; both sides reject other versions. */
export const PROTOCOL_VERSION = 1;

/** Which computations run per frame: the continual step, the clip-based baseline, or both. */
export type InferenceMode = 'online' | 'offline' | 'both';

/** Every {@link InferenceMode}, for guards and pickers. */
export const INFERENCE_MODES: readonly InferenceMode[] = ['online', 'offline', 'both'];

/** Raw RGBA pixels (e.g. from a canvas), row-major, 4 bytes per pixel. */
export interface RgbaPixels {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/** A frame's pixels: an ImageBitmap (GPU-side, preferred) or RGBA bytes. Both are transferred. */
export type FramePixels = ImageBitmap | RgbaPixels;

/** Why the page asks for a reset, kept for the log and the tests. */
export type ResetReason = 'seek' | 'source' | 'gap' | 'user';

/** Every {@link ResetReason}. */
export const RESET_REASONS: readonly ResetReason[] = ['seek', 'source', 'gap', 'user'];

// ---------------------------------------------------------------------------------------------
// Page -> worker

/** Start the backend and load a model; replaces any model loaded before. */
export interface LoadMessage {
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'load';
  readonly modelId: string;
  /** Model variant (e.g. a width or a weights flavour), null for the default. */
  readonly variant: string | null;
  /** A backend asked for by the user (`?backend=` or a picker), null for the default order. */
  readonly backend: BackendOverride | null;
  /** Where the weights live, null for the registry's default. */
  readonly weightsBaseUrl: string | null;
}

/** One sampled video frame. */
export interface FrameMessage {
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'frame';
  /** Increasing id given by the page; echoed in the prediction. */
  readonly frameId: number;
  /** Video time of the frame, in seconds. */
  readonly timestamp: number;
  readonly pixels: FramePixels;
}

/** Choose what runs per frame. */
export interface SetModeMessage {
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'setMode';
  readonly mode: InferenceMode;
}

/** Forget the past (seek, new source): clears the online state and the clip window. */
export interface ResetMessage {
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'reset';
  readonly reason: ResetReason;
}

/** Release the model and every tensor; the worker can then be terminated. */
export interface DisposeMessage {
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'dispose';
}

/** Every message the page sends. */
export type PageMessage =
  LoadMessage | FrameMessage | SetModeMessage | ResetMessage | DisposeMessage;

// ---------------------------------------------------------------------------------------------
// Worker -> page

/** Loading phases a model reports. */
export type LoadPhase = 'weights' | 'warmup';

/** Loading progress: bytes of weights, or warm-up steps. */
export interface ProgressMessage {
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'progress';
  readonly phase: LoadPhase;
  readonly loaded: number;
  readonly total: number;
}

/** The model is loaded and frames may come. Labels travel here once, never per prediction. */
export interface ReadyMessage {
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'ready';
  readonly modelInfo: ModelInfo;
  readonly backend: BackendName;
  /** Why this backend, in words for the user. */
  readonly backendReason: string;
  /** The whole decision (attempts, probe info), for the dashboard. */
  readonly backendChoice: BackendChoice;
  readonly flopsPerStep: FlopCount;
  readonly flopsPerClip: FlopCount;
  readonly stateBytes: number;
  /** Online steps that return no output after a reset while the network's buffers fill. */
  readonly onlineDelay: number;
}

/** One class and its probability. */
export interface ScoredClass {
  readonly index: number;
  readonly prob: number;
}

/**
 * What one mode produced for a frame: the five most probable classes, or how far its buffers
 * are from full. `latencyMs` is measured in every case (the work was done).
 */
export type ModeOutcome =
  | {
      readonly kind: 'scores';
      /** Most probable first; fewer than 5 when the model has fewer classes. */
      readonly top5: readonly ScoredClass[];
      /** Model work plus softmax plus read-back, in ms. */
      readonly latencyMs: number;
    }
  | {
      readonly kind: 'filling';
      /** Frames seen since the last reset. */
      readonly frames: number;
      /** Frames needed before the first output. */
      readonly needed: number;
      readonly latencyMs: number;
    };

/** How the online and offline answers compare on a frame where both gave scores. */
export interface Agreement {
  /** Same most probable class. */
  readonly top1Agree: boolean;
  /** Largest |p_online - p_offline| over all classes. */
  readonly maxAbsDiff: number;
}

/** The result for one frame. */
export interface PredictionMessage {
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'prediction';
  readonly frameId: number;
  readonly timestamp: number;
  /** Cropping, resizing and scaling the pixels, in ms (shared by both modes). */
  readonly preprocessMs: number;
  /** Absent when the mode excludes online inference. */
  readonly online?: ModeOutcome;
  /** Absent when the mode excludes the clip-based baseline. */
  readonly offline?: ModeOutcome;
  /** Present only when both modes gave scores. */
  readonly agreement?: Agreement;
}

/** Why frames were not processed. */
export type DropReason = 'busy' | 'not-ready' | 'reset' | 'error';

/** Every {@link DropReason}. */
export const DROP_REASONS: readonly DropReason[] = ['busy', 'not-ready', 'reset', 'error'];

/** Frames received but not processed. */
export interface DroppedMessage {
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'dropped';
  /** Frames dropped by this event. */
  readonly count: number;
  /** Frames dropped since the model was loaded. */
  readonly total: number;
  readonly reason: DropReason;
}

/** What failed. */
export type ErrorKind = 'protocol' | 'backend' | 'model-load' | 'inference' | 'worker-crash';

/** Every {@link ErrorKind}. */
export const ERROR_KINDS: readonly ErrorKind[] = [
  'protocol',
  'backend',
  'model-load',
  'inference',
  'worker-crash',
];

/** Something went wrong. */
export interface ErrorMessage {
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'error';
  readonly kind: ErrorKind;
  /** For the user: what happened and what to do. */
  readonly message: string;
  /** True when inference goes on by itself (after a fallback or a restart). */
  readonly recoverable: boolean;
}

/** The backend failed while running (e.g. WebGPU device lost) and inference moved to another. */
export interface BackendChangedMessage {
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'backendChanged';
  readonly backend: BackendName;
  readonly previous: BackendName;
  /** For the user: what failed and what runs now. */
  readonly reason: string;
  readonly backendChoice: BackendChoice;
}

/** Every message the worker sends. */
export type WorkerMessage =
  | ProgressMessage
  | ReadyMessage
  | PredictionMessage
  | DroppedMessage
  | ErrorMessage
  | BackendChangedMessage;

/** Any message of the protocol, either way. */
export type AnyMessage = PageMessage | WorkerMessage;

/** The message of a given type. */
export type MessageOfType<T extends AnyMessage['type']> = Extract<AnyMessage, { type: T }>;

/** Builds a message of the current version from its body (spares every sender the `v` field). */
export function message<T extends AnyMessage['type']>(
  body: { readonly type: T } & Omit<MessageOfType<T>, 'v'>,
): MessageOfType<T> {
  return { v: PROTOCOL_VERSION, ...body } as MessageOfType<T>;
}

/** What a page message transfers rather than copies: the frame's bitmap or pixel buffer. */
export function transferablesOf(msg: PageMessage): Transferable[] {
  if (msg.type !== 'frame') return [];
  return isImageBitmap(msg.pixels) ? [msg.pixels] : [msg.pixels.data.buffer];
}

// ---------------------------------------------------------------------------------------------
// Guards

type Rec = Record<string, unknown>;

function isRecord(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null;
}

const isString = (x: unknown): x is string => typeof x === 'string';
const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isNonNegative = (x: unknown): x is number => isFiniteNumber(x) && x >= 0;
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isPositiveInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) > 0;
const isNullableString = (x: unknown): boolean => x === null || isString(x);
const oneOf =
  <T>(values: readonly T[]) =>
  (x: unknown): x is T =>
    values.includes(x as T);
const isBackendName = oneOf<BackendName>(BACKEND_PRIORITY);

/** True for an ImageBitmap where the platform has them (not in Node). */
export function isImageBitmap(x: unknown): x is ImageBitmap {
  return typeof ImageBitmap !== 'undefined' && x instanceof ImageBitmap;
}

/** True for RGBA pixels whose byte length matches their size. */
export function isRgbaPixels(x: unknown): x is RgbaPixels {
  if (!isRecord(x) || !(x.data instanceof Uint8ClampedArray)) return false;
  const { width, height, data } = x;
  return isPositiveInt(width) && isPositiveInt(height) && data.length === width * height * 4;
}

function isFlopCount(x: unknown): x is FlopCount {
  return isRecord(x) && isNonNegative(x.macs) && isNonNegative(x.elementwise);
}

function isModelInfo(x: unknown): x is ModelInfo {
  if (!isRecord(x) || !isRecord(x.input)) return false;
  const { input } = x;
  return (
    isString(x.id) &&
    isString(x.displayName) &&
    Array.isArray(x.labels) &&
    x.labels.every(isString) &&
    isPositiveInt(input.height) &&
    isPositiveInt(input.width) &&
    isPositiveInt(input.channels) &&
    isFiniteNumber(x.frameRate) &&
    x.frameRate > 0 &&
    isPositiveInt(x.clipLength) &&
    isPositiveInt(x.twinLength) &&
    typeof x.trained === 'boolean' &&
    isCount(x.params) &&
    isString(x.description) &&
    (x.variant === undefined || isVariantInfo(x.variant))
  );
}

function isVariantInfo(x: unknown): boolean {
  return (
    isRecord(x) &&
    isString(x.displayName) &&
    isFiniteNumber(x.pruneRatio) &&
    isString(x.adapter) &&
    isCount(x.learnedParams) &&
    isCount(x.params) &&
    (x.evaluation === null ||
      (isRecord(x.evaluation) &&
        isFiniteNumber(x.evaluation.top1Agreement) &&
        isFiniteNumber(x.evaluation.meanKl) &&
        isCount(x.evaluation.frames)))
  );
}

function isBackendChoice(x: unknown): x is BackendChoice {
  return (
    isRecord(x) &&
    isBackendName(x.backend) &&
    isString(x.reason) &&
    isRecord(x.info) &&
    x.info.backend === x.backend &&
    isRecord(x.capabilities) &&
    Array.isArray(x.attempts)
  );
}

function isOverride(x: unknown): x is BackendOverride {
  return isRecord(x) && isString(x.requested) && (x.source === 'url' || x.source === 'argument');
}

function isScoredClass(x: unknown): x is ScoredClass {
  return isRecord(x) && isCount(x.index) && isFiniteNumber(x.prob) && x.prob >= 0 && x.prob <= 1;
}

function isModeOutcome(x: unknown): x is ModeOutcome {
  if (!isRecord(x) || !isNonNegative(x.latencyMs)) return false;
  if (x.kind === 'scores') {
    return Array.isArray(x.top5) && x.top5.length <= 5 && x.top5.every(isScoredClass);
  }
  return x.kind === 'filling' && isCount(x.frames) && isCount(x.needed);
}

function isAgreement(x: unknown): x is Agreement {
  return isRecord(x) && typeof x.top1Agree === 'boolean' && isNonNegative(x.maxAbsDiff);
}

function isVersioned(x: unknown): x is Rec & { type: unknown } {
  return isRecord(x) && x.v === PROTOCOL_VERSION;
}

/** Checks a message from the page (in the worker). Rejects other versions and malformed fields. */
export function isPageMessage(x: unknown): x is PageMessage {
  if (!isVersioned(x)) return false;
  switch (x.type) {
    case 'load':
      return (
        isString(x.modelId) &&
        x.modelId !== '' &&
        isNullableString(x.variant) &&
        (x.backend === null || isOverride(x.backend)) &&
        isNullableString(x.weightsBaseUrl)
      );
    case 'frame':
      return (
        isCount(x.frameId) &&
        isFiniteNumber(x.timestamp) &&
        (isImageBitmap(x.pixels) || isRgbaPixels(x.pixels))
      );
    case 'setMode':
      return oneOf(INFERENCE_MODES)(x.mode);
    case 'reset':
      return oneOf(RESET_REASONS)(x.reason);
    case 'dispose':
      return true;
    default:
      return false;
  }
}

/** Checks a message from the worker (in the page). Rejects other versions and malformed fields. */
export function isWorkerMessage(x: unknown): x is WorkerMessage {
  if (!isVersioned(x)) return false;
  switch (x.type) {
    case 'progress':
      return (
        (x.phase === 'weights' || x.phase === 'warmup') &&
        isNonNegative(x.loaded) &&
        isNonNegative(x.total)
      );
    case 'ready':
      return (
        isModelInfo(x.modelInfo) &&
        isBackendName(x.backend) &&
        isString(x.backendReason) &&
        isBackendChoice(x.backendChoice) &&
        x.backendChoice.backend === x.backend &&
        isFlopCount(x.flopsPerStep) &&
        isFlopCount(x.flopsPerClip) &&
        isCount(x.stateBytes) &&
        isCount(x.onlineDelay)
      );
    case 'prediction':
      return (
        isCount(x.frameId) &&
        isFiniteNumber(x.timestamp) &&
        isNonNegative(x.preprocessMs) &&
        (x.online === undefined || isModeOutcome(x.online)) &&
        (x.offline === undefined || isModeOutcome(x.offline)) &&
        (x.agreement === undefined || isAgreement(x.agreement))
      );
    case 'dropped':
      return (
        isPositiveInt(x.count) &&
        isCount(x.total) &&
        x.total >= x.count &&
        oneOf(DROP_REASONS)(x.reason)
      );
    case 'error':
      return (
        oneOf(ERROR_KINDS)(x.kind) &&
        isString(x.message) &&
        x.message !== '' &&
        typeof x.recoverable === 'boolean'
      );
    case 'backendChanged':
      return (
        isBackendName(x.backend) &&
        isBackendName(x.previous) &&
        isString(x.reason) &&
        isBackendChoice(x.backendChoice) &&
        x.backendChoice.backend === x.backend
      );
    default:
      return false;
  }
}
