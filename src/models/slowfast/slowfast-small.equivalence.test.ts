/**
 * Whole-model equivalence of the app's CoSlowFast-small (slowfast-config.ts, seeded weights, 400
 * classes, both pathways, four lateral junctions): after its start-up delay each streamed output
 * equals the offline twin over the newest frames (in phase with the Slow pathway).
 *
 * Frame size: 112x112 (the model's input) on wasm; 48x48 on cpu (the pure-JS backend is ~10x
 * slower per FLOP): the fully convolutional pathways see a smaller frame, every module is kept.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { frameAt } from '../../continual/base';
import type { Clip } from '../../continual/module';
import { seededClip } from '../../continual/testing';
import { maxAbsDiffAsync, valuesOf } from '../../continual/testing-async';
import { SLOWFAST_SMALL } from './slowfast-config';
import { createCoSlowFastModel } from './slowfast-model';

// On webgpu this takes 2+ minutes of the software adapter's time (a hundred steps of ~1 s each,
// bound by dispatches, not pixels), so the suite runs it on cpu and wasm; what it caught there
// (addN wider than 8 inputs) is pinned by sum.test.ts and temporal-window.test.ts on webgpu, and
// the tiny CoSlowFast configs stream == clip on webgpu in slowfast*.test.ts.
describe.skipIf(tf.getBackend() === 'webgpu')('CoSlowFast-small, whole model', () => {
  it('streams its offline twin: equal logits at every step after the delay', async () => {
    const size = tf.getBackend() === 'wasm' ? SLOWFAST_SMALL.size : 48;
    const config = { ...SLOWFAST_SMALL, size };
    const labels = Array.from({ length: config.numClasses }, (_, i) => `class ${i}`);
    const before = tf.memory().numTensors;
    const model = createCoSlowFastModel({ config, labels, seed: 5 });
    const delay = model.network.delay;
    const span = model.info.twinLength;
    // Four steps past the first full twin window: every phase of alpha = 4 once.
    const total = span + 4;
    const video = tf.tidy(
      () => tf.div(tf.add(seededClip([1, total, size, size, 3], 21), 1), 2) as Clip,
    );
    const outputs: (tf.Tensor2D | null)[] = [];
    let compared = 0;
    try {
      for (let t = 0; t < total; t++) {
        const frame = frameAt(video, t);
        const online = model.step(frame);
        frame.dispose();
        outputs.push(online);
        if (t < span - 1) continue;
        const window = tf.slice(
          video,
          [0, t + 1 - span, 0, 0, 0],
          [1, span, size, size, 3],
        ) as Clip;
        const twin = model.predictTwin(window);
        const scale = Math.max(...(await valuesOf(twin)).map(Math.abs));
        expect(scale).toBeGreaterThan(0.01);
        // Same arithmetic in another order (per-step vs batched clip convs): float32 rounding.
        expect(await maxAbsDiffAsync(online as tf.Tensor2D, twin)).toBeLessThanOrEqual(
          1e-4 * scale,
        );
        tf.dispose([window, twin]);
        compared++;
      }
      expect(compared).toBe(5);
      expect(outputs.findIndex((o) => o !== null)).toBe(delay);
      expect(outputs.slice(delay).every((o) => o !== null)).toBe(true);
    } finally {
      tf.dispose(outputs.filter((o): o is tf.Tensor2D => o !== null));
      video.dispose();
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 600_000);
});
