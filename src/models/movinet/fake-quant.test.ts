import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { valuesOf } from '../../continual/testing-async';
import { expectNoLeakedTensors, seededTensor } from '../../continual/testing';
import {
  checkQuantization,
  CoFakeQuant,
  fakeQuantize,
  fakeQuantOpsPerElement,
  type FakeQuantRounding,
  TIE_TOLERANCE,
} from './fake-quant';

/** A grid with steps of 0.5 and zero point -3: it holds (-128 + 3) * 0.5 = -62.5 to 65. */
const GRID = { scale: 0.5, zeroPoint: -3 };

async function quantized(
  values: number[],
  rounding?: FakeQuantRounding,
  clamp?: boolean,
): Promise<number[]> {
  const x = tf.tensor1d(values);
  const y = fakeQuantize(x, GRID, rounding, clamp);
  const out = await valuesOf(y);
  tf.dispose([x, y]);
  return out;
}

describe('fakeQuantize', () => {
  it('rounds to the nearest step, halves to even, and clamps to the int8 range', async () => {
    // x / 0.5: 0.52 -> 1, 0.5 -> 0 (even), 1.5 -> 2, -1.5 -> -2, 2.5 -> 2, 3.2 -> 3;
    // 200 -> 127 + 3 = 130 steps; -200 -> -128 + 3 = -125 steps.
    expect(await quantized([0.26, 0.25, 0.75, -0.75, 1.25, 1.6, 100, -100])).toEqual([
      0.5, 0, 1, -1, 1, 1.5, 65, -62.5,
    ]);
  });

  it('keeps the grid ends: the largest and smallest values pass unchanged', async () => {
    expect(await quantized([65, -62.5, 65.2, -62.7])).toEqual([65, -62.5, 65, -62.5]);
  });

  it("'half-away' rounds halves of x / scale away from zero, within the tie tolerance", async () => {
    const tol = TIE_TOLERANCE * GRID.scale;
    expect(
      await quantized([0.25, -0.25, 0.75, 0.25 - tol / 2, 0.25 - 2 * tol, -0.75], 'half-away'),
    ).toEqual([0.5, -0.5, 1, 0.5, 0, -1]);
  });

  it("'half-away-int8' rounds halves of the int8 value (zero point included) away from zero", async () => {
    // x = 0.25: int8 value 0.5 - 3 = -2.5 -> -3, i.e. 0 steps; 'half-away' gives 1 step.
    // x = 0.75: -1.5 -> -2 = 1 step; x = 2.25: 4.5 - 3 = 1.5 -> 2 = 5 steps.
    expect(await quantized([0.25, 0.75, 2.25, -0.25], 'half-away-int8')).toEqual([
      0, 0.5, 2.5, -0.5,
    ]);
  });

  it('skips the clamp only when told to', async () => {
    expect(await quantized([100, -100], 'half-to-even', false)).toEqual([100, -100]);
  });

  it('is idempotent, lands on the grid and moves a value by at most half a step', async () => {
    const x = seededTensor([4, 5, 6], 7, -70, 70);
    const once = fakeQuantize(x, GRID);
    const twice = fakeQuantize(once, GRID);
    const [a, b, xs] = await Promise.all([valuesOf(once), valuesOf(twice), valuesOf(x)]);
    expect(b).toEqual(a);
    a.forEach((v, i) => {
      expect(Number.isInteger(v / GRID.scale)).toBe(true);
      const raw = xs[i] ?? NaN;
      if (raw > -62.5 && raw < 65) expect(Math.abs(v - raw)).toBeLessThanOrEqual(0.25 + 1e-6);
    });
    tf.dispose([x, once, twice]);
  });

  it('leaves no tensors behind', async () => {
    const x = tf.tensor1d([0.3, -4]);
    await expectNoLeakedTensors(() => {
      for (const r of ['half-to-even', 'half-away', 'half-away-int8'] as const) {
        fakeQuantize(x, GRID, r).dispose();
      }
    });
    x.dispose();
  });
});

describe('checkQuantization', () => {
  it.each([
    [{ scale: 0, zeroPoint: 0 }, 'scale', '0'],
    [{ scale: -1, zeroPoint: 0 }, 'scale', '-1'],
    [{ scale: Number.NaN, zeroPoint: 0 }, 'scale', 'NaN'],
    [{ scale: Infinity, zeroPoint: 0 }, 'scale', 'Infinity'],
    [{ scale: 1, zeroPoint: 128 }, 'zeroPoint', '128'],
    [{ scale: 1, zeroPoint: -129 }, 'zeroPoint', '-129'],
    [{ scale: 1, zeroPoint: 0.5 }, 'zeroPoint', '0.5'],
  ])('rejects %o', (q, field, value) => {
    const rule =
      field === 'scale'
        ? 'scale must be a positive finite number'
        : 'zeroPoint must be an integer in [-128, 127]';
    expect(() => checkQuantization(q, 'what')).toThrow(`what: ${rule}, got ${value}.`);
  });

  it('accepts the int8 extremes', () => {
    expect(() => checkQuantization({ scale: 1e-9, zeroPoint: -128 }, 'q')).not.toThrow();
    expect(() => checkQuantization({ scale: 3, zeroPoint: 127 }, 'q')).not.toThrow();
  });
});

describe('CoFakeQuant', () => {
  it('is a stateless per-frame module with the grid it was given', () => {
    const m = new CoFakeQuant({ name: 'q', ...GRID });
    expect(m.name).toBe('q');
    expect(m.quantization).toEqual(GRID);
    expect(m.rounding).toBe('half-to-even');
    expect(m.range).toEqual([-62.5, 65]);
    expect(m.clamps).toBe(true);
    expect([m.receptiveField, m.delay, m.stride]).toEqual([1, 0, 1]);
    expect(m.getState()).toEqual({});
    expect(m.outputShape({ height: 3, width: 4, channels: 5 })).toEqual({
      height: 3,
      width: 4,
      channels: 5,
    });
    expect(m.stateBytes()).toBe(0);
  });

  it('counts the element-wise ops it runs per element', () => {
    // divide, round, clamp, multiply; rounding halves away: abs, add, floor, sign, multiply
    // instead of round, and the int8 variant adds and removes the zero point.
    expect(fakeQuantOpsPerElement()).toBe(4);
    expect(fakeQuantOpsPerElement('half-to-even', false)).toBe(3);
    expect(fakeQuantOpsPerElement('half-away')).toBe(8);
    expect(fakeQuantOpsPerElement('half-away-int8')).toBe(10);
    expect(fakeQuantOpsPerElement('half-away-int8', false)).toBe(9);
    const shape = { height: 3, width: 4, channels: 5 };
    const pool = new CoFakeQuant({ name: 'q', ...GRID, rounding: 'half-away-int8' });
    expect(pool.flopsPerStep(shape)).toEqual({ macs: 0, elementwise: 600 });
    expect(new CoFakeQuant({ name: 'q', ...GRID }).flopsPerStep(shape)).toEqual({
      macs: 0,
      elementwise: 240,
    });
    const relu6 = new CoFakeQuant({
      name: 'q',
      scale: 6 / 255,
      zeroPoint: -128,
      inputRange: [0, 6],
    });
    expect(relu6.clamps).toBe(false);
    expect(relu6.flopsPerStep(shape)).toEqual({ macs: 0, elementwise: 180 });
    expect(relu6.flopsPerClip(shape, 7)).toEqual({ macs: 0, elementwise: 1260 });
  });

  it('clamps unless the grid holds the whole input range', () => {
    const q = (inputRange: [number, number]) =>
      new CoFakeQuant({ name: 'q', ...GRID, inputRange }).clamps;
    expect(q([-62.5, 65])).toBe(false);
    expect(q([0, 6])).toBe(false);
    expect(q([-62.6, 0])).toBe(true);
    expect(q([0, 65.1])).toBe(true);
    expect(() => q([1, 0])).toThrow('inputRange must be [low, high] with low <= high, got [1, 0]');
  });

  it('rejects a bad grid or rounding', () => {
    expect(() => new CoFakeQuant({ name: 'q', scale: 0, zeroPoint: 0 })).toThrow(
      'CoFakeQuant "q": scale must be a positive finite number',
    );
    expect(
      () =>
        new CoFakeQuant({
          name: 'q',
          ...GRID,
          rounding: 'up' as unknown as 'half-away',
        }),
    ).toThrow(
      'CoFakeQuant "q": rounding must be one of half-to-even, half-away, half-away-int8, got \'up\'',
    );
  });

  it('quantizes a clip frame by frame, as the stream does', async () => {
    const m = new CoFakeQuant({ name: 'q', ...GRID, rounding: 'half-away-int8' });
    const clip = seededTensor([2, 3, 2, 2, 3], 11, -70, 70) as tf.Tensor5D;
    const offline = m.forward(clip);
    const streamed = m.forwardSteps(clip);
    const direct = fakeQuantize(clip, GRID, 'half-away-int8');
    expect(await valuesOf(offline)).toEqual(await valuesOf(direct));
    expect(streamed?.shape).toEqual([2, 3, 2, 2, 3]);
    expect(await valuesOf(streamed ?? clip)).toEqual(await valuesOf(direct));
    tf.dispose([clip, offline, streamed ?? [], direct]);
  });
});
