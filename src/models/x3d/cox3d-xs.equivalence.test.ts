/**
 * Whole-model equivalence of CoX3D-XS (X3D-XS as published: every stage, width, squeeze-excitation
 * and the 2048-d head, seeded weights): after its start-up delay the stream's logits equal the
 * unpadded clip model over the same window (the offline twin) on every backend.
 *
 * Frame size per backend: 160x160 (the published input) on wasm; 48x48 on cpu (the pure-JS
 * backend needs ~10x longer per FLOP) and 16x16 on webgpu (chromium's software adapter): the
 * network is fully convolutional up to its global pool, so a smaller frame changes no module,
 * only the spatial extent each one sees.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { frameAt } from '../../continual/base';
import type { Clip } from '../../continual/module';
import { seededClip } from '../../continual/testing';
import { maxAbsDiffAsync, valuesOf } from '../../continual/testing-async';
import { createCoX3dModel } from './cox3d-model';
import { X3D_XS, deriveX3dConfig } from './x3d-config';

function frameSize(): number {
  const backend = tf.getBackend();
  if (backend === 'wasm') return 160;
  return backend === 'webgpu' ? 16 : 48;
}

describe('CoX3D-XS, whole model', () => {
  it('streams the offline twin: equal logits after the delay, to float32 rounding', async () => {
    const size = frameSize();
    const config = deriveX3dConfig(X3D_XS, { size });
    const labels = Array.from({ length: config.numClasses }, (_, i) => `class ${i}`);
    const before = tf.memory().numTensors;
    const model = createCoX3dModel({ config, labels, seed: 3 });
    const span = model.info.twinLength;
    expect(model.network.delay).toBe(59);
    expect(span).toBe(105);
    const total = span + 1;
    const video = tf.tidy(
      () => tf.div(tf.add(seededClip([1, total, size, size, 3], 11), 1), 2) as Clip,
    );
    const outputs: (tf.Tensor2D | null)[] = [];
    try {
      for (let t = 0; t < total; t++) {
        const frame = frameAt(video, t);
        outputs.push(model.step(frame));
        frame.dispose();
      }
      // Nulls for exactly the delay, then one output per frame.
      expect(outputs.findIndex((o) => o !== null)).toBe(59);
      expect(outputs.slice(59).every((o) => o !== null)).toBe(true);
      // webgpu: one window (each twin there takes a minute of software-adapter time).
      for (const end of tf.getBackend() === 'webgpu' ? [total] : [span, total]) {
        const window = tf.slice(video, [0, end - span, 0, 0, 0], [1, span, size, size, 3]) as Clip;
        const twin = model.predictTwin(window);
        const online = outputs[end - 1] as tf.Tensor2D;
        const scale = Math.max(...(await valuesOf(twin)).map(Math.abs));
        expect(scale).toBeGreaterThan(0.05);
        // Same arithmetic, summed in another order (per-frame steps vs batched clip convs):
        // float32 rounding through 30 layers stays far below 1e-4 of the logits' scale.
        expect(await maxAbsDiffAsync(online, twin)).toBeLessThanOrEqual(1e-4 * scale);
        tf.dispose([window, twin]);
      }
    } finally {
      tf.dispose(outputs.filter((o): o is tf.Tensor2D => o !== null));
      video.dispose();
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 600_000);
});
