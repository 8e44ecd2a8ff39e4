/**
 * The classify page (classify.html), driven by `npm run classify`: opens the file given to its
 * <input type=file> with the app's FileSource, seeks it frame by frame on the model's sampling
 * grid, grabs each frame with the frame pump's centred-square crop, and sends it to the app's
 * inference worker through InferenceClient, one frame at a time, so every sampled frame is
 * classified whatever the speed of the backend. Progress goes out as console messages.
 */
import { InferenceClient } from '../runtime/worker-client';
import type { ModeOutcome, PredictionMessage } from '../runtime/protocol';
import { FileSource } from '../video/file-source';
import { grabRegion, grabWithImageBitmap } from '../video/frame-pump';
import { FrameSampler } from '../video/frame-sampler';
import { errorMessage } from '../video/source-error';
import { EVENT_PREFIX, type ClassifyConfig, type ClassifyEvent, type StepOutcome } from './events';

declare global {
  interface Window {
    /** Runs the classification of the file in #file; resolves when done (errors are events). */
    __classify?: (config: ClassifyConfig) => Promise<void>;
  }
}

/** A seek that takes longer than this means the frame cannot be decoded, ms. */
const SEEK_TIMEOUT_MS = 20_000;

/** Tries per frame before giving up (a backend fallback costs one). */
const MAX_ATTEMPTS = 3;

function emit(event: ClassifyEvent): void {
  console.log(EVENT_PREFIX + JSON.stringify(event));
}

/** Seeks and waits until the frame at `t` can be grabbed; rejects on a media error or timeout. */
function seekTo(video: HTMLVideoElement, t: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      video.removeEventListener('seeked', onSeeked);
      video.removeEventListener('error', onError);
    };
    const onSeeked = () => {
      done();
      if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) resolve();
      else reject(new Error(`The frame at ${t.toFixed(3)} s could not be decoded.`));
    };
    const onError = () => {
      done();
      reject(
        new Error(
          `Decoding failed at ${t.toFixed(3)} s (${video.error?.message ?? 'media error'}).`,
        ),
      );
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new Error(
          `The frame at ${t.toFixed(3)} s was not decoded within ${SEEK_TIMEOUT_MS / 1000} s.`,
        ),
      );
    }, SEEK_TIMEOUT_MS);
    video.addEventListener('seeked', onSeeked);
    video.addEventListener('error', onError);
    video.currentTime = t;
  });
}

async function run(config: ClassifyConfig): Promise<void> {
  const input = document.getElementById('file') as HTMLInputElement;
  const video = document.getElementById('video') as HTMLVideoElement;
  const file = input.files?.[0];
  if (!file) throw new Error('No file was given to the page.');
  const source = new FileSource(video);
  const info = await source.openFile(file);
  source.pause();
  video.loop = false;
  if (!(Number.isFinite(info.duration) && info.duration > 0)) {
    throw new Error(`The video "${file.name}" has no finite duration (${info.duration}).`);
  }
  const client = new InferenceClient({ maxInFlight: 1 });
  try {
    const ready = await client.load({
      modelId: config.modelId,
      ...(config.backend === null ? {} : { backend: config.backend }),
    });
    client.setMode(config.mode);
    const { modelInfo } = ready;
    const fps = config.fps ?? modelInfo.frameRate;
    const sampler = new FrameSampler({ targetFps: fps });
    const region = grabRegion(
      info.width,
      info.height,
      Math.max(modelInfo.input.height, modelInfo.input.width),
    );
    emit({
      type: 'ready',
      model: modelInfo.id,
      backend: ready.backend,
      backendReason: ready.backendReason,
      fps,
      duration: info.duration,
      width: info.width,
      height: info.height,
    });
    const labelled = (o: ModeOutcome | undefined): StepOutcome | undefined => {
      if (o === undefined) return undefined;
      const top5 =
        o.kind === 'scores'
          ? o.top5.map((s) => ({ label: modelInfo.labels[s.index] ?? `#${s.index}`, prob: s.prob }))
          : [];
      return { top5, latencyMs: o.latencyMs };
    };
    // One frame in flight: the next is grabbed only after the previous one is answered.
    let pending: {
      resolve: (m: PredictionMessage | null) => void;
      reject: (e: Error) => void;
    } | null = null;
    let lastError = '';
    client.on('prediction', (m) => pending?.resolve(m));
    // A dropped frame resolves null and is grabbed again: after a backend failure the worker
    // moves to the next backend on the following frame.
    client.on('dropped', () => pending?.resolve(null));
    client.on('error', (m) => {
      lastError = m.message;
      emit({ type: 'notice', message: m.message });
      if (!m.recoverable) pending?.reject(new Error(m.message));
    });
    client.on('backendChanged', (m) => {
      emit({
        type: 'notice',
        message: `backend ${m.previous} -> ${m.backend}: ${m.reason}`,
        backend: m.backend,
      });
    });
    const classifyAt = async (t: number): Promise<PredictionMessage> => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        await seekTo(video, t);
        const bitmap = await grabWithImageBitmap(video, region);
        const answer = await new Promise<PredictionMessage | null>((resolve, reject) => {
          pending = { resolve, reject };
          client.sendFrame(bitmap, video.currentTime);
        });
        pending = null;
        if (answer !== null) return answer;
      }
      const why = lastError ? `: ${lastError}` : '';
      throw new Error(
        `The worker dropped the frame at ${t.toFixed(3)} s ${MAX_ATTEMPTS} times${why}`,
      );
    };
    client.reset('source');
    // Sampling instants on the sampler's grid, anchored at the first frame (t = 0).
    let step = 0;
    for (let t = 0; t < info.duration; t = step * sampler.period) {
      const prediction = await classifyAt(t);
      const online = labelled(prediction.online);
      const offline = labelled(prediction.offline);
      emit({
        type: 'step',
        step,
        time: t,
        ...(online ? { online } : {}),
        ...(offline ? { offline } : {}),
      });
      step++;
    }
    emit({ type: 'done', steps: step });
  } finally {
    client.dispose();
    source.close();
  }
}

window.__classify = (config) =>
  run(config).catch((e: unknown) => emit({ type: 'error', message: errorMessage(e) }));
document.body.dataset.ready = 'true';
