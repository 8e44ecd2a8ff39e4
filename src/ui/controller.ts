/**
 * The dashboard's edge: owns the inference client, the <video> element's sources (webcam, file)
 * and the frame pump, and turns their events into store actions and live-feed samples. Views call
 * its methods; nothing here renders.
 *
 * Data flows one way: source -> pump -> worker -> (prediction) -> live feed / store -> views.
 */
import { DEFAULT_MODEL_ID, DENSE_VARIANT, MODEL_ENTRIES } from '../models/model-entries';
import { parseBackendName } from '../runtime/backend';
import type { ResetReason } from '../runtime/protocol';
import {
  InferenceClient,
  LoadError,
  type ClientEvents,
  type InferenceClientOptions,
} from '../runtime/worker-client';
import { FileSource } from '../video/file-source';
import { FramePump, type PumpedFrame } from '../video/frame-pump';
import { SourceError } from '../video/source-error';
import { WebcamSource, listCameras } from '../video/webcam-source';
import type { InferenceMode } from '../runtime/protocol';
import { clipFrames, resetNotice, resumeText, shortClipNotice, type ResetEvent } from './notices';
import {
  appStore,
  choicesFromSearch,
  clearNotice,
  dismissError,
  liveFeed,
  resolutionRequest,
  setBackendChoice,
  setBackendRequest,
  setCameras,
  setError,
  setFatalError,
  setLoadProgress,
  setMode,
  setModelReady,
  setPlaybackRate,
  setRunning,
  setSource,
  showNotice,
  startLoading,
  type BackendRequest,
  type ErrorOrigin,
  type NoticeReason,
} from './store';

/** How long a notice stays on screen, ms. */
export const NOTICE_MS = 6000;

/** Without a prediction for this long, the status goes from 'running' back to 'ready', ms. */
export const IDLE_MS = 2000;

/** Options of {@link DashboardController}. */
export interface ControllerOptions {
  /** Options of the inference client (a fake worker in tests). */
  readonly client?: InferenceClientOptions;
  /** The page's query string, for `?model=` and `?mode=`; default the location's. */
  readonly search?: string;
}

function origin(kind: ClientEvents['error']['kind']): ErrorOrigin {
  if (kind === 'backend') return 'backend';
  if (kind === 'model-load') return 'model';
  return 'worker';
}

/** See the file comment. */
export class DashboardController {
  private readonly client: InferenceClient;
  private readonly search: string;
  private video: HTMLVideoElement | null = null;
  private webcam: WebcamSource | null = null;
  private file: FileSource | null = null;
  private pump: FramePump | null = null;
  /** Frames dropped by pumps replaced since the model loaded. */
  private retiredPumpDrops = 0;
  private workerDrops = 0;
  /** Latest playback position seen before a jump, s, to tell a loop from a seek. */
  private lastPosition = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly offs: (() => void)[] = [];
  private readonly onTimeUpdate = () => {
    // 'seeking' fires before the 'timeupdate' of the new position, so this is the old one.
    if (this.video && !this.video.seeking) this.lastPosition = this.video.currentTime;
  };
  private readonly onRateChange = () => {
    if (this.video && this.video.playbackRate > 0) setPlaybackRate(this.video.playbackRate);
  };
  private readonly onDeviceChange = () => void this.refreshCameras();
  /** The open file has fewer frames than the offline window: its loop notices would drown that. */
  private shortClip = false;
  /** When the tab was hidden with a live source (performance.now()), else null. */
  private hiddenAt: number | null = null;
  private readonly onVisibilityChange = () => this.visibilityChanged();

  constructor(options: ControllerOptions = {}) {
    this.search = options.search ?? globalThis.location?.search ?? '';
    this.client = new InferenceClient(options.client);
    this.offs.push(
      this.client.on('progress', (m) => setLoadProgress(m.phase, m.loaded, m.total)),
      this.client.on('ready', (m) => this.onReady(m)),
      this.client.on('prediction', (m) => this.onPrediction(m)),
      this.client.on('dropped', (m) => {
        this.workerDrops = m.total;
        this.publishDrops();
      }),
      this.client.on('error', (m) => this.onWorkerError(m)),
      this.client.on('backendChanged', (m) => {
        setBackendChoice(m.backendChoice);
        liveFeed.resetStream();
        this.notify('backend', m.reason);
      }),
    );
  }

  /** Boots: the mode and model from the URL (or the defaults), then loads the model. */
  start(): void {
    const choices = choicesFromSearch(
      this.search,
      MODEL_ENTRIES.map((m) => m.id),
    );
    this.setMode(choices.mode ?? 'online');
    setBackendRequest(
      parseBackendName(new URLSearchParams(this.search).get('backend') ?? '') ?? 'auto',
    );
    void this.loadModel(choices.modelId ?? DEFAULT_MODEL_ID, false);
    void this.refreshCameras();
    globalThis.navigator?.mediaDevices?.addEventListener?.('devicechange', this.onDeviceChange);
    globalThis.document?.addEventListener('visibilitychange', this.onVisibilityChange);
  }

  /** The <video> element that shows the source and feeds the pump (from a React ref). */
  attachVideo(video: HTMLVideoElement | null): void {
    // React calls refs with null on unmount (and twice in StrictMode); the element outlives that.
    if (video === null || video === this.video) return;
    this.stopSource();
    this.video?.removeEventListener('ratechange', this.onRateChange);
    this.video?.removeEventListener('timeupdate', this.onTimeUpdate);
    this.video = video;
    video.addEventListener('ratechange', this.onRateChange);
    video.addEventListener('timeupdate', this.onTimeUpdate);
    this.webcam = new WebcamSource(video, {
      onEnded: (e) => {
        this.stopSource();
        setError('camera', e);
      },
    });
    this.file = new FileSource(video, {
      onError: (e) => {
        this.stopSource();
        setError('file', e);
      },
    });
    const model = appStore.getState().model;
    if (model) this.installPump();
  }

  /**
   * Loads a model, or a variant of it (replacing the current one; the stream state starts
   * empty); `announce` shows a notice once it is ready.
   */
  async loadModel(modelId: string, announce = true, variant = DENSE_VARIANT): Promise<void> {
    this.retirePump();
    startLoading(modelId, variant);
    this.workerDrops = 0;
    this.retiredPumpDrops = 0;
    try {
      const ready = await this.client.load(
        variant === DENSE_VARIANT ? { modelId } : { modelId, variant },
      );
      if (announce) {
        this.notify(
          'model',
          resetNotice(
            { reason: 'model', name: ready.modelInfo.displayName },
            resumeText(ready.onlineDelay, ready.modelInfo.frameRate),
          ),
        );
      }
    } catch (e) {
      if (e instanceof LoadError && e.kind === 'superseded') return;
      const kind = e instanceof LoadError ? e.kind : 'model-load';
      setFatalError(kind === 'backend' ? 'backend' : kind === 'model-load' ? 'model' : 'worker', e);
    }
  }

  /**
   * Runs the models on `request` from now on ('auto': the default order). The choice goes into
   * the page's `?backend=` (the worker client reads it at each load, and a reload keeps it), and
   * the current model and variant load again on it: the stream state starts empty.
   */
  async setBackend(request: BackendRequest): Promise<void> {
    const location = globalThis.location;
    if (location !== undefined) {
      const url = new URL(location.href);
      if (request === 'auto') url.searchParams.delete('backend');
      else url.searchParams.set('backend', request);
      globalThis.history.replaceState(globalThis.history.state, '', url);
    }
    setBackendRequest(request);
    const { modelId, variant } = appStore.getState();
    await this.loadModel(modelId, true, variant);
  }

  /** What runs per frame. */
  setMode(mode: InferenceMode): void {
    this.client.setMode(mode);
    setMode(mode);
  }

  /** Lists the cameras (named once access was granted). */
  async refreshCameras(): Promise<void> {
    try {
      setCameras(await listCameras());
    } catch {
      // Listing is a convenience; starting the camera reports real failures.
    }
  }

  /** Starts the picked camera at the picked resolution (stopping any file). */
  async startWebcam(): Promise<void> {
    const webcam = this.webcam;
    if (!webcam) return;
    const { cameraId, resolution } = appStore.getState();
    this.stopSource();
    this.clearSourceError();
    setSource({ kind: 'webcam', phase: 'starting', width: 0, height: 0, frameRate: 0 });
    try {
      const settings = await webcam.start({
        ...(cameraId ? { deviceId: cameraId } : {}),
        ...resolutionRequest(resolution),
      });
      setSource({
        kind: 'webcam',
        phase: 'live',
        width: settings.width,
        height: settings.height,
        frameRate: settings.frameRate,
      });
      void this.refreshCameras();
      this.beginStream({ reason: 'webcam' });
    } catch (e) {
      setSource({ kind: 'none' });
      setError('camera', e instanceof SourceError ? e : new Error(String(e)));
    }
  }

  /** Opens a dropped or picked file and plays it (stopping any camera). */
  async openFile(file: File): Promise<void> {
    const source = this.file;
    if (!source) return;
    this.stopSource();
    this.clearSourceError();
    setSource({
      kind: 'file',
      phase: 'opening',
      name: file.name,
      duration: 0,
      width: 0,
      height: 0,
    });
    try {
      const info = await source.openFile(file);
      source.setPlaybackRate(appStore.getState().playbackRate);
      setSource({ kind: 'file', phase: 'open', name: file.name, ...info });
      this.beginStream({ reason: 'file', name: file.name });
      this.warnIfShort(file.name, info.duration);
      await source.play();
    } catch (e) {
      source.close();
      setSource({ kind: 'none' });
      setError('file', e);
    }
  }

  /** Stops the camera or closes the file. */
  stopSource(): void {
    this.shortClip = false;
    this.hiddenAt = null;
    this.pump?.stop();
    this.webcam?.stop();
    this.file?.close();
    if (appStore.getState().source.kind !== 'none') setSource({ kind: 'none' });
    liveFeed.resetStream();
    this.client.reset('source');
    this.idle();
  }

  /** The file's playback speed. */
  setPlaybackRate(rate: number): void {
    this.file?.setPlaybackRate(rate);
    setPlaybackRate(rate);
  }

  /** Stops everything: sources, pump, worker. */
  dispose(): void {
    this.stopSource();
    this.retirePump();
    for (const off of this.offs) off();
    globalThis.navigator?.mediaDevices?.removeEventListener?.('devicechange', this.onDeviceChange);
    globalThis.document?.removeEventListener('visibilitychange', this.onVisibilityChange);
    this.client.dispose();
  }

  // -------------------------------------------------------------------------------------------

  private onReady(ready: ClientEvents['ready']): void {
    // A ready for a model the user has since replaced: the newer load's ready follows.
    if (ready.modelInfo.id !== appStore.getState().modelId) return;
    setModelReady(ready);
    this.installPump();
  }

  /** A pump for the current model's rate and size; it runs if a source is live. */
  private installPump(): void {
    this.retirePump();
    const model = appStore.getState().model;
    const video = this.video;
    if (!model || !video) return;
    const { input, frameRate } = model.info;
    this.pump = new FramePump(video, {
      targetFps: frameRate,
      outputSize: Math.max(input.height, input.width),
      onFrame: (frame) => this.onFrame(frame),
      onReset: (reason) => this.onStreamReset(reason),
    });
    if (this.sourceLive()) this.pump.start();
  }

  private retirePump(): void {
    if (!this.pump) return;
    this.pump.stop();
    this.retiredPumpDrops += this.pump.stats.dropped;
    this.pump = null;
  }

  private sourceLive(): boolean {
    const { source } = appStore.getState();
    return (
      (source.kind === 'webcam' && source.phase === 'live') ||
      (source.kind === 'file' && source.phase === 'open')
    );
  }

  /** A new source plays: reset the model's stream, say so, and pump its frames. */
  private beginStream(event: ResetEvent): void {
    this.lastPosition = 0;
    if (appStore.getState().model) this.notifyReset(event);
    if (this.pump) {
      // The pump resets the worker's stream through onStreamReset('source').
      this.pump.sourceChanged();
      this.pump.start();
    } else {
      liveFeed.resetStream();
      this.client.reset('source');
    }
  }

  private onFrame(frame: PumpedFrame): void {
    const id = this.client.sendFrame(frame.bitmap, frame.timestamp);
    liveFeed.frameSent(id, performance.now());
  }

  private onStreamReset(reason: ResetReason): void {
    liveFeed.resetStream();
    this.client.reset(reason);
    // 'source' resets come from beginStream (which words its own notice) or a source closing.
    if (reason === 'source' || reason === 'user') return;
    const video = this.video;
    if (reason === 'gap') {
      this.notifyReset({ reason: 'gap' });
    } else if (video && this.looped(video)) {
      if (!this.shortClip) this.notifyReset({ reason: 'loop' });
    } else {
      this.notifyReset({ reason: 'seek', time: video?.currentTime ?? 0 });
    }
  }

  /** A jump back to the start from near the end of a looping video is the loop, not a seek. */
  private looped(video: HTMLVideoElement): boolean {
    const duration = Number.isFinite(video.duration) ? video.duration : Infinity;
    // timeupdate fires every 250 ms or so (later on a busy page): allow a second and a half.
    return video.loop && video.currentTime < 0.5 && this.lastPosition > duration - 1.5;
  }

  private onPrediction(msg: ClientEvents['prediction']): void {
    liveFeed.prediction(msg, performance.now());
    this.publishDrops();
    setRunning(true);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.idle(), IDLE_MS);
  }

  private idle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    setRunning(false);
  }

  private publishDrops(): void {
    const page =
      this.client.stats.heldDropped + this.retiredPumpDrops + (this.pump?.stats.dropped ?? 0);
    liveFeed.setDropped({ worker: this.workerDrops, page });
  }

  private onWorkerError(m: ClientEvents['error']): void {
    if (m.recoverable) {
      if (m.kind === 'worker-crash') {
        // The client restarts the worker and reloads the model; its ready restarts the pump.
        this.retirePump();
        startLoading(appStore.getState().modelId);
      }
      this.notify('worker', m.message);
      return;
    }
    this.retirePump();
    setFatalError(origin(m.kind), m.message);
  }

  private clearSourceError(): void {
    const { error } = appStore.getState();
    if (error && (error.origin === 'camera' || error.origin === 'file')) dismissError();
  }

  private notifyReset(event: ResetEvent): void {
    const model = appStore.getState().model;
    const resume = model
      ? resumeText(model.onlineDelay, model.info.frameRate)
      : 'predictions start once the model is ready';
    const reason: NoticeReason =
      event.reason === 'file' || event.reason === 'webcam' ? 'source' : event.reason;
    this.notify(reason, resetNotice(event, resume));
  }

  /** Says so when a file is shorter than the model's offline window (its loop notices then hush). */
  private warnIfShort(name: string, durationS: number): void {
    const model = appStore.getState().model;
    if (!model) return;
    const { frameRate, twinLength } = model.info;
    const text = shortClipNotice(
      name,
      clipFrames(durationS, frameRate),
      frameRate,
      twinLength,
      model.onlineDelay,
    );
    this.shortClip = text !== null;
    if (text !== null) this.notify('short-clip', text);
  }

  /**
   * A hidden tab gets no video frames (browsers stop painting it), so predictions pause; coming
   * back is a gap in the stream: the model state is reset and the page says for how long it was
   * away.
   */
  private visibilityChanged(): void {
    const hidden = globalThis.document?.visibilityState === 'hidden';
    if (hidden) {
      if (!this.sourceLive() || !this.pump) return;
      this.hiddenAt = performance.now();
      this.pump.stop();
      liveFeed.resetStream();
      this.client.reset('gap');
      this.idle();
      return;
    }
    if (this.hiddenAt === null) return;
    const seconds = (performance.now() - this.hiddenAt) / 1000;
    this.hiddenAt = null;
    if (!this.sourceLive() || !this.pump) return;
    this.notifyReset({ reason: 'hidden', seconds });
    this.pump.sourceChanged();
    this.pump.start();
  }

  private notify(reason: NoticeReason, text: string): void {
    const id = showNotice(reason, text);
    setTimeout(() => clearNotice(id), NOTICE_MS);
  }
}
