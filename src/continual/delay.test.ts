import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { disposeState, frameAt } from './base';
import { CoDelay, CoIdentity } from './delay';
import type { Frame } from './module';
import { expectNoLeakedTensors, seededClip } from './testing';
import { expectTensorsCloseAsync, streamAndCompareAsync, valuesOf } from './testing-async';

const shape = { height: 2, width: 3, channels: 4 };

/** A frame whose every element is `value`, to recognise it after a delay. */
function constantFrame(value: number): Frame {
  return tf.fill([1, shape.height, shape.width, shape.channels], value) as Frame;
}

/** The single value of a constant frame (checks that it is constant). */
async function valueOf(frame: Frame): Promise<number> {
  const data = await valuesOf(frame);
  const first = data[0] ?? Number.NaN;
  expect(data.every((v) => v === first)).toBe(true);
  return first;
}

/** Steps the values through the module; returns each output's value, or null. */
async function stepValues(module: CoDelay, values: readonly number[]): Promise<(number | null)[]> {
  const outputs: (number | null)[] = [];
  for (const v of values) {
    const frame = constantFrame(v);
    const out = module.forwardStep(frame);
    frame.dispose();
    if (out === null) {
      outputs.push(null);
    } else {
      outputs.push(await valueOf(out));
      out.dispose();
    }
  }
  return outputs;
}

describe('CoDelay', () => {
  it('derives receptive field delay + 1, no padding, stride 1 and delay', async () => {
    const d = new CoDelay({ name: 'd', delay: 3 });
    expect(d.receptiveField).toBe(4);
    expect(d.delay).toBe(3);
    expect(d.padding).toEqual({ start: 0, end: 0 });
    expect(d.stride).toBe(1);
    expect(d.name).toBe('d');
    expect(d.outputShape(shape)).toEqual(shape);
    d.dispose();
  });

  it('returns the frame from `delay` steps ago, null for the first `delay` steps', async () => {
    const d = new CoDelay({ name: 'd', delay: 3 });
    expect(await stepValues(d, [10, 11, 12, 13, 14, 15, 16])).toEqual([
      null,
      null,
      null,
      10,
      11,
      12,
      13,
    ]);
    d.dispose();
  });

  it('streams like its clip twin: clip output j is input j, emitted at step j + delay', async () => {
    const d = new CoDelay({ name: 'd', delay: 3 });
    const clip = seededClip([1, 8, 2, 3, 4], 1);
    // Exact: a delay copies values, no arithmetic.
    const seen = await streamAndCompareAsync(d, clip, 0);
    expect(seen.leadingNulls).toBe(3);
    expect(seen.nullSteps).toBe(3);
    expect(seen.compared).toBe(5);
    const offline = d.forward(clip);
    expect(offline.shape).toEqual([1, 5, 2, 3, 4]);
    for (const j of [0, 4]) {
      const a = frameAt(offline, j);
      const b = frameAt(clip, j);
      await expectTensorsCloseAsync(a, b, 0);
      tf.dispose([a, b]);
    }
    tf.dispose([clip, offline]);
    d.dispose();
  });

  it('forward gives no output for a clip no longer than the delay', async () => {
    const d = new CoDelay({ name: 'd', delay: 3 });
    const short = seededClip([2, 3, 2, 2, 1], 2);
    const out = d.forward(short);
    expect(out.shape).toEqual([2, 0, 2, 2, 1]);
    const four = seededClip([2, 4, 2, 2, 1], 3);
    const one = d.forward(four);
    expect(one.shape).toEqual([2, 1, 2, 2, 1]);
    tf.dispose([short, out, four, one]);
    d.dispose();
  });

  it('delay 0 is the identity and returns a tensor the caller owns', async () => {
    const id = new CoIdentity({ name: 'id' });
    expect(id.receptiveField).toBe(1);
    expect(id.delay).toBe(0);
    expect(id.name).toBe('id');
    const frame = constantFrame(7);
    const out = id.forwardStep(frame) as Frame;
    expect(out).not.toBe(frame);
    frame.dispose();
    expect(await valueOf(out)).toBe(7);
    out.dispose();
    const clip = seededClip([1, 4, 2, 3, 4], 4);
    const offline = id.forward(clip);
    await expectTensorsCloseAsync(offline, clip, 0);
    tf.dispose([clip, offline]);
    expect(id.getState()).toEqual({ buffer: {}, next: 0 });
    expect(id.stateBytes(shape)).toBe(0);
    id.dispose();
  });

  it('keeps its own copy of a frame the caller disposes', async () => {
    const d = new CoDelay({ name: 'd', delay: 1 });
    const frame = constantFrame(5);
    expect(d.forwardStep(frame)).toBeNull();
    frame.dispose();
    const next = constantFrame(6);
    const out = d.forwardStep(next) as Frame;
    expect(await valueOf(out)).toBe(5);
    tf.dispose([next, out]);
    d.dispose();
  });

  it('survives a tf.tidy around its steps, whose outputs the tidy frees', async () => {
    const d = new CoDelay({ name: 'd', delay: 2 });
    for (const v of [1, 2]) tf.tidy(() => void d.forwardStep(constantFrame(v)));
    expect(await stepValues(d, [3, 4])).toEqual([1, 2]);
    await expectNoLeakedTensors(() => {
      for (const v of [5, 6, 7]) tf.tidy(() => void d.forwardStep(constantFrame(v)));
    });
    expect(await stepValues(d, [8])).toEqual([6]);
    d.dispose();
  });

  it('rejects a negative or fractional delay', async () => {
    expect(() => new CoDelay({ name: 'd', delay: -1 })).toThrow(/non-negative integer/);
    expect(() => new CoDelay({ name: 'd', delay: 1.5 })).toThrow(/non-negative integer/);
    expect(() => new CoDelay({ name: 'd', delay: Number.NaN })).toThrow(/"d"/);
  });

  it('stores the temporal fill, default zeros', async () => {
    expect(new CoDelay({ name: 'd', delay: 1 }).temporalFill).toBe('zeros');
    const r = new CoDelay({ name: 'r', delay: 1, temporalFill: 'replicate' });
    expect(r.temporalFill).toBe('replicate');
  });

  it('resets to an empty buffer', async () => {
    const d = new CoDelay({ name: 'd', delay: 2 });
    await stepValues(d, [1, 2, 3]);
    d.resetState();
    expect(await stepValues(d, [4, 5, 6, 7])).toEqual([null, null, 4, 5]);
    d.dispose();
  });

  it('round-trips its state: a restored module continues the same stream', async () => {
    const d = new CoDelay({ name: 'd', delay: 3 });
    await stepValues(d, [1, 2, 3, 4]);
    const snapshot = d.getState();
    expect(snapshot['next']).toBe(1);
    expect(await stepValues(d, [5, 6, 7])).toEqual([2, 3, 4]);
    d.setState(snapshot);
    expect(await stepValues(d, [8, 9, 10])).toEqual([2, 3, 4]);
    // setState cloned the snapshot: disposing it leaves the module intact.
    const other = new CoDelay({ name: 'd', delay: 3 });
    other.setState(snapshot);
    const { buffer } = snapshot as { buffer: Record<string, tf.Tensor> };
    tf.dispose(Object.values(buffer));
    expect(await stepValues(other, [0, 0, 0])).toEqual([2, 3, 4]);
    // A half-filled snapshot keeps its empty slots.
    const fresh = new CoDelay({ name: 'd', delay: 3 });
    await stepValues(fresh, [1]);
    const half = fresh.getState();
    expect((half['buffer'] as Record<string, unknown>)['1']).toBeNull();
    other.setState(half);
    expect(await stepValues(other, [2, 3, 4])).toEqual([null, null, 1]);
    for (const m of [d, other, fresh]) m.dispose();
    const { buffer: halfBuffer } = half as { buffer: Record<string, tf.Tensor | null> };
    tf.dispose(Object.values(halfBuffer).filter((t): t is tf.Tensor => t !== null));
  });

  it('frees the frames it replaces on setState', async () => {
    const d = new CoDelay({ name: 'd', delay: 2 });
    await stepValues(d, [1, 2]);
    const snapshot = d.getState();
    await expectNoLeakedTensors(() => {
      d.setState(snapshot);
      d.setState(snapshot);
    });
    // Restored inside a tidy, the buffer must outlive it.
    tf.tidy(() => d.setState(snapshot));
    disposeState(snapshot);
    expect(await stepValues(d, [3, 4])).toEqual([1, 2]);
    d.dispose();
  });

  it('rejects a state of another size or position', async () => {
    const d = new CoDelay({ name: 'd', delay: 2 });
    expect(() => d.setState({ buffer: { 0: null }, next: 0 })).toThrow(/another size than 2/);
    expect(() => d.setState({ buffer: { 0: null, 1: null }, next: 2 })).toThrow(/outside/);
    expect(() => d.setState({ buffer: { 0: null, 1: null }, next: -1 })).toThrow(/outside/);
    expect(() => d.setState({ buffer: { 0: null, 1: null }, next: 0.5 })).toThrow(/outside/);
    expect(() => d.setState({ buffer: { a: null, b: null }, next: 0 })).toThrow(/"0"/);
    expect(() => d.setState({ next: 0 })).toThrow(/"buffer"/);
    const id = new CoIdentity({ name: 'id' });
    expect(() => id.setState({ buffer: {}, next: 1 })).toThrow(/outside/);
    id.setState({ buffer: {}, next: 0 });
  });

  it('costs nothing and holds delay frames of state', async () => {
    const d = new CoDelay({ name: 'd', delay: 3 });
    expect(d.flopsPerStep()).toEqual({ macs: 0, elementwise: 0 });
    expect(d.flopsPerClip()).toEqual({ macs: 0, elementwise: 0 });
    // 3 frames * 2 * 3 * 4 floats * 4 bytes.
    expect(d.stateBytes(shape)).toBe(288);
  });

  it('leaks no tensors over 1,000 steps, reset and dispose', async () => {
    await expectNoLeakedTensors(() => {
      const d = new CoDelay({ name: 'd', delay: 4 });
      const frame = constantFrame(1);
      const base = tf.memory().numTensors;
      for (let t = 0; t < 1000; t++) d.forwardStep(frame)?.dispose();
      // Steady state: exactly the four buffered frames.
      expect(tf.memory().numTensors).toBe(base + 4);
      d.resetState();
      expect(tf.memory().numTensors).toBe(base);
      d.forwardStep(frame);
      d.dispose();
      frame.dispose();
    });
  });
});
