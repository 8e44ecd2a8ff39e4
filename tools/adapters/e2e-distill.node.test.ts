/**
 * End-to-end distillation on the tiny MoViNet: the KL measure by hand, and a short run of every
 * pruned block's SPLoRA adapters together that lowers the student's KL to the dense teacher's
 * per-frame distributions by a stated factor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { seededClip } from '../../src/continual/testing';
import { parseMovinetConfig } from '../../src/models/movinet/movinet-config';
import { SeededRandom } from '../../src/models/seeded-weights';
import { disposeHeadWeights, headWeights } from '../../src/models/adapters/head-clip';
import { pruneConfig, pruneTensors } from '../../src/models/adapters/prune-movinet';
import { keptCount } from '../../src/models/adapters/pruning-plan';
import {
  seededMovinetTensors,
  tinyMovinetConfig,
  tinyMovinetSpec,
} from '../../src/models/adapters/testing';
import { createTrainable } from './block-distill';
import { meanKl, studentLogits, trainEndToEnd } from './e2e-distill';

describe('meanKl', () => {
  it('averages KL(teacher || student) over frames', () => {
    // Frame 1: p = (1/4, 3/4), q = (1/2, 1/2); frame 2: equal distributions (KL 0).
    const teacher = tf.tensor3d([0, Math.log(3), 1, 2], [1, 2, 2]);
    const student = tf.tensor3d([0, 0, 5, 6], [1, 2, 2]);
    const kl = meanKl(teacher, student);
    expect(kl.dataSync()[0]).toBeCloseTo((0.25 * Math.log(0.5) + 0.75 * Math.log(1.5)) / 2, 6);
    tf.dispose([teacher, student, kl]);
  });
});

describe('trainEndToEnd', () => {
  it('lowers the KL of a half-pruned tiny network with SPLoRA r2 by at least 10x in 40 steps', () => {
    const before = tf.memory().numTensors;
    const spec = tinyMovinetSpec();
    const dense = seededMovinetTensors(spec, 5);
    const plan = {
      ratio: 0.5,
      criterion: 'l1-expand' as const,
      layers: spec.layers.map((l) => ({
        layer: l.name,
        denseChannels: l.expandChannels,
        kept: Array.from({ length: keptCount(l.expandChannels, 0.5) }, (_, i) => i),
      })),
    };
    const compactSpec = parseMovinetConfig(pruneConfig(tinyMovinetConfig(), plan));
    const compact = pruneTensors(dense, plan);
    const rng = new SeededRandom(3);
    const teacherBlocks = spec.layers.map((l) => createTrainable(l, dense, 'none', 1, rng));
    const students = compactSpec.layers.map((l) => createTrainable(l, compact, 'splora', 2, rng));
    const head = headWeights(spec, dense);
    // Stem features: non-negative, [1, 6, 4, 4, 4] per clip.
    const stem = Array.from({ length: 6 }, (_, i) =>
      tf.tidy(() => tf.mul(tf.add(seededClip([1, 6, 4, 4, 4], 200 + i), 1), 2)),
    ) as tf.Tensor5D[];
    const teacher = stem.map((x) => studentLogits(teacherBlocks, head, x));
    const kl = () => {
      let sum = 0;
      stem.forEach((x, i) => {
        const k = tf.tidy(() =>
          meanKl(teacher[i] as tf.Tensor3D, studentLogits(students, head, x)),
        );
        sum += k.dataSync()[0] ?? 0;
        k.dispose();
      });
      return sum / stem.length;
    };
    const start = kl();
    const losses = trainEndToEnd(
      students,
      head,
      stem,
      teacher,
      { steps: 40, batch: 2, learningRate: 1e-2 },
      rng,
    );
    const end = kl();
    console.info(`end to end: KL ${start.toFixed(5)} -> ${end.toFixed(5)}`);
    expect(losses).toHaveLength(40);
    expect(start).toBeGreaterThan(1e-4);
    // Measured: 0.00582 -> 0.00022 (x26).
    expect(end).toBeLessThan(start / 10);
    tf.dispose([...stem, ...teacher]);
    for (const b of [...teacherBlocks, ...students]) b.dispose();
    disposeHeadWeights(head);
    expect(tf.memory().numTensors).toBe(before);
  });
});
