import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { frameAt } from './base';
import { CoConv3d } from './conv3d';
import { CoDelay, CoIdentity } from './delay';
import type { Clip, CoModule, Frame } from './module';
import { CoParallel, coConcat, coResidual, mergeShapes } from './parallel';
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

/** Frames [from, from + length) of a clip. */
function frames(clip: Clip, from: number, length: number): Clip {
  const [n, , h, w, c] = clip.shape;
  return tf.slice(clip, [0, from, 0, 0, 0], [n, length, h, w, c]);
}

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

/** The derived temporal properties, for one assertion. */
function temporal(m: CoParallel) {
  return {
    rf: m.receptiveField,
    padding: m.padding,
    stride: m.stride,
    delay: m.delay,
    offsets: m.offsets,
    extraDelays: m.extraDelays,
  };
}

describe('CoParallel alignment', () => {
  it("'centered' adds the shortcut at the centre of a valid window", async () => {
    const res = coResidual('res', win('conv', 3));
    // D = 2 and 0: o = [0, 1]; K = max(2 + 0, 0 + 1) = 2; e = [0, 1]; rf max(3, 1 + 1) = 3.
    expect(temporal(res)).toEqual({
      rf: 3,
      padding: { start: 0, end: 0 },
      stride: 1,
      delay: 2,
      offsets: [0, 1],
      extraDelays: [0, 1],
    });
    expect(res.align).toBe('centered');
    expect(res.merge).toBe('add');
    expect(res.children.map((b) => b.name)).toEqual(['conv', 'shortcut']);
    const clip = seededClip([1, 9, 2, 2, 2], 1);
    const out = res.forward(clip);
    const expected = tf.tidy(() => {
      const w = win('ref', 3);
      return tf.add(w.forward(clip), frames(clip, 1, 7));
    });
    await expectTensorsCloseAsync(out, expected, tol());
    const seen = await streamAndCompareAsync(res, clip, tol());
    expect(seen.leadingNulls).toBe(2);
    expect(seen.compared).toBe(7);
    // Again on the used module: resetState must empty the shortcut's delay too.
    expect((await streamAndCompareAsync(res, clip, tol())).leadingNulls).toBe(2);
    tf.dispose([clip, out, expected]);
    res.dispose();
  });

  it("'lagging' adds the oldest frame of the window, the shortcut delayed by 2", async () => {
    const res = coResidual('res', win('conv', 3), { align: 'lagging' });
    expect(temporal(res)).toEqual({
      rf: 3,
      padding: { start: 0, end: 0 },
      stride: 1,
      delay: 2,
      offsets: [0, 0],
      extraDelays: [0, 2],
    });
    const clip = seededClip([1, 9, 2, 2, 2], 2);
    const out = res.forward(clip);
    const expected = tf.tidy(() => tf.add(win('ref', 3).forward(clip), frames(clip, 0, 7)));
    await expectTensorsCloseAsync(out, expected, tol());
    expect((await streamAndCompareAsync(res, clip, tol())).leadingNulls).toBe(2);
    tf.dispose([clip, out, expected]);
    res.dispose();
  });

  it('centres a causal branch against a valid one', async () => {
    // causal rf 3: D 0, d 0; valid rf 5: D 4, d 4. o = [2, 0]; K = 4; e = [2, 0];
    // rf = max(3 + 2, 5) = 5; start 5 - 1 - 4 = 0; end 4 - max(0 + 2, 4) = 0.
    const par = new CoParallel('p', [win('causal', 3, { start: 2 }), win('valid', 5)], {
      merge: 'add',
    });
    expect(temporal(par)).toEqual({
      rf: 5,
      padding: { start: 0, end: 0 },
      stride: 1,
      delay: 4,
      offsets: [2, 0],
      extraDelays: [2, 0],
    });
    const clip = seededClip([1, 10, 1, 2, 2], 3);
    const seen = await streamAndCompareAsync(par, clip, tol());
    expect(seen).toMatchObject({ leadingNulls: 4, compared: 6 });
    clip.dispose();
    par.dispose();
  });

  it('delays the valid branch when the centred branch is the later one', async () => {
    // rf 5 pad 1/3: D 0, d 3; valid rf 3: D 2, d 2. o = [1, 0]; K = max(3 + 1, 2) = 4;
    // e = [0, 2]; rf = max(5, 3 + 2) = 5; start 5 - 1 - 4 = 0; end 4 - 2 = 2.
    const par = new CoParallel('p', [win('late', 5, { start: 1, end: 3 }), win('valid', 3)], {
      merge: 'add',
    });
    expect(temporal(par)).toEqual({
      rf: 5,
      padding: { start: 0, end: 2 },
      stride: 1,
      delay: 4,
      offsets: [1, 0],
      extraDelays: [0, 2],
    });
    const clip = seededClip([1, 9, 1, 2, 2], 27);
    const out = par.forward(clip);
    // min(9 - 1, 7 - 0) = 7 clip outputs: late output i + 1 plus valid output i.
    const expected = tf.tidy(() => {
      const late = frames(win('r1', 5, { start: 1, end: 3 }).forward(clip), 1, 7);
      return tf.add(late, win('r2', 3).forward(clip));
    });
    await expectTensorsCloseAsync(out, expected, tol());
    expect(await streamAndCompareAsync(par, clip, tol())).toMatchObject({
      leadingNulls: 4,
      compared: 5,
    });
    tf.dispose([clip, out, expected]);
    par.dispose();
  });

  it('lags a causal branch behind a valid one, with start padding', async () => {
    // o = 0; K = 4; e = [4, 0]; rf = max(3 + 4, 5) = 7; start 7 - 1 - 4 = 2; end 4 - 4 = 0.
    const par = new CoParallel('p', [win('causal', 3, { start: 2 }), win('valid', 5)], {
      merge: 'add',
      align: 'lagging',
    });
    expect(temporal(par)).toEqual({
      rf: 7,
      padding: { start: 2, end: 0 },
      stride: 1,
      delay: 4,
      offsets: [0, 0],
      extraDelays: [4, 0],
    });
    const clip = seededClip([1, 10, 1, 2, 2], 4);
    const seen = await streamAndCompareAsync(par, clip, tol());
    // 10 + 2 - 7 + 1 = 6 outputs, all streamed.
    expect(seen).toMatchObject({ leadingNulls: 4, compared: 6 });
    const out = par.forward(clip);
    expect(out.shape[1]).toBe(6);
    tf.dispose([clip, out]);
    par.dispose();
  });

  it('derives end padding when every branch pads the end', async () => {
    // same rf 3 (pad 1/1): D 0, d 1; rf 3 pad 0/1: D 1, d 2. Lagging: K = 2, e = [1, 0];
    // rf = max(4, 3) = 4; start 4 - 1 - 2 = 1; end 2 - max(0, 1) = 1.
    const par = new CoParallel(
      'p',
      [win('same', 3, { start: 1, end: 1 }), win('end', 3, { end: 1 })],
      {
        merge: 'add',
        align: 'lagging',
      },
    );
    expect(temporal(par)).toEqual({
      rf: 4,
      padding: { start: 1, end: 1 },
      stride: 1,
      delay: 2,
      offsets: [0, 0],
      extraDelays: [1, 0],
    });
    const clip = seededClip([1, 8, 1, 1, 3], 5);
    const seen = await streamAndCompareAsync(par, clip, tol());
    // Clip: min(8, 7) = 7 outputs; streamed 8 + 1 - 4 + 1 = 6 (the last needs a future frame).
    expect(seen).toMatchObject({ leadingNulls: 2, compared: 6 });
    clip.dispose();
    par.dispose();
  });

  it("derives end padding for 'centered' same-padded branches", async () => {
    // rf 3 pad 1/1 (D 0, d 1) and rf 5 pad 2/2 (D 0, d 2): o = 0, K = 2, e = [1, 0];
    // rf = max(4, 5) = 5; start 2; end 2 - 0 = 2. The clip keeps its length.
    const par = new CoParallel(
      'p',
      [win('a', 3, { start: 1, end: 1 }), win('b', 5, { start: 2, end: 2 })],
      { merge: 'add' },
    );
    expect(temporal(par)).toEqual({
      rf: 5,
      padding: { start: 2, end: 2 },
      stride: 1,
      delay: 2,
      offsets: [0, 0],
      extraDelays: [1, 0],
    });
    const clip = seededClip([1, 7, 1, 1, 2], 6);
    const out = par.forward(clip);
    expect(out.shape[1]).toBe(7);
    expect(await streamAndCompareAsync(par, clip, tol())).toMatchObject({
      leadingNulls: 2,
      compared: 5,
    });
    tf.dispose([clip, out]);
    par.dispose();
  });

  it('aligns branches of a common stride, lagging', async () => {
    // rf 3 s 2 (D 2, d 2) and rf 1 s 2 (D 0, d 0): K = 2, e = [0, 2]; rf max(3, 3) = 3.
    const par = new CoParallel('p', [win('a', 3, { stride: 2 }), win('b', 1, { stride: 2 })], {
      merge: 'add',
      align: 'lagging',
    });
    expect(temporal(par)).toEqual({
      rf: 3,
      padding: { start: 0, end: 0 },
      stride: 2,
      delay: 2,
      offsets: [0, 0],
      extraDelays: [0, 2],
    });
    const clip = seededClip([1, 9, 1, 2, 2], 7);
    const out = par.forward(clip);
    // Branch lengths 4 and 5: index-aligned, cropped to 4.
    expect(out.shape[1]).toBe(4);
    const expected = tf.tidy(() => {
      const a = win('ra', 3, { stride: 2 }).forward(clip);
      const b = frames(win('rb', 1, { stride: 2 }).forward(clip), 0, 4);
      return tf.add(a, b);
    });
    await expectTensorsCloseAsync(out, expected, tol());
    const seen = await streamAndCompareAsync(par, clip, tol());
    // Outputs at steps 2, 4, 6, 8.
    expect(seen).toMatchObject({ leadingNulls: 2, nullSteps: 5, compared: 4 });
    tf.dispose([clip, out, expected]);
    par.dispose();
  });

  it("accepts 'centered' at stride 2 when no branch needs cropping", async () => {
    // D 2 and 0 would need o = [0, 1]: refused. Equal D is fine.
    expect(
      () =>
        new CoParallel('q', [win('a', 3, { stride: 2 }), win('b', 3, { stride: 2, start: 2 })], {
          merge: 'add',
        }),
    ).toThrow(/CoParallel "q": branches of stride 2 .* use align 'lagging'/);
    const same = new CoParallel(
      'p',
      [win('a', 3, { stride: 2 }), win('b', 5, { stride: 2, start: 1, end: 1 })],
      {
        merge: 'add',
      },
    );
    // D = 2 for both; K = max(2, 3) = 3; e = [1, 0]; rf = max(4, 5) = 5; start 1; end 3 - 2 = 1.
    expect(temporal(same)).toEqual({
      rf: 5,
      padding: { start: 1, end: 1 },
      stride: 2,
      delay: 3,
      offsets: [0, 0],
      extraDelays: [1, 0],
    });
    const clip = seededClip([1, 11, 1, 1, 2], 8);
    expect(await streamAndCompareAsync(same, clip, tol())).toMatchObject({
      leadingNulls: 3,
      compared: 4,
    });
    clip.dispose();
    same.dispose();
  });

  it('aligns nested containers by their derived delays', async () => {
    // inner residual: rf 3, delay 2, D 2. Outer: [inner, causal rf 2 (D 0, d 0)] centered:
    // o = [0, 1]; K = max(2, 1) = 2; e = [0, 1]; rf = max(3, 2 + 1) = 3; padding 0.
    const inner = coResidual('inner', win('conv', 3));
    const outer = new CoParallel('outer', [inner, win('c', 2, { start: 1 })], {
      merge: 'multiply',
    });
    expect(temporal(outer)).toEqual({
      rf: 3,
      padding: { start: 0, end: 0 },
      stride: 1,
      delay: 2,
      offsets: [0, 1],
      extraDelays: [0, 1],
    });
    const seq = new CoSequential('seq', [win('pre', 2, { stride: 2 }), outer]);
    // rf 2 + 2 * 2 = 6; stride 2; delay 1 + 2 * 2 = 5.
    expect([seq.receptiveField, seq.stride, seq.delay]).toEqual([6, 2, 5]);
    const clip = seededClip([1, 14, 1, 2, 2], 9);
    expect(await streamAndCompareAsync(seq, clip, tol())).toMatchObject({
      leadingNulls: 5,
      compared: 5,
    });
    clip.dispose();
    seq.dispose();
  });
});

describe('CoParallel merges', () => {
  it('gates channels by broadcast multiplication, squeeze-excitation style', async () => {
    const gate = new CoLambda({
      name: 'gate',
      fn: (x) => tf.sigmoid(tf.mean(x, [1, 2], true)) as Frame,
      outputShape: (s) => ({ height: 1, width: 1, channels: s.channels }),
    });
    const se = new CoParallel('se', [new CoIdentity({ name: 'x' }), gate], { merge: 'multiply' });
    expect(se.outputShape(shape)).toEqual(shape);
    const clip = seededClip([2, 3, 2, 3, 2], 10);
    const out = se.forward(clip);
    const expected = tf.tidy(() => tf.mul(clip, tf.sigmoid(tf.mean(clip, [2, 3], true))));
    await expectTensorsCloseAsync(out, expected, tol());
    expect((await streamAndCompareAsync(se, clip, tol())).compared).toBe(3);
    // One multiplication per output element: 2 * 3 * 2 = 12.
    expect(se.flopsPerStep(shape)).toEqual({ macs: 0, elementwise: 12 });
    tf.dispose([clip, out, expected]);
    se.dispose();
  });

  it('concatenates on channels', async () => {
    const k1 = seededTensor([2, 3], 11);
    const k2 = seededTensor([2, 1], 12);
    const cat = coConcat('cat', [
      new CoPointwiseConv({ name: 'a', inChannels: 2, outChannels: 3, kernel: k1 }),
      new CoPointwiseConv({ name: 'b', inChannels: 2, outChannels: 1, kernel: k2 }),
    ]);
    expect(cat.merge).toBe('concat');
    expect(cat.align).toBe('centered');
    expect(coConcat('c', [win('a', 1)], { align: 'lagging' }).align).toBe('lagging');
    expect(cat.outputShape(shape)).toEqual({ height: 2, width: 3, channels: 4 });
    const clip = seededClip([1, 2, 2, 3, 2], 13);
    const out = cat.forward(clip);
    const expected = tf.tidy(() => {
      const rows = tf.reshape(clip, [-1, 2]);
      return tf.reshape(tf.concat([tf.matMul(rows, k1), tf.matMul(rows, k2)], 1), [1, 2, 2, 3, 4]);
    });
    await expectTensorsCloseAsync(out, expected, tol());
    expect((await streamAndCompareAsync(cat, clip, tol())).compared).toBe(2);
    // Concatenation is a copy: only the branches' 6 * 2 * 3 + 6 * 2 * 1 = 48 macs count.
    expect(cat.flopsPerStep(shape)).toEqual({ macs: 48, elementwise: 0 });
    expect(cat.flopsPerClip(shape, 5)).toEqual({ macs: 240, elementwise: 0 });
    tf.dispose([k1, k2, clip, out, expected]);
    cat.dispose();
  });

  it('adds a projection shortcut', async () => {
    const branch = new CoPointwiseConv({
      name: 'conv',
      inChannels: 2,
      outChannels: 3,
      kernel: seededTensor([2, 3], 14),
      activation: 'relu',
    });
    const shortcut = new CoPointwiseConv({
      name: 'proj',
      inChannels: 2,
      outChannels: 3,
      kernel: seededTensor([2, 3], 15),
    });
    const res = coResidual('res', branch, { shortcut });
    expect(res.children).toEqual([branch, shortcut]);
    expect(res.outputShape(shape)).toEqual({ height: 2, width: 3, channels: 3 });
    // 2 * (6 * 2 * 3) macs; relu 18 + add 18.
    expect(res.flopsPerStep(shape)).toEqual({ macs: 72, elementwise: 36 });
    const clip = seededClip([1, 3, 2, 3, 2], 16);
    expect((await streamAndCompareAsync(res, clip, tol())).leadingNulls).toBe(0);
    clip.dispose();
    res.dispose();
  });

  it('sums three branches with one fewer addition per element than branches', async () => {
    const par = new CoParallel(
      'p',
      [
        new CoIdentity({ name: 'a' }),
        new CoActivation({ name: 'b', activation: 'relu' }),
        new CoDelay({ name: 'c', delay: 2 }),
      ],
      { merge: 'add', align: 'lagging' },
    );
    // relu 12 + 2 additions * 12.
    expect(par.flopsPerStep(shape)).toEqual({ macs: 0, elementwise: 36 });
    const clip = seededClip([1, 6, 2, 3, 2], 17);
    const out = par.forward(clip);
    const expected = tf.tidy(() => {
      const head = frames(clip, 0, 4);
      return tf.addN([head, tf.relu(head), head]);
    });
    await expectTensorsCloseAsync(out, expected, tol());
    expect((await streamAndCompareAsync(par, clip, tol())).compared).toBe(4);
    tf.dispose([clip, out, expected]);
    par.dispose();
  });

  it('counts the merge once per output of a strided container', async () => {
    const par = new CoParallel('p', [win('a', 3, { stride: 2 }), win('b', 1, { stride: 2 })], {
      merge: 'add',
      align: 'lagging',
    });
    // a: 3 * 12 / 2 = 18; b: 12 / 2 = 6; add: 12 / 2 = 6.
    expect(par.flopsPerStep(shape)).toEqual({ macs: 24, elementwise: 6 });
    // 9 frames: a 4 outputs * 36 = 144, b 5 * 12 = 60; 4 additions of 12.
    expect(par.flopsPerClip(shape, 9)).toEqual({ macs: 204, elementwise: 48 });
    par.dispose();
  });

  it('counts branch work over the whole clip and the merge over aligned outputs', async () => {
    const res = coResidual('res', win('conv', 3));
    // Per step: 3 * 12 macs; 12 additions.
    expect(res.flopsPerStep(shape)).toEqual({ macs: 36, elementwise: 12 });
    // 8 frames: 6 window outputs * 36 = 216 macs; 6 outputs * 12 additions.
    expect(res.flopsPerClip(shape, 8)).toEqual({ macs: 216, elementwise: 72 });
    expect(res.flopsPerClip(shape, 2)).toEqual({ macs: 0, elementwise: 0 });
    // State: the window's 3 frames and the shortcut's 1-frame delay, 12 floats each.
    expect(res.stateBytes(shape)).toBe(192);
    const lag = coResidual('res', win('conv', 3), { align: 'lagging' });
    expect(lag.stateBytes(shape)).toBe(240);
    res.dispose();
    lag.dispose();
  });

  it('gives an empty clip when the clip is shorter than the window', async () => {
    const res = coResidual('res', win('conv', 3));
    const clip = seededClip([1, 2, 1, 1, 2], 18);
    const out = res.forward(clip);
    expect(out.shape).toEqual([1, 0, 1, 1, 2]);
    // rf 5: the shortcut is cropped by 2, more than a 1-frame clip holds.
    const wide = coResidual('res', win('conv', 5));
    const one = frames(clip, 0, 1);
    const none = wide.forward(one);
    expect(none.shape).toEqual([1, 0, 1, 1, 2]);
    tf.dispose([clip, out, one, none]);
    res.dispose();
    wide.dispose();
  });

  it('passes a single branch through for every merge', async () => {
    const clip = seededClip([1, 5, 1, 2, 2], 26);
    for (const merge of ['add', 'multiply', 'concat'] as const) {
      await expectNoLeakedTensors(async () => {
        const par = new CoParallel('p', [win('w', 2)], { merge });
        expect(par.delay).toBe(1);
        expect(par.flopsPerStep({ height: 1, width: 2, channels: 2 })).toEqual({
          macs: 8,
          elementwise: 0,
        });
        const out = par.forward(clip);
        const expected = win('ref', 2).forward(clip);
        await expectTensorsCloseAsync(out, expected, 0);
        expect((await streamAndCompareAsync(par, clip, tol())).compared).toBe(4);
        tf.dispose([out, expected]);
        par.dispose();
      });
    }
    clip.dispose();
  });
});

describe('CoParallel state and errors', () => {
  it('keeps branch and delay states by branch name and round-trips them', async () => {
    const build = () => coResidual('res', win('conv', 3), { align: 'lagging' });
    const res = build();
    const clip = seededClip([1, 12, 1, 2, 2], 19);
    const head = frames(clip, 0, 5);
    const tail = frames(clip, 5, 7);
    tf.dispose(stream(res, head));
    const snapshot = res.getState();
    expect(Object.keys(snapshot)).toEqual(['branches', 'delays']);
    expect(Object.keys(snapshot['branches'] as object)).toEqual(['conv', 'shortcut']);
    expect(Object.keys(snapshot['delays'] as object)).toEqual(['shortcut']);
    const first = stream(res, tail);
    expect(first.length).toBe(7);
    res.setState(snapshot);
    const again = stream(res, tail);
    for (const [k, f] of first.entries()) await expectTensorsCloseAsync(again[k] as Frame, f, 0);
    const twin = build();
    twin.setState(snapshot);
    const third = stream(twin, tail);
    for (const [k, f] of first.entries()) await expectTensorsCloseAsync(third[k] as Frame, f, 0);
    // Reset: the start-up nulls come back.
    twin.resetState();
    const f = frameAt(clip, 0);
    expect(twin.forwardStep(f)).toBeNull();
    expect(twin.forwardStep(f)).toBeNull();
    const out = twin.forwardStep(f);
    expect(out).not.toBeNull();
    expect(() => twin.setState({ branches: snapshot['branches'] as object } as never)).toThrow(
      /"delays"/,
    );
    tf.dispose([...first, ...again, ...third, clip, head, tail, f, out as Frame]);
    res.dispose();
    twin.dispose();
  });

  it('rejects bad compositions with clear errors', async () => {
    expect(() => new CoParallel('p', [], { merge: 'add' })).toThrow(/needs at least one branch/);
    expect(() => new CoParallel('p', [win('a', 1), win('a', 3)], { merge: 'add' })).toThrow(
      /two children are named "a"/,
    );
    expect(() => coResidual('r', win('shortcut', 1))).toThrow(/"shortcut"/);
    expect(
      () =>
        new CoParallel('p', [win('a', 3, { stride: 2 }), win('b', 3)], {
          merge: 'add',
          align: 'lagging',
        }),
    ).toThrow(/share one temporal stride; "a" has 2, "b" has 1/);
    expect(() => coResidual('r', win('conv', 2))).toThrow(
      /even number .* "shortcut" shrinks by 0, another by 1/,
    );
    // Lagging needs no even split.
    expect(coResidual('r', win('conv', 2), { align: 'lagging' }).delay).toBe(1);
  });

  it('rejects branch outputs that cannot be merged', async () => {
    const wide = new CoPointwiseConv({
      name: 'wide',
      inChannels: 2,
      outChannels: 3,
      kernel: tf.ones([2, 3]),
    });
    const res = coResidual('res', wide);
    expect(() => res.outputShape(shape)).toThrow(
      /CoParallel "res": cannot add branch outputs of shapes \[2, 3, 3\], \[2, 3, 2\]/,
    );
    const clip = seededClip([1, 2, 2, 3, 2], 20);
    await expectNoLeakedTensors(async () => {
      expect(() => res.forward(clip)).toThrow(/cannot add/);
    });
    const f = frameAt(clip, 0);
    expect(() => res.forwardStep(f)).toThrow(/cannot add/);
    tf.dispose([clip, f]);
    res.dispose();
    expect(() =>
      mergeShapes('m', 'multiply', [shape, { height: 1, width: 1, channels: 3 }]),
    ).toThrow(/cannot multiply/);
    expect(mergeShapes('m', 'multiply', [{ height: 1, width: 3, channels: 1 }, shape])).toEqual(
      shape,
    );
    expect(() => mergeShapes('m', 'concat', [shape, { height: 2, width: 2, channels: 2 }])).toThrow(
      /cannot concat/,
    );
    expect(() => mergeShapes('m', 'concat', [shape, { height: 1, width: 3, channels: 2 }])).toThrow(
      /cannot concat/,
    );
    expect(() => mergeShapes('m', 'add', [shape, { ...shape, width: 1 }])).toThrow(/cannot add/);
    expect(() => mergeShapes('m', 'add', [shape, { ...shape, height: 1 }])).toThrow(/cannot add/);
    expect(() => mergeShapes('m', 'add', [])).toThrow(/cannot add/);
    expect(mergeShapes('m', 'concat', [shape])).toEqual(shape);
  });

  it('leaks no tensors over 1,000 steps and frees branches and delays on dispose', async () => {
    await expectNoLeakedTensors(async () => {
      const model = new CoSequential('m', [
        coResidual('res', win('conv', 3)),
        coConcat(
          'cat',
          [win('a', 3, { start: 2 }), new CoActivation({ name: 'b', activation: 'relu' })],
          {
            align: 'lagging',
          },
        ),
      ]);
      const frame = seededTensor([1, 2, 2, 2], 21) as Frame;
      for (let t = 0; t < 20; t++) model.forwardStep(frame)?.dispose();
      const steady = tf.memory().numTensors;
      for (let t = 0; t < 1000; t++) model.forwardStep(frame)?.dispose();
      expect(tf.memory().numTensors).toBe(steady);
      model.dispose();
      frame.dispose();
    });
  });
});

describe('CoParallel with CoConv3d (X3D residual)', () => {
  const conv = (name: string, temporalPadding: 'valid' | number, kernel: tf.Tensor) =>
    new CoConv3d({
      name,
      inChannels: 2,
      outChannels: 2,
      kernelSize: [3, 3, 3],
      groups: 2,
      temporalPadding,
      kernel: tf.clone(kernel),
    });

  it("'centered' over a valid 3x3x3 depthwise conv equals the clip X3D block with padding", async () => {
    const kernel = seededTensor([3, 3, 3, 1, 2], 22);
    const streaming = coResidual('block', conv('conv', 'valid', kernel));
    const padded = coResidual('block', conv('conv', 1, kernel));
    expect([streaming.delay, streaming.receptiveField]).toEqual([2, 3]);
    expect(streaming.extraDelays).toEqual([0, 1]);
    const clip = seededClip([1, 8, 3, 3, 2], 23);
    const seen = await streamAndCompareAsync(streaming, clip, tol());
    expect(seen).toMatchObject({ leadingNulls: 2, compared: 6 });
    // Clip output i of the valid block is output i + 1 of the padded one (the centre frame).
    const a = streaming.forward(clip);
    const b = padded.forward(clip);
    expect(b.shape[1]).toBe(8);
    const inner = frames(b, 1, 6);
    await expectTensorsCloseAsync(a, inner, tol());
    tf.dispose([kernel, clip, a, b, inner]);
    streaming.dispose();
    padded.dispose();
  });

  it("'lagging' over the same conv adds the oldest frame of the window", async () => {
    const kernel = seededTensor([3, 3, 3, 1, 2], 24);
    const block = coResidual('block', conv('conv', 'valid', kernel), { align: 'lagging' });
    expect(block.extraDelays).toEqual([0, 2]);
    const clip = seededClip([1, 8, 3, 3, 2], 25);
    expect(await streamAndCompareAsync(block, clip, tol())).toMatchObject({
      leadingNulls: 2,
      compared: 6,
    });
    const out = block.forward(clip);
    const ref = conv('ref', 'valid', kernel);
    const expected = tf.tidy(() => tf.add(ref.forward(clip), frames(clip, 0, 6)));
    await expectTensorsCloseAsync(out, expected, tol());
    tf.dispose([kernel, clip, out, expected]);
    ref.dispose();
    block.dispose();
  });
});
