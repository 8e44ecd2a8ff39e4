/**
 * Block-local distillation on the tiny MoViNet: training a pruned block's SPLoRA adapters (or
 * its weights) towards the dense block's outputs lowers the error by a stated factor; what is
 * trained fuses into weights that compute the same; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectTensorsClose, seededClip } from '../../src/continual/testing';
import { parseMovinetConfig } from '../../src/models/movinet/movinet-config';
import { SeededRandom } from '../../src/models/seeded-weights';
import {
  bottleneckClip,
  bottleneckWeights,
  disposeBottleneckWeights,
} from '../../src/models/adapters/bottleneck-clip';
import { pruneConfig, pruneTensors } from '../../src/models/adapters/prune-movinet';
import { keptCount, type PruningPlan } from '../../src/models/adapters/pruning-plan';
import {
  seededMovinetTensors,
  tinyMovinetConfig,
  tinyMovinetSpec,
} from '../../src/models/adapters/testing';
import { createTrainable, finetuneParams, trainBlock, type AdapterKind } from './block-distill';

const spec = tinyMovinetSpec();
const dense = seededMovinetTensors(spec, 7);
const plan: PruningPlan = {
  ratio: 0.5,
  criterion: 'l1-expand',
  layers: spec.layers.map((l) => ({
    layer: l.name,
    denseChannels: l.expandChannels,
    kept: Array.from({ length: keptCount(l.expandChannels, 0.5) }, (_, i) => i),
  })),
};
const compactSpec = parseMovinetConfig(pruneConfig(tinyMovinetConfig(), plan));
const compact = pruneTensors(dense, plan);
const denseLayer = spec.layers[0];
const layer = compactSpec.layers[0];
if (denseLayer === undefined || layer === undefined) throw new Error('tiny spec');

/** Eight clips of non-negative features (as a stem's ReLU6 output) and the dense block's outputs. */
function data(): { inputs: tf.Tensor5D[]; targets: tf.Tensor5D[] } {
  const inputs = Array.from({ length: 8 }, (_, i) =>
    tf.tidy(() => tf.mul(tf.add(seededClip([1, 5, 4, 4, 4], 100 + i), 1), 1.5)),
  ) as tf.Tensor5D[];
  const w = bottleneckWeights(denseLayer as never, dense);
  const targets = inputs.map((x) => bottleneckClip(denseLayer as never, w, x));
  disposeBottleneckWeights(w);
  return { inputs, targets };
}

describe('trainBlock', () => {
  it.each<[AdapterKind, number, number]>([
    // Measured on this seed: splora 0.027 -> 0.0091 (x0.34), finetune 0.027 -> 0.0081 (x0.30).
    ['splora', 0.5, 1e-2],
    ['finetune', 0.5, 1e-2],
  ])('%s lowers the relative error below %s x its start (lr %s)', (kind, factor, lr) => {
    const before = tf.memory().numTensors;
    const { inputs, targets } = data();
    const trainable = createTrainable(layer, compact, kind, 4, new SeededRandom(1));
    const r = trainBlock(
      trainable,
      inputs,
      targets,
      { steps: 80, batch: 2, learningRate: lr },
      new SeededRandom(2),
    );
    console.info(
      `${kind}: relative error ${r.relativeErrorBefore.toFixed(4)} -> ${r.relativeErrorAfter.toFixed(4)}`,
    );
    expect(r.losses).toHaveLength(80);
    // Pruning half the channels costs a visible error, which training recovers most of.
    expect(r.relativeErrorBefore).toBeGreaterThan(0.01);
    expect(r.relativeErrorAfter).toBeLessThan(factor * r.relativeErrorBefore);
    // The fused weights compute what the trainable computes.
    const fused = trainable.fused(compact);
    const w = bottleneckWeights(layer, fused);
    const x = inputs[0] as tf.Tensor5D;
    const a = bottleneckClip(layer, w, x);
    const b = tf.tidy(() => bottleneckClip(layer, trainable.weights(), x));
    // float32: fused B A vs A^T B^T in the graph, sums of a few products.
    expectTensorsClose(a, b, 1e-5);
    tf.dispose([a, b, ...inputs, ...targets]);
    disposeBottleneckWeights(w);
    trainable.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('learns nothing for a pruned-only block', () => {
    const { inputs, targets } = data();
    const trainable = createTrainable(layer, compact, 'none', 4, new SeededRandom(1));
    expect(trainable.variables).toHaveLength(0);
    expect(trainable.learnedParams).toBe(0);
    const r = trainBlock(
      trainable,
      inputs,
      targets,
      { steps: 10, batch: 2, learningRate: 1e-2 },
      new SeededRandom(2),
    );
    expect(r.losses).toEqual([]);
    expect(r.relativeErrorAfter).toBe(r.relativeErrorBefore);
    expect(trainable.fused(compact).get('b0_l0/expand/kernel')).toBe(
      compact.get('b0_l0/expand/kernel'),
    );
    tf.dispose([...inputs, ...targets]);
    trainable.dispose();
  });

  it('counts what fine-tuning learns: the four convs’ kernels and biases', () => {
    // b0_l0 at 4 kept channels: expand 4*4 + 4, spatial 9*4 + 4, temporal 3*4 + 4, project 4*6 + 6.
    expect(finetuneParams(layer)).toBe(20 + 40 + 16 + 30);
    const trainable = createTrainable(layer, compact, 'finetune', 4, new SeededRandom(1));
    expect(trainable.variables.reduce((n, v) => n + v.size, 0)).toBe(106);
    trainable.dispose();
    // SPLoRA at rank 4: expand 4 (4 + 4) + 4, spatial and temporal 2 * 4 each, project 4 (4 + 6) + 6.
    const splora = createTrainable(layer, compact, 'splora', 4, new SeededRandom(1));
    expect(splora.learnedParams).toBe(36 + 8 + 8 + 46);
    splora.dispose();
  });

  it('rejects mismatched inputs and targets', () => {
    const trainable = createTrainable(layer, compact, 'none', 4, new SeededRandom(1));
    expect(() =>
      trainBlock(trainable, [], [], { steps: 1, batch: 1, learningRate: 1 }, new SeededRandom(1)),
    ).toThrow('trainBlock: 0 inputs and 0 targets');
    trainable.dispose();
  });
});
