import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { CoState } from '../../continual/module';
import { valuesOf } from '../../continual/testing-async';
import { expectNoLeakedTensors, seededTensor } from '../../continual/testing';
import type { MovinetHeadPoolQuantization } from './movinet-config';
import { CoQuantizedCumulativeAvgPool } from './quantized-cumulative-pool';

const q = (scale: number) => ({ scale, zeroPoint: -128 });

/** Grids with easy steps; all start at 0 (zero point -128) like the model's. */
const GRIDS: MovinetHeadPoolQuantization = {
  spatialSum: q(1),
  spatialMean: q(0.25),
  sumState: q(1),
  sum: q(2),
  mean: q(0.5),
};

function pool(grids: Partial<MovinetHeadPoolQuantization> = {}) {
  return new CoQuantizedCumulativeAvgPool({ name: 'pool', quantization: { ...GRIDS, ...grids } });
}

/** A 2x2 frame with one channel. */
function frame(values: [number, number, number, number]): tf.Tensor4D {
  return tf.tensor4d(values, [1, 2, 2, 1]);
}

async function stream(
  p: CoQuantizedCumulativeAvgPool,
  frames: [number, number, number, number][],
): Promise<number[]> {
  const out: number[] = [];
  for (const values of frames) {
    const f = frame(values);
    const y = p.forwardStep(f);
    expect(y.shape).toEqual([1, 1, 1, 1]);
    out.push(...(await valuesOf(y)));
    tf.dispose([f, y]);
  }
  return out;
}

describe('CoQuantizedCumulativeAvgPool', () => {
  it('computes the int8 running mean step by step (hand-computed)', async () => {
    const p = pool();
    // 1: sum 5, mean 1.25, new sum 1.25 -> 2 (steps of 2), mean 2 / 1 = 2.
    // 2: sum 1, mean 0.25, 2 + 0.25 = 2.25 -> 2: the frame is lost, mean 2 / 2 = 1
    //    (the float running mean would be 0.75).
    // 3: sum 13, mean 3.25, 2 + 3.25 = 5.25 -> 6, mean 6 / 3 = 2.
    expect(
      await stream(p, [
        [1, 1, 1, 2],
        [0, 0, 0, 1],
        [3, 3, 3, 4],
      ]),
    ).toEqual([2, 1, 2]);
    const state = p.getState();
    expect(state.count).toBe(3);
    expect(await valuesOf(state.sum as tf.Tensor)).toEqual([6]);
    tf.dispose(state.sum as tf.Tensor);
    p.dispose();
  });

  it('requantizes the state on entry to its own grid', async () => {
    // With state steps of 4 the sum 2 enters as 0 (2 / 4 = 0.5 rounds to even): mean 0.25 / 2.
    const p = pool({ sumState: q(4) });
    expect(
      await stream(p, [
        [1, 1, 1, 2],
        [0, 0, 0, 1],
      ]),
    ).toEqual([2, 0]);
    p.dispose();
  });

  it('saturates the running sum at the top of its grid', async () => {
    // Sum steps of 0.1 hold at most 25.5: frames of mean 10 give 10, 20, 25.5, 25.5, so the
    // mean falls as 25.5 / n: 8.5, then 6.375 -> 6.5 on the mean grid. The state enters as 26
    // (25.5 on steps of 1, half to even), and 26 + 10 clamps to 25.5 again.
    const p = pool({ sum: q(0.1) });
    const ten: [number, number, number, number] = [10, 10, 10, 10];
    expect(await stream(p, [ten, ten, ten, ten])).toEqual([10, 10, 8.5, 6.5]);
    p.dispose();
  });

  it('rounds halves of the spatial sum away from zero, as TFLite sums', async () => {
    // Sum 5 on steps of 2 is 2.5 steps -> 3 steps = 6 (half to even would give 4): mean 1.5.
    const p = pool({ spatialSum: q(2), sum: q(0.5) });
    expect(await stream(p, [[1, 1, 1, 2]])).toEqual([1.5]);
    p.dispose();
  });

  it('computes the same recursion over a clip as over the stream, per batch item', async () => {
    const p = pool({ sum: q(0.5), spatialSum: q(0.5) });
    const clip = seededTensor([2, 5, 3, 2, 4], 3, 0, 6) as tf.Tensor5D;
    const offline = p.forward(clip);
    expect(offline.shape).toEqual([2, 5, 1, 1, 4]);
    p.resetState();
    const streamed = p.forwardSteps(clip);
    expect(await valuesOf(streamed ?? clip)).toEqual(await valuesOf(offline));
    // Batch items do not mix: item 1 alone gives item 1's outputs.
    p.resetState();
    const one = tf.slice(clip, [1, 0, 0, 0, 0], [1, 5, 3, 2, 4]) as tf.Tensor5D;
    const alone = p.forward(one);
    const second = tf.slice(offline, [1, 0, 0, 0, 0], [1, 5, 1, 1, 4]);
    expect(await valuesOf(alone)).toEqual(await valuesOf(second));
    tf.dispose([clip, offline, streamed ?? [], one, alone, second]);
    p.dispose();
  });

  it('restores a snapshot, resets to a fresh state and keeps its state inside tf.tidy', async () => {
    const p = pool();
    const frames: [number, number, number, number][] = [
      [1, 1, 1, 2],
      [3, 3, 3, 4],
      [5, 6, 7, 8],
    ];
    const fresh = await stream(p, frames);
    p.resetState();
    await stream(p, frames.slice(0, 2));
    const snapshot: CoState = p.getState();
    await stream(p, [[9, 9, 9, 9]]);
    p.setState(snapshot);
    expect(await stream(p, frames.slice(2))).toEqual(fresh.slice(2));
    tf.dispose(snapshot.sum as tf.Tensor);
    p.resetState();
    expect(p.getState()).toEqual({ sum: null, count: 0 });
    // Stepped inside a tidy, as callers may do: the running sum must outlive the scope.
    for (const values of frames.slice(0, 2)) {
      tf.tidy(() => {
        p.forwardStep(frame(values));
      });
    }
    expect(await stream(p, frames.slice(2))).toEqual(fresh.slice(2));
    p.dispose();
  });

  it('rejects inconsistent states', () => {
    const p = pool();
    const sum = tf.zeros([1, 1, 1, 1]);
    expect(() => p.setState({ sum, count: -1 })).toThrow(
      'State key "count" must be a non-negative integer, got -1.',
    );
    expect(() => p.setState({ sum, count: 1.5 })).toThrow('got 1.5');
    expect(() => p.setState({ sum: null, count: 2 })).toThrow(
      'State must hold a sum exactly when count > 0.',
    );
    expect(() => p.setState({ sum, count: 0 })).toThrow('exactly when count > 0');
    expect(() => p.setState({ sum })).toThrow('State key "count" must be a number.');
    sum.dispose();
    p.dispose();
  });

  it('declares its shape, costs and state size', () => {
    const p = pool();
    const input = { height: 2, width: 3, channels: 4 };
    expect([p.receptiveField, p.delay, p.stride]).toEqual([1, 0, 1]);
    expect(p.padding).toEqual({ start: 0, end: 0 });
    expect(p.outputShape(input)).toEqual({ height: 1, width: 1, channels: 4 });
    // 24 reads for the spatial sum; per channel 3 ops and five fake quantizations: 8 ops for
    // the spatial sum's (halves away from zero), 4 for each of the others.
    expect(p.flopsPerStep(input)).toEqual({ macs: 0, elementwise: 24 + 27 * 4 });
    expect(p.flopsPerClip(input, 5)).toEqual({ macs: 0, elementwise: 5 * 132 });
    expect(p.stateBytes(input)).toBe(16);
    expect(p.quantization).toEqual(GRIDS);
  });

  it('rejects a missing name or a bad grid', () => {
    expect(() => new CoQuantizedCumulativeAvgPool({ name: '', quantization: GRIDS })).toThrow(
      'A pooling module needs a non-empty name.',
    );
    expect(() => pool({ mean: { scale: 0.5, zeroPoint: 200 } })).toThrow(
      'CoQuantizedCumulativeAvgPool "pool": mean: zeroPoint must be an integer in [-128, 127], got 200.',
    );
    expect(() => pool({ spatialSum: { scale: -1, zeroPoint: 0 } })).toThrow('spatialSum: scale');
  });

  it('leaves no tensors behind', async () => {
    const clip = seededTensor([1, 4, 2, 2, 3], 5, 0, 6) as tf.Tensor5D;
    await expectNoLeakedTensors(() => {
      const p = pool();
      p.forward(clip).dispose();
      p.forwardSteps(clip)?.dispose();
      tf.dispose(p.getState().sum as tf.Tensor);
      p.dispose();
    });
    clip.dispose();
  });
});
