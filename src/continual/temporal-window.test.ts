import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { disposeState } from './base';
import { TemporalWindow, type TemporalWindowOptions } from './temporal-window';
import { expectNoLeakedTensors } from './testing';
import { valuesOf } from './testing-async';

const base: TemporalWindowOptions = {
  size: 3,
  stride: 1,
  padding: { start: 0, end: 0 },
  fill: 'zeros',
  reduction: 'mean',
};

/** Pushes scalars-per-batch [1, 1] and returns each step's value (null where none). */
async function pushAll(window: TemporalWindow, values: number[]): Promise<(number | null)[]> {
  const out: (number | null)[] = [];
  for (const v of values) {
    const x = tf.tensor2d([[v]]);
    const y = tf.tidy(() => window.push(x) ?? undefined) ?? null;
    x.dispose();
    out.push(y === null ? null : ((await y.data())[0] ?? Number.NaN));
    y?.dispose();
  }
  return out;
}

async function offlineOf(window: TemporalWindow, values: number[]): Promise<number[]> {
  const seq = tf.tensor3d(values, [1, values.length, 1]);
  const out = window.offline(seq);
  const result = await valuesOf(out);
  tf.dispose([seq, out]);
  return result;
}

describe('TemporalWindow', () => {
  it('slides a mean over the last `size` frames, oldest first', async () => {
    await expectNoLeakedTensors(async () => {
      const w = new TemporalWindow(base);
      expect(w.delay).toBe(2);
      expect(await pushAll(w, [3, 6, 9, 12])).toEqual([null, null, 6, 9]);
      expect(await offlineOf(w, [3, 6, 9, 12])).toEqual([6, 9]);
      w.dispose();
    });
  });

  it('pads with zeros or copies at both ends; end padding exists offline only', async () => {
    const padding = { start: 2, end: 2 };
    const zeros = new TemporalWindow({ ...base, padding, reduction: 'max' });
    const repl = new TemporalWindow({ ...base, padding, reduction: 'max', fill: 'replicate' });
    const values = [-3, -6, -9];
    expect(zeros.delay).toBe(0);
    expect(await offlineOf(zeros, values)).toEqual([0, 0, -3, 0, 0]);
    expect(await offlineOf(repl, values)).toEqual([-3, -3, -3, -6, -9]);
    expect(await pushAll(zeros, values)).toEqual([0, 0, -3]);
    expect(await pushAll(repl, values)).toEqual([-3, -3, -3]);
    expect(zeros.outputLength(3)).toBe(5);
    // Asymmetric: [3, 6, 9, 0, 0] and [3, 6, 9, 9, 9].
    const endOnly = { start: 0, end: 2 };
    const tailZeros = new TemporalWindow({ ...base, padding: endOnly });
    const tailRepl = new TemporalWindow({ ...base, padding: endOnly, fill: 'replicate' });
    expect(await offlineOf(tailZeros, [3, 6, 9])).toEqual([6, 5, 3]);
    expect(await offlineOf(tailRepl, [3, 6, 9])).toEqual([6, 8, 9]);
    tailZeros.dispose();
    tailRepl.dispose();
    zeros.dispose();
    repl.dispose();
  });

  it('strides from the delay on, and counts outputs like a convolution', async () => {
    const w = new TemporalWindow({ ...base, size: 2, stride: 3 });
    expect(await pushAll(w, [1, 3, 5, 7, 9, 11, 13])).toEqual([null, 2, null, null, 8, null, null]);
    expect(await offlineOf(w, [1, 3, 5, 7, 9, 11, 13])).toEqual([2, 8]);
    expect(w.outputLength(7)).toBe(2);
    expect(w.outputLength(1)).toBe(0);
    const empty = tf.zeros([2, 1, 3]);
    const out = w.offline(empty);
    expect(out.shape).toEqual([2, 0, 3]);
    tf.dispose([empty, out]);
    w.dispose();
  });

  // webgpu's AddN binds every input as a storage buffer, and WebGPU guarantees only 8 per shader
  // (one is the output): an 8-frame sum there failed silently and read back stale memory.
  it('averages windows of 7, 8 and 32 frames (wider than one GPU addition)', async () => {
    await expectNoLeakedTensors(async () => {
      for (const size of [7, 8, 32]) {
        const w = new TemporalWindow({ ...base, size });
        const values = Array.from({ length: size + 2 }, (_, i) => 2 * i + 1);
        // Mean of the odd numbers 2k + 1 .. 2(k + size) - 1 is 2k + size (integers: exact).
        const means = [0, 1, 2].map((k) => 2 * k + size);
        const streamed = await pushAll(w, values);
        expect(streamed.slice(0, size - 1).every((v) => v === null)).toBe(true);
        expect(streamed.slice(size - 1)).toEqual(means);
        expect(await offlineOf(w, values)).toEqual(means);
        w.dispose();
      }
    });
  });

  it('size 1 returns each frame itself and keeps no state', async () => {
    const w = new TemporalWindow({ ...base, size: 1 });
    expect(w.delay).toBe(0);
    expect(await pushAll(w, [4, -2])).toEqual([4, -2]);
    expect(w.getState()).toEqual({ step: 2, frames: {} });
    w.dispose();
  });

  it('round-trips its state and resets', async () => {
    const w = new TemporalWindow({ ...base, padding: { start: 1, end: 0 } });
    expect(await pushAll(w, [2, 4])).toEqual([null, 2]);
    const snapshot = w.getState();
    expect(snapshot['step']).toBe(2);
    expect(await pushAll(w, [6, 8])).toEqual([4, 6]);
    w.setState(snapshot);
    disposeState(snapshot);
    expect(await pushAll(w, [6, 8])).toEqual([4, 6]);
    w.reset();
    expect(w.getState()).toEqual({ step: 0, frames: { '0': null, '1': null } });
    expect(await pushAll(w, [3])).toEqual([null]);
    w.dispose();
  });

  it('restores a snapshot taken while it was still filling, and refuses malformed ones', async () => {
    const w = new TemporalWindow(base);
    expect(await pushAll(w, [5])).toEqual([null]);
    const filling = w.getState();
    expect(filling['frames']).toMatchObject({ '0': null });
    expect(await pushAll(w, [7, 9])).toEqual([null, 7]);
    w.setState(filling);
    disposeState(filling);
    // From [5] again: the next two frames complete the window (5 + 7 + 9) / 3.
    expect(await pushAll(w, [7, 9])).toEqual([null, 7]);
    expect(() => w.setState({ step: 1 })).toThrow('State key "frames" must be a nested state.');
    expect(() => w.setState({ step: 1, frames: 3 })).toThrow('must be a nested state');
    expect(() => w.setState({ step: 1, frames: { '0': null } })).toThrow(
      'State holds 1 frames; this window keeps 2.',
    );
    expect(() => w.setState({ step: -1, frames: { '0': null, '1': null } })).toThrow(
      'State key "step" must be a non-negative integer, got -1.',
    );
    w.dispose();
    expect(w.getState()).toEqual({ step: 3, frames: { '0': null, '1': null } });
  });

  it('rejects bad configurations', () => {
    const make = (o: Partial<Record<keyof TemporalWindowOptions, unknown>>) => () =>
      new TemporalWindow({ ...base, ...o } as TemporalWindowOptions);
    expect(make({ size: 0 })).toThrow(/size must be a positive integer, got 0/);
    expect(make({ size: 1.5 })).toThrow(/size must be a positive integer/);
    expect(make({ stride: 0 })).toThrow(/stride must be a positive integer, got 0/);
    expect(make({ padding: { start: 3, end: 0 } })).toThrow(
      /padding start must be an integer in \[0, 2\]/,
    );
    expect(make({ padding: { start: 0, end: 3 } })).toThrow(
      /padding end must be an integer in \[0, 2\]/,
    );
    expect(make({ padding: { start: -1, end: 0 } })).toThrow(/padding start/);
    expect(make({ padding: { start: 0.5, end: 0 } })).toThrow(/padding start/);
    expect(make({ fill: 'edge' })).toThrow(/fill must be 'zeros' or 'replicate'/);
    expect(make({ reduction: 'sum' })).toThrow(/reduction must be 'mean' or 'max'/);
    expect(make({ padding: { start: 2, end: 2 } })).not.toThrow();
  });
});
