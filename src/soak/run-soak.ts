/**
 * What the soak page does: start a backend, load a model, feed it `steps` frames one at a time
 * as the app's worker does (a step, then a readback of the logits), and measure what should not
 * change over hours: tensors held, JS heap, step latency, and that the online output still
 * equals the offline twin on the last window. The verdict is tools/soak/soak-report.ts's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '../models/registry';
import { initBackend } from '../runtime/init-backend';
import type { SoakRun, SoakSample } from '../../tools/soak/soak-report';

/** What to run. */
export interface SoakConfig {
  readonly backend: string;
  readonly model: string;
  readonly steps: number;
  /** Steps before measuring starts (kernels compiled, buffers full, allocator settled). */
  readonly warmupSteps: number;
  /** Take a heap and tensor sample every this many steps. */
  readonly sampleEvery: number;
  /** Progress lines to the console every this many steps (0: none). */
  readonly logEvery: number;
}

interface ChromeMemory {
  readonly usedJSHeapSize: number;
}

/** The JS heap in bytes after a forced GC where the page may force one. */
function heapBytes(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const memory = (performance as { memory?: ChromeMemory }).memory;
  return memory === undefined ? null : memory.usedJSHeapSize;
}

/** Distinct frames (seeded), cycled: the frames a camera would bring, never one constant input. */
function makeFrames(count: number, shape: [number, number, number]): tf.Tensor4D[] {
  return Array.from({ length: count }, (_, i) =>
    tf.randomUniform([1, ...shape], 0, 1, 'float32', 7000 + i),
  );
}

/** Runs the soak in this page and returns the measurements. */
export async function runSoak(config: SoakConfig): Promise<SoakRun> {
  if (config.steps <= config.warmupSteps) {
    throw new Error(`steps (${config.steps}) must exceed the warm-up (${config.warmupSteps}).`);
  }
  const choice = await initBackend({ override: config.backend });
  if (choice.backend !== config.backend) {
    throw new Error(`backend ${config.backend} did not start: ${choice.reason}`);
  }
  const model = await createModel(config.model);
  const { height, width, channels } = model.info.input;
  // 17 frames: coprime with the usual window lengths, so windows differ from step to step.
  const frames = makeFrames(17, [height, width, channels]);
  const twinLength = model.info.twinLength;
  const stepMs: number[] = [];
  const samples: SoakSample[] = [];
  let lastLogits: Float32Array | null = null;
  try {
    for (let step = 0; step < config.steps; step++) {
      const frame = frames[step % frames.length] as tf.Tensor4D;
      const t0 = performance.now();
      const logits = model.step(frame);
      if (logits !== null) {
        const values = (await logits.data()) as Float32Array;
        logits.dispose();
        if (step === config.steps - 1) lastLogits = values;
      }
      const ms = performance.now() - t0;
      if (step >= config.warmupSteps) {
        stepMs.push(ms);
        const since = step - config.warmupSteps;
        if (since % config.sampleEvery === 0 || step === config.steps - 1) {
          samples.push({
            step,
            numTensors: tf.memory().numTensors,
            heapBytes: heapBytes(),
            backendBytes: tf.memory().numBytes,
          });
        }
      }
      if (config.logEvery > 0 && (step + 1) % config.logEvery === 0) {
        console.log(
          `soak ${step + 1}/${config.steps}: ${ms.toFixed(1)} ms, ${tf.memory().numTensors} tensors`,
        );
      }
    }
    if (lastLogits === null) {
      throw new Error(`${config.model}: no output after ${config.steps} steps.`);
    }
    // The offline twin over the window that ended with the last step.
    const first = config.steps - twinLength;
    if (first < 0) throw new Error(`run at least ${twinLength} steps to compare with the twin.`);
    const window = tf.tidy(() =>
      tf.expandDims(
        tf.stack(
          Array.from({ length: twinLength }, (_, i) =>
            tf.squeeze(frames[(first + i) % frames.length] as tf.Tensor4D, [0]),
          ),
        ),
        0,
      ),
    ) as tf.Tensor5D;
    const twin = model.predictTwin(window);
    const twinValues = (await twin.data()) as Float32Array;
    tf.dispose([window, twin]);
    let maxDiff = 0;
    let scale = 0;
    for (let i = 0; i < twinValues.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs((twinValues[i] ?? 0) - (lastLogits[i] ?? 0)));
      scale = Math.max(scale, Math.abs(twinValues[i] ?? 0));
    }
    return {
      model: config.model,
      backend: choice.backend,
      steps: config.steps,
      warmupSteps: config.warmupSteps,
      stepMs,
      samples,
      finalMaxAbsDiff: maxDiff,
      finalScale: scale,
      twinLength,
      // CoX3D's twin is exact by construction; MoViNet's 8-frame window forgets what its
      // cumulative pool remembers, so there the difference is reported, not judged.
      twinIsExact: config.model.startsWith('cox3d'),
      heapMeasuredAfterGc: typeof (globalThis as { gc?: unknown }).gc === 'function',
    };
  } finally {
    tf.dispose(frames);
    model.dispose();
  }
}
