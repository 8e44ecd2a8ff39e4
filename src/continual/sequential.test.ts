import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { frameAt } from './base';
import { CoConv3d } from './conv3d';
import { CoDelay } from './delay';
import type { Clip, CoModule, Frame } from './module';
import { CoActivation, CoLambda, CoPointwiseConv } from './pointwise';
import { CoSequential } from './sequential';
import { expectNoLeakedTensors, seededClip, seededTensor } from './testing';
import { expectTensorsCloseAsync, streamAndCompareAsync } from './testing-async';
import { testWindow } from './testing-window';

// Sums of a few float32 products: cpu and wasm reproduce the clip to 1e-5; webgpu's software
// adapter fuses and orders the arithmetic differently, so it gets 1e-4.
const tol = (): number => (tf.getBackend() === 'webgpu' ? 1e-4 : 1e-5);

const shape = { height: 2, width: 3, channels: 2 };

/** A window of `rf` distinct taps (so a misaligned frame changes the result). */
const win = testWindow;

/** Streams every frame of a clip; returns the non-null outputs (owned by the caller). */
function stream(module: CoModule, clip: Clip): Frame[] {
  const outs: Frame[] = [];
  for (let t = 0; t < clip.shape[1]; t++) {
    const f = frameAt(clip, t);
    const out = module.forwardStep(f);
    f.dispose();
    if (out !== null) outs.push(out);
  }
  return outs;
}

describe('CoSequential', () => {
  it('derives receptive field, padding, stride and delay from its children', async () => {
    // S = 1, 1, 2: rf = 1 + 2 + 2 + 2 * 1 = 7; start = 1 + 0 + 2 * 1 = 3; end = 1; stride 2.
    const seq = new CoSequential('seq', [
      win('a', 3, { start: 1, end: 1 }),
      win('b', 3, { stride: 2 }),
      win('c', 2, { start: 1 }),
    ]);
    expect(seq.receptiveField).toBe(7);
    expect(seq.padding).toEqual({ start: 3, end: 1 });
    expect(seq.stride).toBe(2);
    // Child delays 1, 2, 0 weighted by S: 1 + 2 + 2 * 0.
    expect(seq.delay).toBe(3);
    expect(seq.name).toBe('seq');
    expect(seq.children.map((m) => m.name)).toEqual(['a', 'b', 'c']);
  });

  it('streams like its clip twin through a strided child, padding at both ends', async () => {
    const seq = new CoSequential('seq', [
      win('a', 3, { start: 1, end: 1 }),
      win('b', 3, { stride: 2 }),
      win('c', 2, { start: 1 }),
    ]);
    const clip = seededClip([1, 11, 2, 2, 2], 1);
    const seen = await streamAndCompareAsync(seq, clip, tol());
    expect(seen.leadingNulls).toBe(seq.delay);
    // Outputs at steps 3, 5, 7, 9; the fifth clip output needs the end padding.
    expect(seen.compared).toBe(4);
    expect(seen.nullSteps).toBe(7);
    const offline = seq.forward(clip);
    expect(offline.shape[1]).toBe(5);
    tf.dispose([clip, offline]);
    seq.dispose();
  });

  it('derives the properties of nested sequences', async () => {
    // inner: rf 2 + 2 * (3 - 1) = 6, stride 2, start 0 + 2 * 2 = 4 -> delay 1.
    const inner = new CoSequential('inner', [
      win('a', 2, { stride: 2 }),
      win('b', 3, { start: 2 }),
    ]);
    expect(inner.receptiveField).toBe(6);
    expect(inner.padding).toEqual({ start: 4, end: 0 });
    expect(inner.delay).toBe(1);
    // outer: rf 6 + 2 * (3 - 1) + 2 * 3 * (2 - 1) = 16; stride 2 * 3 * 1 = 6;
    // start 4 + 2 * 0 + 6 * 1 = 10, end 0 + 2 * 1 + 6 * 0 = 2; delay 16 - 1 - 10 = 5.
    const outer = new CoSequential('outer', [
      inner,
      win('c', 3, { end: 1, start: 0, stride: 3 }),
      win('d', 2, { start: 1 }),
    ]);
    expect(outer.receptiveField).toBe(16);
    expect(outer.stride).toBe(6);
    expect(outer.padding).toEqual({ start: 10, end: 2 });
    expect(outer.delay).toBe(5);
    const clip = seededClip([1, 30, 1, 1, 2], 2);
    const seen = await streamAndCompareAsync(outer, clip, tol());
    expect(seen.leadingNulls).toBe(5);
    // floor((30 + 10 - 16) / 6) + 1 = 5 streamed of floor((30 + 12 - 16) / 6) + 1 = 5.
    expect(seen.compared).toBe(5);
    clip.dispose();
    outer.dispose();
  });

  it('chains output shapes', async () => {
    const seq = new CoSequential('seq', [
      new CoPointwiseConv({ name: 'pw', inChannels: 2, outChannels: 3, kernel: tf.ones([2, 3]) }),
      new CoLambda({
        name: 'pool',
        fn: (x) => tf.mean(x, [1, 2], true),
        outputShape: (s) => ({ height: 1, width: 1, channels: s.channels }),
      }),
    ]);
    expect(seq.outputShape(shape)).toEqual({ height: 1, width: 1, channels: 3 });
    expect(() => seq.outputShape({ height: 2, width: 3, channels: 4 })).toThrow(/got 4/);
    const clip = seededClip([2, 3, 2, 3, 2], 3);
    const out = seq.forward(clip);
    expect(out.shape).toEqual([2, 3, 1, 1, 3]);
    expect((await streamAndCompareAsync(seq, clip, tol())).compared).toBe(3);
    tf.dispose([clip, out]);
    seq.dispose();
  });

  it('divides a child per-step cost by the strides before it, and chains clip lengths', async () => {
    const seq = new CoSequential('seq', [
      new CoPointwiseConv({
        name: 'pw1',
        inChannels: 2,
        outChannels: 3,
        kernel: tf.ones([2, 3]),
        activation: 'relu',
      }),
      win('w', 3, { stride: 2 }),
      new CoPointwiseConv({ name: 'pw2', inChannels: 3, outChannels: 4, kernel: tf.ones([3, 4]) }),
    ]);
    // pw1: 6 pixels * 2 * 3 = 36 macs, 6 * 3 relu; w: 3 * 18 / 2 = 27; pw2: 6 * 3 * 4 / 2 = 36.
    expect(seq.flopsPerStep(shape)).toEqual({ macs: 99, elementwise: 18 });
    // 9 frames: pw1 9 * 36 = 324 macs, 9 * 18 = 162; w: 4 outputs * 54 = 216; pw2: 4 * 72 = 288.
    expect(seq.flopsPerClip(shape, 9)).toEqual({ macs: 828, elementwise: 162 });
    // Too short for the window: only pw1 runs.
    expect(seq.flopsPerClip(shape, 2)).toEqual({ macs: 72, elementwise: 36 });
    // State: the window holds 3 frames of 2 * 3 * 3 floats.
    expect(seq.stateBytes(shape)).toBe(216);
    seq.dispose();
  });

  it('keeps nested child states keyed by name and round-trips them', async () => {
    const seq = new CoSequential('seq', [
      win('a', 3, { start: 1 }),
      new CoSequential('inner', [new CoDelay({ name: 'd', delay: 2 }), win('b', 2, { stride: 2 })]),
    ]);
    const clip = seededClip([1, 14, 2, 2, 1], 4);
    const head = tf.slice(clip, [0, 0, 0, 0, 0], [1, 6, 2, 2, 1]) as Clip;
    const tail = tf.slice(clip, [0, 6, 0, 0, 0], [1, 8, 2, 2, 1]) as Clip;
    tf.dispose(stream(seq, head));
    const snapshot = seq.getState();
    expect(Object.keys(snapshot)).toEqual(['a', 'inner']);
    expect(Object.keys(snapshot['inner'] as object)).toEqual(['d', 'b']);
    const first = stream(seq, tail);
    expect(first.length).toBe(4);
    seq.setState(snapshot);
    const again = stream(seq, tail);
    for (const [k, f] of first.entries()) await expectTensorsCloseAsync(again[k] as Frame, f, 0);
    // A fresh module given the snapshot continues the stream the same way.
    const twin = new CoSequential('seq', [
      win('a', 3, { start: 1 }),
      new CoSequential('inner', [new CoDelay({ name: 'd', delay: 2 }), win('b', 2, { stride: 2 })]),
    ]);
    twin.setState(snapshot);
    const third = stream(twin, tail);
    for (const [k, f] of first.entries()) await expectTensorsCloseAsync(third[k] as Frame, f, 0);
    expect(() => twin.setState({ a: {} })).toThrow(/"h0"|"inner"/);
    tf.dispose([...first, ...again, ...third, clip, head, tail]);
    seq.dispose();
    twin.dispose();
  });

  it('resets every child: the start-up nulls come back', async () => {
    const seq = new CoSequential('seq', [win('a', 3), win('b', 2, { stride: 2 })]);
    expect(seq.delay).toBe(3);
    const clip = seededClip([1, 8, 1, 1, 2], 5);
    tf.dispose(stream(seq, clip));
    seq.resetState();
    const f = frameAt(clip, 0);
    for (let t = 0; t < 3; t++) expect(seq.forwardStep(f)).toBeNull();
    const out = seq.forwardStep(f);
    expect(out).not.toBeNull();
    tf.dispose([f, out as Frame]);
    // A used module streams like a fresh one after resetState (called by the comparison).
    expect((await streamAndCompareAsync(seq, clip, tol())).leadingNulls).toBe(3);
    clip.dispose();
    seq.dispose();
  });

  it('rejects duplicate names and an empty chain', async () => {
    expect(() => new CoSequential('seq', [win('a', 2), win('a', 3)])).toThrow(
      /CoSequential "seq": two children are named "a"/,
    );
    expect(() => new CoSequential('seq', [])).toThrow(/at least one module/);
  });

  it('leaks no tensors over 1,000 steps and frees its children on dispose', async () => {
    await expectNoLeakedTensors(async () => {
      const seq = new CoSequential('seq', [
        win('a', 3, { start: 2 }),
        new CoActivation({ name: 'act', activation: 'relu' }),
        new CoSequential('inner', [
          new CoDelay({ name: 'd', delay: 1 }),
          win('b', 2, { stride: 2 }),
        ]),
      ]);
      const frame = seededTensor([1, 2, 2, 2], 6) as Frame;
      for (let t = 0; t < 20; t++) seq.forwardStep(frame)?.dispose();
      const steady = tf.memory().numTensors;
      for (let t = 0; t < 1000; t++) seq.forwardStep(frame)?.dispose();
      expect(tf.memory().numTensors).toBe(steady);
      const clip = seededClip([1, 5, 2, 2, 2], 7);
      seq.forward(clip).dispose();
      const state = seq.getState();
      seq.setState(state);
      expect(tf.memory().numTensors).toBe(steady + 1 + 3 + 1 + 2);
      tf.dispose([clip]);
      tf.dispose(Object.values(state['a'] as object).filter((v) => v instanceof tf.Tensor));
      const inner = state['inner'] as { d: { buffer: Record<string, tf.Tensor> }; b: object };
      tf.dispose(Object.values(inner.d.buffer));
      tf.dispose(Object.values(inner.b).filter((v) => v instanceof tf.Tensor));
      seq.dispose();
      frame.dispose();
    });
  });

  describe('with CoConv3d', () => {
    it('streams a conv of temporal stride 2 followed by a conv of kt 3', async () => {
      const conv1 = new CoConv3d({
        name: 'conv1',
        inChannels: 2,
        outChannels: 3,
        kernelSize: [3, 3, 3],
        stride: [2, 1, 1],
        temporalPadding: 'valid',
        activation: 'relu',
        kernel: seededTensor([3, 3, 3, 2, 3], 8),
        bias: seededTensor([3], 9),
      });
      const conv2 = new CoConv3d({
        name: 'conv2',
        inChannels: 3,
        outChannels: 2,
        kernelSize: [3, 1, 1],
        temporalPadding: 'valid',
        kernel: seededTensor([3, 1, 1, 3, 2], 10),
      });
      const seq = new CoSequential('seq', [conv1, conv2]);
      // rf 3 + 2 * 2 = 7, stride 2, no padding: delay 6.
      expect(seq.receptiveField).toBe(7);
      expect(seq.stride).toBe(2);
      expect(seq.delay).toBe(6);
      const clip = seededClip([1, 12, 4, 4, 2], 11);
      const seen = await streamAndCompareAsync(seq, clip, tol());
      expect(seen.leadingNulls).toBe(6);
      // Outputs at steps 6, 8, 10.
      expect(seen.compared).toBe(3);
      // conv1: 4 * 4 * 3 output elements * 27 taps * 2 channels = 2592 macs per output, on every
      // 2nd step; conv2: 4 * 4 * 2 elements * 3 taps * 3 channels = 288 macs per output, on
      // every conv1 output, so every 2nd input step too.
      const flops = seq.flopsPerStep({ height: 4, width: 4, channels: 2 });
      expect(flops.macs).toBe(2592 / 2 + 288 / 2);
      clip.dispose();
      seq.dispose();
    });
  });
});
