/**
 * What the bench page does for one model on one backend: start the backend, load the model, time
 * continual steps and clip predictions (each with a final readback), profile one step, and (for
 * MoViNet) time the original TFLite model on the same frames. Driven by tools/bench/bench.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '../models/registry';
import type { ActionModel } from '../models/action-model';
import { initBackend } from '../runtime/init-backend';
import { describeBackend } from '../runtime/backend';
import {
  derive,
  summarize,
  type BenchRow,
  type ReferenceTiming,
  type Summary,
} from '../../tools/bench/bench-format';

/** What to run in this page. */
export interface PageConfig {
  readonly backend: string;
  /** A registry id, or `id:variant` for a pruned variant (e.g. movinet-a0-stream:p30-splora8). */
  readonly model: string;
  /** WASM threads for TF.js (null: the backend's default, half the logical cores). */
  readonly wasmThreads: number | null;
  readonly warmSteps: number;
  readonly timedSteps: number;
  readonly clipWarm: number;
  readonly clipReps: number;
  /** The TFLite reference (MoViNet only), or null to skip it. */
  readonly tflite: {
    readonly url: string;
    readonly wasmDir: string;
    readonly numThreads: number;
    readonly warm: number;
    readonly timed: number;
  } | null;
}

/** Distinct random frames, cycled, so no step sees a constant input. */
function makeFrames(model: ActionModel, count: number): tf.Tensor4D[] {
  const { height, width, channels } = model.info.input;
  return Array.from({ length: count }, (_, i) =>
    tf.randomUniform([1, height, width, channels], 0, 1, 'float32', 1000 + i),
  );
}

async function timeSteps(
  model: ActionModel,
  frames: tf.Tensor4D[],
  n: number,
  offset: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const frame = frames[(offset + i) % frames.length] as tf.Tensor4D;
    const t0 = performance.now();
    const logits = model.step(frame);
    if (logits !== null) {
      await logits.data();
      logits.dispose();
    }
    times.push(performance.now() - t0);
  }
  return times;
}

async function firstPrediction(model: ActionModel, frames: tf.Tensor4D[]): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    const logits = model.step(frames[i % frames.length] as tf.Tensor4D);
    if (logits !== null) {
      await logits.data();
      logits.dispose();
      return performance.now();
    }
  }
  throw new Error(`${model.info.id}: no prediction after 1000 steps`);
}

async function profileStep(
  model: ActionModel,
  frame: tf.Tensor4D,
): Promise<Pick<BenchRow, 'kernelsPerStep' | 'topKernels'>> {
  const info = await tf.profile(async () => {
    const logits = model.step(frame);
    if (logits !== null) {
      await logits.data();
      logits.dispose();
    }
  });
  const byName = new Map<string, { ms: number; count: number }>();
  for (const k of info.kernels.filter((x) => !x.name.endsWith('__op'))) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byName.get(k.name) ?? { ms: 0, count: 0 };
    byName.set(k.name, { ms: e.ms + ms, count: e.count + 1 });
  }
  const topKernels = [...byName.entries()]
    .map(([name, e]) => ({ name, ms: e.ms, count: e.count }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 6);
  // Entries named `<op>__op` wrap the kernel listed beside them; count kernels only.
  const kernels = info.kernels.filter((k) => !k.name.endsWith('__op'));
  return { kernelsPerStep: kernels.length, topKernels };
}

async function timeClips(
  model: ActionModel,
  frames: tf.Tensor4D[],
  warm: number,
  reps: number,
): Promise<Summary> {
  const t = model.info.clipLength;
  const clip = tf.tidy(() =>
    tf.expandDims(
      tf.stack(
        Array.from({ length: t }, (_, i) =>
          tf.squeeze(frames[i % frames.length] as tf.Tensor4D, [0]),
        ),
      ),
      0,
    ),
  ) as tf.Tensor5D;
  const times: number[] = [];
  for (let i = 0; i < warm + reps; i++) {
    const t0 = performance.now();
    const logits = model.predictClip(clip);
    await logits.data();
    logits.dispose();
    if (i >= warm) times.push(performance.now() - t0);
  }
  clip.dispose();
  return summarize(times);
}

async function timeTflite(
  config: NonNullable<PageConfig['tflite']>,
  ours: Summary,
): Promise<ReferenceTiming> {
  const { loadTfliteStream } = await import('./tflite-reference');
  const stream = await loadTfliteStream(config.url, config.wasmDir, config.numThreads);
  const [, h = 172, w = 172, c = 3] = stream.frameShape;
  const frames = Array.from({ length: 16 }, (_, i) =>
    tf.randomUniform([1, h, w, c], 0, 1, 'float32', 1000 + i),
  );
  const times: number[] = [];
  for (let i = 0; i < config.warm + config.timed; i++) {
    const t0 = performance.now();
    await stream.step(frames[i % frames.length] as tf.Tensor);
    if (i >= config.warm) times.push(performance.now() - t0);
  }
  stream.dispose();
  tf.dispose(frames);
  const stepMs = summarize(times);
  return {
    runtime: `@tensorflow/tfjs-tflite 0.0.1-alpha.10 (XNNPACK, numThreads ${config.numThreads})`,
    stepMs,
    ratioTheirsOverOurs: stepMs.median / ours.median,
  };
}

/** Runs `fn`, prefixing any error with the phase it happened in. */
async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Runs one model on one backend in this page and returns its row. */
export async function runPage(config: PageConfig): Promise<BenchRow> {
  if (config.backend === 'wasm' && config.wasmThreads !== null) {
    // Must precede the backend's start; the app itself keeps the default.
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(config.wasmThreads);
  }
  const choice = await initBackend({ override: config.backend });
  if (choice.backend !== config.backend) {
    throw new Error(
      `backend ${config.backend} did not start (got ${choice.backend}): ${choice.reason}`,
    );
  }
  let detail = describeBackend(choice.info, choice.capabilities);
  if (config.backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    detail += ` [bench: getThreadsCount() = ${wasm.getThreadsCount()}]`;
  }
  const [modelId = '', variant] = config.model.split(':');
  const model = await phase('load', () =>
    createModel(modelId, variant === undefined ? {} : { variant }),
  );
  const frames = makeFrames(model, 16);
  // The buffers stay full from here on: every timed step is a steady-state step that returns
  // logits and is read back (a step still filling its buffers returns null, and on WebGPU its
  // queued work would go untimed).
  const firstAt = await phase('first prediction', () => firstPrediction(model, frames));

  await phase('warm-up', () => timeSteps(model, frames, config.warmSteps, 0));
  const numTensorsBefore = tf.memory().numTensors;
  const stepMs = summarize(
    await phase('timed steps', () => timeSteps(model, frames, config.timedSteps, config.warmSteps)),
  );
  const numTensorsAfter = tf.memory().numTensors;
  const profile = await phase('profile', () => profileStep(model, frames[0] as tf.Tensor4D));
  const clipMs = await phase('clip', () =>
    timeClips(model, frames, config.clipWarm, config.clipReps),
  );
  const tflite = config.tflite;
  const reference =
    tflite === null ? null : await phase('tflite', () => timeTflite(tflite, stepMs));

  const row: BenchRow = {
    model: config.model,
    backend: choice.backend,
    backendDetail: detail,
    stepMs,
    clipMs,
    ...derive(stepMs, clipMs, model.flopsPerStep, model.flopsPerClip),
    stateBytes: model.stateBytes,
    weightBytes: model.info.params * 4,
    firstPredictionMs: firstAt,
    ...profile,
    numTensorsBefore,
    numTensorsAfter,
    reference,
  };
  tf.dispose(frames);
  model.dispose();
  return row;
}
