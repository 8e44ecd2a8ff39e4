/** The differentiable head equals buildMovinetA0's float head on a clip (tiny MoViNet). */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { CoModule } from '../../continual/module';
import type { CoSequential } from '../../continual/sequential';
import { expectTensorsCloseAsync } from '../../continual/testing-async';
import { expectNoLeakedTensors, seededClip } from '../../continual/testing';
import { buildMovinetA0 } from '../movinet/movinet-a0';
import { disposeHeadWeights, headClip, headWeights } from './head-clip';
import { weightsFromTensors } from './movinet-tensors';
import { seededMovinetTensors, tinyMovinetConfig, tinyMovinetSpec } from './testing';

/** Same ops, other kernels; webgpu reorders float32 sums. */
const TOL = tf.getBackend() === 'webgpu' ? 1e-4 : 1e-5;

describe('headClip', () => {
  it('equals the float head of buildMovinetA0, frame by frame', async () => {
    const spec = tinyMovinetSpec();
    const tensors = seededMovinetTensors(spec, 8);
    await expectNoLeakedTensors(async () => {
      const network = buildMovinetA0(
        spec,
        weightsFromTensors('tiny', tinyMovinetConfig(), tensors),
        {
          quantization: 'float',
        },
      ) as CoSequential;
      const head = network.children.slice(1 + spec.layers.length) as CoModule[];
      expect(head.map((m) => m.name)).toEqual([
        'head_conv',
        'head_pool',
        'head_hidden',
        'head_logits',
      ]);
      // Non-negative features, as a residual output of ReLU6 blocks mostly is; 2 clips.
      const features = tf.tidy(() => tf.abs(seededClip([2, 5, 2, 2, 6], 3)));
      let x = features as tf.Tensor5D;
      for (const m of head) {
        const y = m.forward(x);
        if (x !== features) x.dispose();
        x = y;
      }
      const w = headWeights(spec, tensors);
      const ours = headClip(w, features);
      expect(ours.shape).toEqual([2, 5, 5]);
      const built = tf.reshape(x, [2, 5, 5]);
      await expectTensorsCloseAsync(ours, built, TOL);
      tf.dispose([features, x, ours, built]);
      disposeHeadWeights(w);
      network.dispose();
    });
  });
});
