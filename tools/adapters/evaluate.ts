/**
 * How a variant compares with the dense teacher on held-out clips, streamed frame by frame at
 * the model's input (172x172, 5 fps) as the app runs it: per-frame top-1 agreement, mean
 * KL(dense || variant) of the per-frame class distributions, and the time per streaming step on
 * the current backend (cpu in Node here).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CoModule } from '../../src/continual/module';
import type { ExtractedFrames } from '../reference/extract-frames';

/** Logits of every frame of a clip, streamed from a reset state, and the mean step time. */
export interface StreamedLogits {
  readonly logits: readonly Float32Array[];
  /** Mean ms per forwardStep (read back included), over the steps after the first two. */
  readonly msPerStep: number;
}

/** Streams `frames` through `network` (reset first), one forwardStep per frame. */
export function streamLogits(network: CoModule, frames: ExtractedFrames): StreamedLogits {
  const [count, h, w] = frames.shape;
  network.resetState();
  const logits: Float32Array[] = [];
  let elapsed = 0;
  const n = h * w * 3;
  for (let t = 0; t < count; t++) {
    const pixels = Float32Array.from(frames.data.subarray(t * n, (t + 1) * n), (v) => v / 255);
    const frame = tf.tensor4d(pixels, [1, h, w, 3]);
    const start = performance.now();
    const out = network.forwardStep(frame);
    if (out === null) throw new Error('MoViNet has delay 0: every step must emit.');
    const values = out.dataSync() as Float32Array;
    if (t >= 2) elapsed += performance.now() - start;
    logits.push(Float32Array.from(values));
    tf.dispose([frame, out]);
  }
  return { logits, msPerStep: count > 2 ? elapsed / (count - 2) : Number.NaN };
}

/** Log-softmax in float64. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] ?? -Infinity);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] ?? 0) - max);
  const lse = max + Math.log(sum);
  return Float64Array.from({ length: logits.length }, (_, i) => (logits[i] ?? 0) - lse);
}

/** KL(p || q) of the softmaxes of two logit vectors, in nats. */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const lp = logSoftmax(p);
  const lq = logSoftmax(q);
  let kl = 0;
  lp.forEach((l, i) => (kl += Math.exp(l) * (l - (lq[i] ?? 0))));
  return Math.max(0, kl);
}

/** Index of the largest value (the first on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0) > (values[best] ?? 0)) best = i;
  return best;
}

/** Agreement of a variant with the teacher over frames. */
export interface Agreement {
  readonly frames: number;
  /** Fraction of frames whose top-1 class is the teacher's. */
  readonly top1: number;
  /** Mean over frames of KL(teacher || variant), nats. */
  readonly meanKl: number;
}

/** Compares per-frame logits of a variant with the teacher's (clips concatenated). */
export function agreement(
  teacher: readonly (readonly Float32Array[])[],
  student: readonly (readonly Float32Array[])[],
): Agreement {
  let frames = 0;
  let same = 0;
  let kl = 0;
  teacher.forEach((clip, c) => {
    const ours = student[c];
    if (ours === undefined || ours.length !== clip.length) {
      throw new Error(
        `clip ${c}: ${ours?.length ?? 0} variant frames for ${clip.length} teacher frames`,
      );
    }
    clip.forEach((t, i) => {
      const s = ours[i] ?? new Float32Array(0);
      frames++;
      if (argmax(t) === argmax(s)) same++;
      kl += klDivergence(t, s);
    });
  });
  return { frames, top1: frames === 0 ? 0 : same / frames, meanKl: frames === 0 ? 0 : kl / frames };
}
