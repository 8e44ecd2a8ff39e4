/**
 * End-to-end distillation on logits: every pruned block's trainable parameters together, so
 * that the student's per-frame class distribution matches the dense teacher's, the loss being
 * the mean over frames of KL(teacher || student) (the measure the variants are evaluated by).
 * The stem and head are not pruned and stay frozen: clips enter as the stem's features, and the
 * head (head-clip.ts) turns the last block's features into per-frame logits.
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients';
import type { SeededRandom } from '../../src/models/seeded-weights';
import { bottleneckClip } from '../../src/models/adapters/bottleneck-clip';
import { headClip, type HeadWeights } from '../../src/models/adapters/head-clip';
import type { PhaseOptions, Trainable } from './block-distill';
import { CPU_GRAD_OPS } from './cpu-grad-ops';

/** Per-frame logits [N, T, classes] of the student on stem features [N, T, H, W, C]. */
export function studentLogits(
  blocks: readonly Trainable[],
  head: HeadWeights,
  stemFeatures: tf.Tensor5D,
): tf.Tensor3D {
  return tf.tidy(() => {
    let x = stemFeatures;
    for (const b of blocks) x = bottleneckClip(b.layer, b.weights(), x, undefined, CPU_GRAD_OPS);
    return headClip(head, x);
  });
}

/** Mean over frames of KL(softmax(teacher) || softmax(student)), logits [N, T, classes]. */
export function meanKl(teacher: tf.Tensor, student: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const lt = tf.logSoftmax(teacher);
    const ls = tf.logSoftmax(student);
    return tf.mean(tf.sum(tf.mul(tf.exp(lt), tf.sub(lt, ls)), -1));
  });
}

/**
 * Trains every block's variables on `stemFeatures` (one [1, T, H, W, C] per clip) towards
 * `teacherLogits` ([1, T, classes] per clip). Returns the loss of each step; logs every
 * `logEvery` steps.
 */
export function trainEndToEnd(
  blocks: readonly Trainable[],
  head: HeadWeights,
  stemFeatures: readonly tf.Tensor5D[],
  teacherLogits: readonly tf.Tensor3D[],
  options: PhaseOptions,
  rng: SeededRandom,
  log: (line: string) => void = () => {},
  logEvery = 10,
): number[] {
  const variables = blocks.flatMap((b) => b.variables);
  if (variables.length === 0 || options.steps === 0) return [];
  const optimizer = tf.train.adam(options.learningRate);
  const losses: number[] = [];
  try {
    for (let step = 0; step < options.steps; step++) {
      const picks = Array.from({ length: Math.min(options.batch, stemFeatures.length) }, () =>
        Math.floor(rng.uniform() * stemFeatures.length),
      );
      const x = tf.concat(
        picks.map((i) => stemFeatures[i] as tf.Tensor5D),
        0,
      ) as tf.Tensor5D;
      const y = tf.concat(
        picks.map((i) => teacherLogits[i] as tf.Tensor3D),
        0,
      );
      const cost = optimizer.minimize(
        () => meanKl(y, studentLogits(blocks, head, x)),
        true,
        variables,
      );
      losses.push(cost?.dataSync()[0] ?? Number.NaN);
      tf.dispose([x, y, cost ?? []]);
      if ((step + 1) % logEvery === 0 || step === options.steps - 1) {
        const recent = losses.slice(-logEvery);
        log(
          `  end-to-end step ${step + 1}/${options.steps}: KL ${(recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(4)}`,
        );
      }
    }
  } finally {
    optimizer.dispose();
  }
  return losses;
}
