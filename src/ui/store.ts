/**
 * The app's one store: plain TypeScript (zustand's vanilla `createStore`), bound to React once, in
 * {@link useAppStore}. It holds what changes a few times a minute (status, model, source, mode,
 * errors, notices); per-frame data lives in {@link liveFeed}, which charts read on animation
 * frames. Actions are plain functions beside the store; the controller calls them.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { CostFigures as FlopCount } from '../runtime/protocol';
import type { ModelInfo } from '../models/action-model';
import type { BackendAttempt, BackendChoice, BackendInfo, BackendName } from '../runtime/backend';
import {
  INFERENCE_MODES,
  type InferenceMode,
  type LoadPhase,
  type ReadyMessage,
} from '../runtime/protocol';
import type { CameraDevice } from '../video/webcam-source';
import { LiveFeed } from './live-feed';

/** Where the app is: loading a model, ready for frames, predicting, or stopped by an error. */
export type AppStatus = 'loading' | 'ready' | 'running' | 'error';

/** What the load is doing: starting the backend (no measure), then weights bytes, then warm-up. */
export type LoadStage =
  | { readonly phase: 'backend' }
  | { readonly phase: LoadPhase; readonly loaded: number; readonly total: number };

/** The loaded model and what the worker measured of it. */
export interface LoadedModel {
  readonly info: ModelInfo;
  readonly flopsPerStep: FlopCount;
  readonly flopsPerClip: FlopCount;
  readonly stateBytes: number;
  /** Online steps without output after a reset. */
  readonly onlineDelay: number;
}

/** The video source. */
export type SourceState =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'webcam';
      readonly phase: 'starting' | 'live';
      /** Size and rate the camera delivers (0 while starting). */
      readonly width: number;
      readonly height: number;
      readonly frameRate: number;
    }
  | {
      readonly kind: 'file';
      readonly phase: 'opening' | 'open';
      readonly name: string;
      /** Seconds (0 while opening). */
      readonly duration: number;
      readonly width: number;
      readonly height: number;
    };

/** Where an error came from. */
export type ErrorOrigin = 'camera' | 'file' | 'model' | 'backend' | 'worker';

/** An error for the user: a sentence that says what happened and what to do. */
export interface UserError {
  readonly origin: ErrorOrigin;
  readonly text: string;
}

/** Why a notice is shown. */
export type NoticeReason =
  'seek' | 'loop' | 'source' | 'gap' | 'hidden' | 'short-clip' | 'model' | 'backend' | 'worker';

/** A transient message (the controller removes it after a few seconds). */
export interface Notice {
  /** Increasing; a timer clears a notice only if no newer one replaced it. */
  readonly id: number;
  readonly reason: NoticeReason;
  readonly text: string;
}

/** A camera resolution the picker offers. */
export interface ResolutionOption {
  readonly id: string;
  readonly label: string;
  readonly width?: number;
  readonly height?: number;
}

/** Camera resolutions offered; the model sees a small centred square whatever the choice. */
export const RESOLUTIONS: readonly ResolutionOption[] = [
  { id: 'auto', label: 'Camera default' },
  { id: '320x240', label: '320 × 240', width: 320, height: 240 },
  { id: '640x480', label: '640 × 480', width: 640, height: 480 },
  { id: '1280x720', label: '1280 × 720 (HD)', width: 1280, height: 720 },
];

/** Playback rates offered for files. */
export const PLAYBACK_RATES: readonly number[] = [0.25, 0.5, 1, 1.5, 2];

/** Everything the views read. */
export interface AppState {
  readonly status: AppStatus;
  /** Set while status is 'loading'. */
  readonly loading: LoadStage | null;
  /** The backend running the models; null until the first model is ready. */
  readonly backend: BackendName | null;
  /** Why that backend, in words for the user. */
  readonly reason: string;
  /** What the winning probe learned (SIMD and threads, adapter, ...). */
  readonly info: BackendInfo | null;
  /** Every backend tried, in order. */
  readonly attempts: readonly BackendAttempt[];
  /** The backend the user asked for (the picker, or `?backend=`), 'auto' for the default order. */
  readonly backendRequest: BackendRequest;
  /** The model asked for (loading or loaded). */
  readonly modelId: string;
  /** The weights variant asked for (loading or loaded): {@link DENSE_VARIANT} or a variant id. */
  readonly variant: string;
  /** The loaded model; null while loading. */
  readonly model: LoadedModel | null;
  readonly mode: InferenceMode;
  readonly source: SourceState;
  /** Cameras found (labels appear once access was granted). */
  readonly cameras: readonly CameraDevice[];
  /** The picked camera's deviceId; '' for the browser's choice. */
  readonly cameraId: string;
  /** An id of {@link RESOLUTIONS}. */
  readonly resolution: string;
  readonly playbackRate: number;
  /** The error shown; the page keeps working unless status is 'error'. */
  readonly error: UserError | null;
  readonly notice: Notice | null;
}

export { DENSE_VARIANT } from '../models/model-entries';
import { DENSE_VARIANT } from '../models/model-entries';

function initialState(modelId: string): AppState {
  return {
    status: 'loading',
    loading: { phase: 'backend' },
    backend: null,
    reason: '',
    info: null,
    attempts: [],
    backendRequest: 'auto',
    modelId,
    variant: DENSE_VARIANT,
    model: null,
    mode: 'online',
    source: { kind: 'none' },
    cameras: [],
    cameraId: '',
    resolution: 'auto',
    playbackRate: 1,
    error: null,
    notice: null,
  };
}

/** The store itself, for code outside React (the controller, tests). */
export const appStore = createStore<AppState>()(() => initialState(''));

/** The per-frame data (predictions, latencies, rates), outside React state. */
export const liveFeed = new LiveFeed();

let noticeIds = 0;

/** Back to the state before start-up (for tests), with the per-frame data cleared. */
export function resetAppStore(): void {
  appStore.setState(initialState(''), true);
  liveFeed.clear();
}

/** What the URL asks for: `?model=<id>` and `?mode=online|offline|both`, when valid. */
export function choicesFromSearch(
  search: string,
  modelIds: readonly string[],
): { readonly modelId?: string; readonly mode?: InferenceMode } {
  const params = new URLSearchParams(search);
  const model = params.get('model');
  const mode = params.get('mode');
  return {
    ...(model !== null && modelIds.includes(model) ? { modelId: model } : {}),
    ...(mode !== null && (INFERENCE_MODES as readonly string[]).includes(mode)
      ? { mode: mode as InferenceMode }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Model and backend

/** A model load began: the model shown so far is gone, per-frame data too. */
export function startLoading(modelId: string, variant: string = DENSE_VARIANT): void {
  liveFeed.clear();
  appStore.setState((s) => ({
    status: 'loading',
    loading: { phase: 'backend' },
    modelId,
    variant,
    model: null,
    // A failed load of another model is no longer the news.
    error: s.error && isModelError(s.error) ? null : s.error,
  }));
}

/** Progress of the load: weight bytes, then warm-up steps. */
export function setLoadProgress(phase: LoadPhase, loaded: number, total: number): void {
  if (appStore.getState().status !== 'loading') return;
  appStore.setState({ loading: { phase, loaded, total } });
}

/** What the backend picker offers: the default order, or one backend tried first. */
export type BackendRequest = 'auto' | BackendName;

/** The backend the user asked for (shown by the picker; the next load uses it). */
export function setBackendRequest(request: BackendRequest): void {
  appStore.setState({ backendRequest: request });
}

/** Records the chosen backend (at load, or after a fallback). */
export function setBackendChoice(choice: BackendChoice): void {
  appStore.setState({
    backend: choice.backend,
    reason: choice.reason,
    info: choice.info,
    attempts: choice.attempts,
  });
}

/** The worker loaded the model: its facts and costs; the app is ready for frames. */
export function setModelReady(ready: ReadyMessage): void {
  setBackendChoice(ready.backendChoice);
  appStore.setState((s) => ({
    status: 'ready',
    loading: null,
    modelId: ready.modelInfo.id,
    model: {
      info: ready.modelInfo,
      flopsPerStep: ready.flopsPerStep,
      flopsPerClip: ready.flopsPerClip,
      stateBytes: ready.stateBytes,
      onlineDelay: ready.onlineDelay,
    },
    error: s.error && isModelError(s.error) ? null : s.error,
  }));
}

/** Predictions flow ('running') or stopped ('ready'); no change while loading or stopped by an error. */
export function setRunning(running: boolean): void {
  const { status } = appStore.getState();
  if (status !== 'ready' && status !== 'running') return;
  const next: AppStatus = running ? 'running' : 'ready';
  if (status !== next) appStore.setState({ status: next });
}

/** A failure that stops inference (no backend, the model did not load, the worker gave up). */
export function setFatalError(origin: ErrorOrigin, error: unknown): void {
  appStore.setState({ status: 'error', loading: null, error: { origin, text: errorText(error) } });
}

/** A failure the page survives (a camera, a file): shown, and everything else goes on. */
export function setError(origin: ErrorOrigin, error: unknown): void {
  appStore.setState({ error: { origin, text: errorText(error) } });
}

/** Hides the error (the user closed it, or started something new). */
export function dismissError(): void {
  if (appStore.getState().error !== null) appStore.setState({ error: null });
}

function isModelError(e: UserError): boolean {
  return e.origin === 'model' || e.origin === 'backend';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Choices

/** What runs per frame; the answers of a mode no longer computed are cleared. */
export function setMode(mode: InferenceMode): void {
  if (mode === 'online') liveFeed.clearMode('offline');
  if (mode === 'offline') liveFeed.clearMode('online');
  appStore.setState({ mode });
}

/** The video source changed. */
export function setSource(source: SourceState): void {
  appStore.setState({ source });
}

/** The cameras found; a picked camera that vanished falls back to the browser's choice. */
export function setCameras(cameras: readonly CameraDevice[]): void {
  appStore.setState((s) => ({
    cameras,
    cameraId: cameras.some((c) => c.deviceId === s.cameraId) ? s.cameraId : '',
  }));
}

/** Picks a camera ('' for the browser's choice). */
export function selectCamera(deviceId: string): void {
  appStore.setState({ cameraId: deviceId });
}

/** Picks a resolution by id; an unknown id is refused. */
export function selectResolution(id: string): void {
  if (!RESOLUTIONS.some((r) => r.id === id)) throw new Error(`Unknown resolution "${id}".`);
  appStore.setState({ resolution: id });
}

/** The width and height to ask of the camera for a resolution id (none for 'auto'). */
export function resolutionRequest(id: string): { width?: number; height?: number } {
  const r = RESOLUTIONS.find((o) => o.id === id);
  return r?.width !== undefined && r.height !== undefined
    ? { width: r.width, height: r.height }
    : {};
}

/** The file's playback rate, as the video element reports it. */
export function setPlaybackRate(rate: number): void {
  if (!(Number.isFinite(rate) && rate > 0)) {
    throw new Error(`A playback rate must be a positive number, got ${rate}.`);
  }
  appStore.setState({ playbackRate: rate });
}

// ---------------------------------------------------------------------------------------------
// Notices

/** Shows a transient notice (replacing any other); returns its id for {@link clearNotice}. */
export function showNotice(reason: NoticeReason, text: string): number {
  const id = ++noticeIds;
  appStore.setState({ notice: { id, reason, text } });
  return id;
}

/** Removes the notice `id`, unless a newer one replaced it. */
export function clearNotice(id: number): void {
  if (appStore.getState().notice?.id === id) appStore.setState({ notice: null });
}

/** The React binding: re-renders the caller only when the selected slice changes. */
export function useAppStore<T>(selector: (state: AppState) => T): T {
  return useStore(appStore, selector);
}
