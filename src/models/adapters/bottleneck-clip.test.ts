/**
 * The differentiable bottleneck function equals buildMovinetA0's float bottleneck in clip mode,
 * layer by layer, on the tiny synthetic MoViNet; the causal temporal conv by hand.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { Clip, CoModule } from '../../continual/module';
import type { CoSequential } from '../../continual/sequential';
import { expectTensorsCloseAsync, valuesOf } from '../../continual/testing-async';
import { expectNoLeakedTensors, seededClip } from '../../continual/testing';
import { buildMovinetA0 } from '../movinet/movinet-a0';
import {
  bottleneckClip,
  bottleneckWeights,
  causalTemporalClip,
  disposeBottleneckWeights,
  innerActivations,
} from './bottleneck-clip';
import { weightsFromTensors } from './movinet-tensors';
import { seededMovinetTensors, tinyMovinetConfig, tinyMovinetSpec } from './testing';

const backend = tf.getBackend();
/** Same ops, other kernels (matMul vs conv2d, fused vs separate bias): float32 rounding only; webgpu sums in other orders. */
const TOL = backend === 'webgpu' ? 1e-4 : 1e-5;

describe('bottleneckClip', () => {
  const spec = tinyMovinetSpec();
  const tensors = seededMovinetTensors(spec, 3);

  it('equals each float bottleneck of buildMovinetA0 on a clip', async () => {
    await expectNoLeakedTensors(async () => {
      const network = buildMovinetA0(
        spec,
        weightsFromTensors('tiny', tinyMovinetConfig(), tensors),
        {
          quantization: 'float',
        },
      ) as CoSequential;
      try {
        // children: stem, the three layers, then the head.
        for (const [i, layer] of spec.layers.entries()) {
          const module = network.children[i + 1] as CoModule;
          expect(module.name).toBe(layer.name);
          const size = i === 0 ? 4 : 2;
          const clip = seededClip([1, 5, size, size, layer.inChannels], 40 + i);
          const w = bottleneckWeights(layer, tensors);
          const ours = bottleneckClip(layer, w, clip);
          const built = module.forward(clip);
          await expectTensorsCloseAsync(ours, built, TOL);
          const inner = innerActivations(layer, w, clip);
          expect(inner.shape).toEqual([1, 5, 2, 2, layer.expandChannels]);
          // ReLU6 bounds the project conv's input.
          const values = await valuesOf(inner);
          expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
          expect(Math.max(...values)).toBeLessThanOrEqual(6);
          tf.dispose([ours, built, inner, clip]);
          disposeBottleneckWeights(w);
        }
      } finally {
        network.dispose();
      }
    });
  });

  it('rejects weights that lack a part the layer has', () => {
    const layer = spec.layers[0];
    if (layer === undefined) throw new Error('layer');
    const w = bottleneckWeights(layer, tensors);
    const clip = seededClip([1, 2, 4, 4, 4], 1) as Clip;
    expect(() => bottleneckClip(layer, { ...w, temporalKernel: null }, clip)).toThrow(
      'b0_l0: the layer has a temporal conv but no temporal weights',
    );
    expect(() => bottleneckClip(layer, { ...w, shortcutKernel: null }, clip)).toThrow(
      'b0_l0: the layer has a shortcut but no shortcut weights',
    );
    disposeBottleneckWeights(w);
    clip.dispose();
  });
});

describe('causalTemporalClip', () => {
  it('sums kt taps over the current and past frames, zeros before the clip', async () => {
    // One pixel, two channels, frames x_t = [t + 1, 10 (t + 1)]; taps [oldest, ..., current].
    const x = tf.tensor5d([1, 10, 2, 20, 3, 30, 4, 40], [1, 4, 1, 1, 2]);
    const kernel = tf.tensor2d([0.5, 1, -1, 0, 2, 0.1], [3, 2]);
    const bias = tf.tensor1d([0.25, -1]);
    const y = causalTemporalClip(x, kernel, bias);
    // channel 0: 0.5 x[t-2] - x[t-1] + 2 x[t] + 0.25; channel 1: x[t-2] + 0.1 x[t] - 1.
    const expected = [
      2.25,
      0,
      0.25 + 4 - 1,
      10 + 2 - 1 - 10,
      0.25 + 6 - 2 + 0.5,
      3 + 10 - 1,
      0.25 + 8 - 3 + 1,
      4 + 20 - 1,
    ];
    const values = await valuesOf(y);
    values.forEach((v, i) => expect(v).toBeCloseTo(expected[i] ?? NaN, 5));
    tf.dispose([x, kernel, bias, y]);
  });
});
