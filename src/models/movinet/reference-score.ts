/**
 * Test helper (imported by *.test.ts only): streams a labelled clip through a MoViNet-shaped
 * network and scores it frame by frame against the TFLite reference fixtures of tools/reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CoModule } from '../../continual/module';
import type { ReferenceFixture } from '../../../tools/reference/reference-fixture';
import { softmax } from '../../../tools/reference/top-k';
import { loadClipFrames, type ClipFrames } from '../../../tools/vitest/clip-frames';

/** The reference fixtures (logits per frame at 5 fps of the original int8 TFLite model), by clip. */
export const REFERENCE_FIXTURES: readonly ReferenceFixture[] = Object.values(
  import.meta.glob<ReferenceFixture>('../../../tools/reference/fixtures/*.json', {
    eager: true,
    import: 'default',
  }),
).sort((a, b) => a.clip.localeCompare(b.clip));

/** A frame counts as confident when the reference's top-1 leads its runner-up by this much. */
export const CONFIDENT_LEAD = 0.1;

/** Frame t of a clip as [1, H, W, 3] in [0, 1], as the graph's input is fed (uint8 / 255). */
export function frameTensor(frames: ClipFrames, t: number): tf.Tensor4D {
  const [, h, w] = frames.shape;
  const size = h * w * 3;
  const pixels = Float32Array.from(frames.data.subarray(t * size, (t + 1) * size), (v) => v / 255);
  return tf.tensor4d(pixels, [1, h, w, 3]);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0) > (values[best] ?? 0)) best = i;
  return best;
}

/** How the stream's probabilities compare with the reference's, frame by frame. */
export interface ClipScore {
  readonly frames: number;
  /** Frames where the reference's top-1 leads its top-2 by at least CONFIDENT_LEAD. */
  readonly confident: number;
  /** Of those, frames where our top-1 is the reference's. */
  readonly agree: number;
  /** Mean over frames of |p_ours - p_ref| for the reference's top-1 class. */
  readonly meanProbGap: number;
  readonly finalTop: number;
  readonly finalProb: number;
  readonly msPerFrame: number;
  /** Tensors left behind by steps 2..n (the first step allocates the streaming state). */
  readonly tensorGrowth: number;
}

/**
 * Streams the first `maxFrames` frames of the fixture's clip through `network` from a fresh
 * state (one output per frame: MoViNet's delay is 0) and scores them against the fixture.
 */
export async function scoreClip(
  network: CoModule,
  fixture: ReferenceFixture,
  maxFrames = Infinity,
): Promise<ClipScore> {
  const frames = await loadClipFrames(`${fixture.clip}.mp4`);
  const count = Math.min(frames.shape[0], fixture.perFrame.length, maxFrames);
  network.resetState();
  let confident = 0;
  let agree = 0;
  let gap = 0;
  let elapsed = 0;
  let tensorsAfterFirstStep = 0;
  let last: Float64Array = new Float64Array(0);
  for (let t = 0; t < count; t++) {
    const frame = frameTensor(frames, t);
    const start = performance.now();
    const out = network.forwardStep(frame);
    if (out === null) throw new Error('MoViNet has delay 0: every step must emit.');
    const logits = await out.data();
    elapsed += performance.now() - start;
    tf.dispose([frame, out]);
    if (t === 0) tensorsAfterFirstStep = tf.memory().numTensors;
    const ours = softmax(logits);
    const ref = softmax(fixture.perFrame[t]?.logits ?? []);
    const r1 = argmax(ref);
    const second = Math.max(...Array.from(ref).filter((_, i) => i !== r1));
    if ((ref[r1] ?? 0) - second >= CONFIDENT_LEAD) {
      confident++;
      if (argmax(ours) === r1) agree++;
    }
    gap += Math.abs((ours[r1] ?? 0) - (ref[r1] ?? 0));
    last = ours;
  }
  const finalTop = argmax(last);
  return {
    frames: count,
    confident,
    agree,
    meanProbGap: gap / count,
    finalTop,
    finalProb: last[finalTop] ?? 0,
    msPerFrame: elapsed / count,
    tensorGrowth: tf.memory().numTensors - tensorsAfterFirstStep,
  };
}
