/**
 * Pruning the committed MoViNet-A0-Stream weights (Node, cpu): the compact network equals the
 * dense float network with the removed channels masked at the project conv's input.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectTensorsClose, seededClip } from '../../continual/testing';
import { buildMovinetA0 } from '../movinet/movinet-a0';
import { parseMovinetConfig, type MovinetSpec } from '../movinet/movinet-config';
import { loadMovinetWeights } from '../movinet/testing';
import type { LoadedWeights } from '../weights/load-weights';
import { l1ExpandScores } from './channel-scores';
import { countParams, tensorsOf, weightsFromTensors, type PlainTensor } from './movinet-tensors';
import { pruneConfig, pruneTensors } from './prune-movinet';
import { planPruning } from './pruning-plan';

let weights: LoadedWeights;
let spec: MovinetSpec;
let dense: Map<string, PlainTensor>;
beforeAll(async () => {
  weights = await loadMovinetWeights();
  spec = parseMovinetConfig(weights.manifest.config);
  dense = tensorsOf(weights);
});

describe('pruning MoViNet-A0-Stream by 50 %', () => {
  it('gives the masked dense network’s logits with 224,616 fewer parameters', () => {
    const scores = new Map(
      spec.layers.map((l) => [
        l.name,
        l1ExpandScores(
          dense.get(`${l.name}/expand/kernel`)?.data ?? [],
          l.inChannels,
          l.expandChannels,
        ),
      ]),
    );
    const plan = planPruning(spec, scores, 0.5, 'l1-expand');
    const compactTensors = pruneTensors(dense, plan);
    // Removed per channel: cin + 1 (expand) + kh*kw + 1 (spatial) + kt + 1 (temporal) + cout (project),
    // summed over the 15 layers' removed halves (computed independently of this code).
    expect(countParams(dense)).toBe(2_724_304);
    expect(countParams(compactTensors)).toBe(2_724_304 - 224_616);
    const masked = new Map(dense);
    for (const l of plan.layers) {
      const t = dense.get(`${l.layer}/project/kernel`);
      if (t === undefined) throw new Error(l.layer);
      const cout = t.shape[4] ?? 0;
      const data = Float32Array.from(t.data);
      for (let c = 0; c < l.denseChannels; c++)
        if (!l.kept.includes(c)) data.fill(0, c * cout, (c + 1) * cout);
      masked.set(`${l.layer}/project/kernel`, { shape: t.shape, data });
    }
    const cfg = pruneConfig(weights.manifest.config, plan);
    const compact = buildMovinetA0(
      parseMovinetConfig(cfg),
      weightsFromTensors('p50', cfg, compactTensors),
    );
    const reference = buildMovinetA0(
      spec,
      weightsFromTensors('masked', weights.manifest.config, masked),
      {
        quantization: 'float',
      },
    );
    // A short clip at 64x64 (the convs take any size): 4 frames through every temporal conv.
    const clip = tf.tidy(() =>
      tf.add(tf.mul(seededClip([1, 4, 64, 64, 3], 5), 0.5), 0.5),
    ) as tf.Tensor5D;
    const a = compact.forward(clip);
    const b = reference.forward(clip);
    // Logits of magnitude ~10 after 15 layers; the sums skip exact zeros, so only float32
    // blocking differs: 1e-4.
    expectTensorsClose(a, b, 1e-4);
    expect(compact.flopsPerStep({ height: 172, width: 172, channels: 3 }).macs).toBeLessThan(
      0.6 * reference.flopsPerStep({ height: 172, width: 172, channels: 3 }).macs,
    );
    tf.dispose([clip, a, b]);
    compact.dispose();
    reference.dispose();
  });
});
