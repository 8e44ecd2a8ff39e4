import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { disposeState, frameAt } from './base';
import { CoCumulativeAvgPool, CoGlobalAvgPool } from './global-pool';
import type { Clip, CoModule, Frame } from './module';
import {
  expectNoLeakedTensors,
  expectSteadyTensors,
  seededClip,
  seededRandom,
  seededTensor,
} from './testing';
import {
  expectTensorsCloseAsync,
  maxAbsDiffAsync,
  streamAndCompareAsync,
  valuesOf,
} from './testing-async';

const webgpu = tf.getBackend() === 'webgpu';
// Sliding window: streaming and offline add the same means in the same order (exact on all three
// backends when measured); cumulative: the stream's compensated sum and the offline cumsum round
// differently, a few ulps of sums below 8 here. webgpu may reduce in another order.
const STREAM_TOL = webgpu ? 1e-5 : 1e-6;

/** Every step's output (null where the step returned none). */
function streamAll(module: CoModule, clip: Clip, from = 0, to = clip.shape[1]): (Frame | null)[] {
  const outs: (Frame | null)[] = [];
  for (let t = from; t < to; t++) {
    const frame = frameAt(clip, t);
    // Inside tf.tidy, as callers do: kept state must survive the scope.
    outs.push(tf.tidy(() => module.forwardStep(frame) ?? undefined) ?? null);
    frame.dispose();
  }
  return outs;
}

function release(tensors: (tf.Tensor | null)[]): void {
  for (const t of tensors) t?.dispose();
}

async function expectSameOutputs(a: (Frame | null)[], b: (Frame | null)[]): Promise<void> {
  expect(a.map((x) => x === null)).toEqual(b.map((x) => x === null));
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x && y) expect(await maxAbsDiffAsync(x, y)).toBe(0);
  }
}

async function firsts(outs: (Frame | null)[]): Promise<(number | null)[]> {
  const values: (number | null)[] = [];
  for (const x of outs) values.push(x === null ? null : ((await x.data())[0] ?? Number.NaN));
  return values;
}

/** Four 2x2 one-channel frames whose spatial means are 3, 1, 5, -2. */
function meansClip(): Clip {
  return tf.tensor5d([1, 2, 3, 6, 0, 0, 0, 4, 5, 5, 5, 5, -8, 0, 0, 0], [1, 4, 2, 2, 1]) as Clip;
}

describe('CoGlobalAvgPool', () => {
  for (const [window, mode, shape] of [
    [1, 'valid', [1, 6, 3, 3, 4]],
    [2, 'valid', [1, 8, 3, 3, 4]],
    [4, 'valid', [2, 9, 2, 3, 3]],
    [1, 'causal', [1, 5, 3, 3, 4]],
    [3, 'causal', [1, 8, 3, 2, 4]],
    [5, 'causal', [2, 7, 2, 2, 2]],
  ] as const) {
    it(`streams as its offline twin: window ${window}, ${mode}`, async () => {
      await expectNoLeakedTensors(async () => {
        const module = new CoGlobalAvgPool({ name: 'g', window, temporalPadding: mode });
        const delay = mode === 'valid' ? window - 1 : 0;
        expect(module.delay).toBe(delay);
        const clip = seededClip([...shape], 31);
        const seen = await streamAndCompareAsync(module, clip, STREAM_TOL);
        expect(seen.leadingNulls).toBe(delay);
        expect(seen.compared).toBe(shape[1] - delay);
        const offline = module.forward(clip);
        expect(offline.shape).toEqual([shape[0], shape[1] - delay, 1, 1, shape[4]]);
        release([clip, offline]);
        module.dispose();
      });
    });
  }

  it('averages spatial means over the window (hand-computed)', async () => {
    const clip = meansClip();
    const valid = new CoGlobalAvgPool({ name: 'v', window: 2 });
    const causal = new CoGlobalAvgPool({ name: 'c', window: 2, temporalPadding: 'causal' });
    const v = valid.forward(clip);
    const c = causal.forward(clip);
    expect(await valuesOf(v)).toEqual([2, 3, 1.5]);
    // The causal start divides by the window too: (0 + 3) / 2.
    expect(await valuesOf(c)).toEqual([1.5, 2, 3, 1.5]);
    const vs = streamAll(valid, clip);
    const cs = streamAll(causal, clip);
    expect(await firsts(vs)).toEqual([null, 2, 3, 1.5]);
    expect(await firsts(cs)).toEqual([1.5, 2, 3, 1.5]);
    expect(vs[1]?.shape).toEqual([1, 1, 1, 1]);
    release([clip, v, c, ...vs, ...cs]);
    valid.dispose();
    causal.dispose();
  });

  it('derives receptive field, padding, stride, delay and shapes', () => {
    const valid = new CoGlobalAvgPool({ name: 'v', window: 4 });
    expect(valid.receptiveField).toBe(4);
    expect(valid.padding).toEqual({ start: 0, end: 0 });
    expect(valid.stride).toBe(1);
    expect(valid.delay).toBe(3);
    const causal = new CoGlobalAvgPool({ name: 'c', window: 4, temporalPadding: 'causal' });
    expect(causal.padding).toEqual({ start: 3, end: 0 });
    expect(causal.delay).toBe(0);
    expect(valid.outputShape({ height: 7, width: 5, channels: 6 })).toEqual({
      height: 1,
      width: 1,
      channels: 6,
    });
  });

  it('counts FLOPs and state from shapes (hand-computed)', () => {
    const input = { height: 3, width: 3, channels: 4 };
    const module = new CoGlobalAvgPool({ name: 'g', window: 4 });
    // 36 reads for the spatial mean, 4 * 4 for the window.
    expect(module.flopsPerStep(input)).toEqual({ macs: 0, elementwise: 52 });
    // T = 10, valid: 7 outputs.
    expect(module.flopsPerClip(input, 10)).toEqual({ macs: 0, elementwise: 360 + 7 * 16 });
    expect(module.stateBytes(input)).toBe(3 * 4 * 4);
    const causal = new CoGlobalAvgPool({ name: 'c', window: 4, temporalPadding: 'causal' });
    expect(causal.flopsPerClip(input, 10)).toEqual({ macs: 0, elementwise: 360 + 10 * 16 });
    const single = new CoGlobalAvgPool({ name: 's', window: 1 });
    expect(single.flopsPerStep(input)).toEqual({ macs: 0, elementwise: 36 });
    expect(single.flopsPerClip(input, 10)).toEqual({ macs: 0, elementwise: 360 });
    expect(single.stateBytes(input)).toBe(0);
  });

  it('resets, and resumes exactly from a snapshot taken mid-stream', async () => {
    await expectNoLeakedTensors(async () => {
      const module = new CoGlobalAvgPool({ name: 'g', window: 3 });
      const clip = seededClip([1, 9, 2, 2, 3], 32);
      const first = streamAll(module, clip);
      module.resetState();
      expect(module.getState()).toEqual({ step: 0, frames: { '0': null, '1': null } });
      const again = streamAll(module, clip);
      await expectSameOutputs(first, again);
      module.resetState();
      release(streamAll(module, clip, 0, 4));
      const snapshot = module.getState();
      expect(snapshot['step']).toBe(4);
      const a = streamAll(module, clip, 4, 9);
      module.setState(snapshot);
      const b = streamAll(module, clip, 4, 9);
      const other = new CoGlobalAvgPool({ name: 'g', window: 3 });
      other.setState(snapshot);
      disposeState(snapshot);
      const c = streamAll(other, clip, 4, 9);
      await expectSameOutputs(a, b);
      await expectSameOutputs(a, c);
      await expectSameOutputs(a, first.slice(4));
      release([...first, ...again, ...a, ...b, ...c, clip]);
      module.dispose();
      other.dispose();
    });
  });

  it('leaks no tensors over 1,000 steps', async () => {
    const module = new CoGlobalAvgPool({ name: 'g', window: 4, temporalPadding: 'causal' });
    const frame = seededTensor([1, 3, 3, 2], 33) as Frame;
    await expectNoLeakedTensors(() => {
      expectSteadyTensors(() => {
        tf.tidy(() => {
          module.forwardStep(frame)?.dispose();
        });
      });
      module.resetState();
    });
    frame.dispose();
    module.dispose();
  });

  it('rejects bad options', () => {
    expect(() => new CoGlobalAvgPool({ name: '', window: 2 })).toThrow(/non-empty name/);
    expect(() => new CoGlobalAvgPool({ name: 'g', window: 0 })).toThrow(
      /window must be a positive integer, got 0/,
    );
    expect(() => new CoGlobalAvgPool({ name: 'g', window: 2.5 })).toThrow(/positive integer/);
    expect(
      () => new CoGlobalAvgPool({ name: 'g', window: 2, temporalPadding: 'same' as 'valid' }),
    ).toThrow(/temporalPadding must be 'valid' or 'causal'/);
  });
});

describe('CoCumulativeAvgPool', () => {
  for (const shape of [
    [1, 8, 3, 3, 4],
    [2, 6, 2, 3, 3],
  ] as const) {
    it(`streams as its offline twin (cumulative mean from the first frame) ${shape.join('x')}`, async () => {
      await expectNoLeakedTensors(async () => {
        const module = new CoCumulativeAvgPool({ name: 'c' });
        const clip = seededClip([...shape], 41);
        const seen = await streamAndCompareAsync(module, clip, STREAM_TOL);
        expect(seen.leadingNulls).toBe(0);
        expect(seen.compared).toBe(shape[1]);
        release([clip]);
        module.dispose();
      });
    });
  }

  it('is the running mean since reset (hand-computed)', async () => {
    const clip = meansClip();
    const module = new CoCumulativeAvgPool({ name: 'c' });
    const offline = module.forward(clip);
    expect(await valuesOf(offline)).toEqual([3, 2, 3, 1.75]);
    const outs = streamAll(module, clip);
    expect(await firsts(outs)).toEqual([3, 2, 3, 1.75]);
    // Two more frames (means 3, 1): (7 + 3) / 5, then 11 / 6; the stream does not forget.
    const more = streamAll(module, clip, 0, 2);
    expect(await firsts(more)).toEqual([2, Math.fround(11 / 6)]);
    module.resetState();
    const fresh = streamAll(module, clip, 0, 1);
    expect(await firsts(fresh)).toEqual([3]);
    release([clip, offline, ...outs, ...more, ...fresh]);
    module.dispose();
  });

  it('declares receptive field 1, delay 0, and counts FLOPs and state', () => {
    const module = new CoCumulativeAvgPool({ name: 'c' });
    expect(module.receptiveField).toBe(1);
    expect(module.padding).toEqual({ start: 0, end: 0 });
    expect(module.stride).toBe(1);
    expect(module.delay).toBe(0);
    const input = { height: 3, width: 3, channels: 4 };
    expect(module.outputShape(input)).toEqual({ height: 1, width: 1, channels: 4 });
    expect(module.flopsPerStep(input)).toEqual({ macs: 0, elementwise: 36 + 4 });
    expect(module.flopsPerClip(input, 10)).toEqual({ macs: 0, elementwise: 400 });
    expect(module.stateBytes(input)).toBe(2 * 4 * 4);
    expect(() => new CoCumulativeAvgPool({ name: '' })).toThrow(/non-empty name/);
  });

  it('resumes exactly from a snapshot, here and in a new module', async () => {
    await expectNoLeakedTensors(async () => {
      const module = new CoCumulativeAvgPool({ name: 'c' });
      const clip = seededClip([1, 8, 2, 2, 3], 42);
      expect(module.getState()).toEqual({ sum: null, compensation: null, count: 0 });
      release(streamAll(module, clip, 0, 3));
      const snapshot = module.getState();
      expect(snapshot['count']).toBe(3);
      expect((snapshot['sum'] as tf.Tensor).shape).toEqual([1, 1, 1, 3]);
      expect((snapshot['compensation'] as tf.Tensor).shape).toEqual([1, 1, 1, 3]);
      const a = streamAll(module, clip, 3, 8);
      module.setState(snapshot);
      const b = streamAll(module, clip, 3, 8);
      const other = new CoCumulativeAvgPool({ name: 'c' });
      other.setState(snapshot);
      disposeState(snapshot);
      const c = streamAll(other, clip, 3, 8);
      await expectSameOutputs(a, b);
      await expectSameOutputs(a, c);
      module.setState({ sum: null, compensation: null, count: 0 });
      const restarted = streamAll(module, clip, 0, 1);
      const first = frameAt(clip, 0);
      const firstFrameMean = tf.mean(first, [1, 2], true);
      await expectTensorsCloseAsync(restarted[0] as Frame, firstFrameMean, 0);
      release([...a, ...b, ...c, ...restarted, first, firstFrameMean, clip]);
      module.dispose();
      other.dispose();
    });
  });

  it('rejects inconsistent states', () => {
    const module = new CoCumulativeAvgPool({ name: 'c' });
    const sum = tf.zeros([1, 1, 1, 2]);
    expect(() => module.setState({ sum: null, compensation: null, count: 2 })).toThrow(
      /exactly when count > 0/,
    );
    expect(() => module.setState({ sum, compensation: sum, count: 0 })).toThrow(
      /exactly when count > 0/,
    );
    expect(() => module.setState({ sum, compensation: null, count: 1 })).toThrow(
      /exactly when count > 0/,
    );
    expect(() => module.setState({ sum, compensation: sum, count: -1 })).toThrow(
      /non-negative integer/,
    );
    expect(() => module.setState({ sum, compensation: sum, count: 0.5 })).toThrow(
      /non-negative integer/,
    );
    expect(() => module.setState({ sum, compensation: sum })).toThrow(/"count" must be a number/);
    sum.dispose();
    module.dispose();
  });

  it('leaks no tensors over 1,000 steps', async () => {
    const module = new CoCumulativeAvgPool({ name: 'c' });
    const frame = seededTensor([1, 3, 3, 2], 43) as Frame;
    await expectNoLeakedTensors(() => {
      expectSteadyTensors(() => {
        tf.tidy(() => {
          module.forwardStep(frame).dispose();
        });
      });
      module.resetState();
    });
    frame.dispose();
    module.dispose();
  });
});

// 10,000 steps take minutes on the software webgpu adapter; the arithmetic checked here (float32
// accumulation) is the same IEEE float32 on every backend, so cpu and wasm carry the test.
describe.skipIf(webgpu)('drift over 10,000 steps', () => {
  const steps = 10_000;
  const channels = 8;
  const shape: [number, number, number, number] = [1, 2, 2, channels];
  const frameSize = 4 * channels;

  /** Frames with values in [0, 2): non-negative like post-ReLU features, the worst case for a sum. */
  function frameValues(rand: () => number): Float32Array {
    const v = new Float32Array(frameSize);
    for (let i = 0; i < frameSize; i++) v[i] = 2 * rand();
    return v;
  }

  /** Float64 spatial means of one frame's float32 values, per channel. */
  function channelMeans(v: Float32Array): number[] {
    const means = new Array<number>(channels).fill(0);
    for (let i = 0; i < v.length; i++) means[i % channels]! += (v[i] as number) / 4;
    return means;
  }

  it('CoGlobalAvgPool equals forward over the last window, and the exact mean', async () => {
    const window = 4;
    const module = new CoGlobalAvgPool({ name: 'g', window });
    const rand = seededRandom(51);
    const recent: Float32Array[] = [];
    let out: tf.Tensor | null = null;
    for (let i = 0; i < steps; i++) {
      const values = frameValues(rand);
      recent.push(values);
      if (recent.length > window) recent.shift();
      const frame = tf.tensor4d(values, shape);
      out?.dispose();
      out = module.forwardStep(frame);
      frame.dispose();
    }
    const clip = tf.tensor5d(Float32Array.from(recent.flatMap((v) => Array.from(v))), [
      1,
      window,
      2,
      2,
      channels,
    ]) as Clip;
    const offlineClip = module.forward(clip);
    expect(offlineClip.shape).toEqual([1, 1, 1, 1, channels]);
    const offline = frameAt(offlineClip, 0);
    // Recomputed from the buffered means every step: nothing accumulates, so the 10,000th output
    // is the offline window's to the bit.
    await expectTensorsCloseAsync(out as tf.Tensor, offline, 0);
    const exact = recent
      .map(channelMeans)
      .reduce(
        (acc, m) => acc.map((a, c) => a + (m[c] as number) / window),
        new Array<number>(channels).fill(0),
      );
    const got = await valuesOf(out as tf.Tensor);
    // Float32 rounding of the 4-pixel sums (below 8: half an ulp is 4.8e-7, 1.2e-7 after / 4) and
    // of the 4-frame mean of values below 2 (a few 1.2e-7 ulps): 5e-7 in all.
    got.forEach((g, c) => expect(Math.abs(g - (exact[c] as number))).toBeLessThan(5e-7));
    release([out, clip, offlineClip, offline]);
    module.dispose();
  });

  it('CoCumulativeAvgPool stays within float32 ulps of the exact running mean', async () => {
    const module = new CoCumulativeAvgPool({ name: 'c' });
    const rand = seededRandom(52);
    const sums = new Array<number>(channels).fill(0);
    const errors: number[] = [];
    for (let i = 1; i <= steps; i++) {
      const values = frameValues(rand);
      channelMeans(values).forEach((m, c) => (sums[c]! += m));
      const frame = tf.tensor4d(values, shape);
      const out = module.forwardStep(frame);
      frame.dispose();
      if (i === 100 || i === 1000 || i === steps) {
        const got = await valuesOf(out);
        errors.push(Math.max(...got.map((g, c) => Math.abs(g - (sums[c] as number) / i))));
      }
      out.dispose();
    }
    // Bound: Kahan summation keeps the sum within 2 eps * sum|x| of exact (eps = 1.19e-7), i.e.
    // 2.4e-7 on a mean near 1, plus half an ulp (6e-8) for the division: 3e-7. Measured 6.8e-8 at
    // step 10,000 on cpu and wasm; a plain float32 running sum measured 4.0e-6 and fails.
    for (const e of errors) expect(e).toBeLessThan(3e-7);
    const state = module.getState();
    expect(state['count']).toBe(steps);
    disposeState(state);
    module.dispose();
  });
});
