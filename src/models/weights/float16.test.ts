import { describe, expect, it } from 'vitest';
import {
  decodeFloat16,
  encodeFloat16,
  float16BitsToFloat32,
  float32ToFloat16Bits,
} from './float16';
import { seededRandom } from '../../continual/testing';

describe('float32ToFloat16Bits', () => {
  it('encodes exact values to their known bit patterns', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite half
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [1023 * 2 ** -24, 0x03ff], // largest subnormal
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    for (const [value, bits] of cases) expect(float32ToFloat16Bits(value), `${value}`).toBe(bits);
  });

  it('rounds to nearest, ties to even', () => {
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie, 0x3c00 is even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, rounds up to even
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above the tie
    expect(float32ToFloat16Bits(0.1)).toBe(0x2e66);
    expect(float32ToFloat16Bits(1 / 3)).toBe(0x3555);
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // tie at the top rounds to Infinity
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-1e6)).toBe(0xfc00);
  });

  it('rounds in the subnormal range and flushes tiny values to signed zero', () => {
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and 2^-24: even is 0
    expect(float32ToFloat16Bits(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 units: 2
    expect(float32ToFloat16Bits(1e-10)).toBe(0x0000);
    expect(float32ToFloat16Bits(-1e-10)).toBe(0x8000);
    // Just under the smallest normal rounds up into it.
    expect(float32ToFloat16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400);
  });

  it('keeps NaN a NaN', () => {
    const bits = float32ToFloat16Bits(Number.NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x3ff).not.toBe(0);
    expect(float16BitsToFloat32(bits)).toBeNaN();
  });
});

describe('float16BitsToFloat32', () => {
  it('decodes known patterns', () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(float16BitsToFloat32(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(float16BitsToFloat32(0x7c00)).toBe(Infinity);
    expect(float16BitsToFloat32(0xfc00)).toBe(-Infinity);
  });

  it('round-trips every non-NaN bit pattern exactly', () => {
    let checked = 0;
    for (let h = 0; h < 0x10000; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN) continue;
      const back = float32ToFloat16Bits(float16BitsToFloat32(h));
      if (back !== h) expect(back, `pattern 0x${h.toString(16)}`).toBe(h);
      checked++;
    }
    expect(checked).toBe(0x10000 - 2 * 1023);
  });
});

describe('encodeFloat16 / decodeFloat16', () => {
  it('round-trips within half an ulp of float16 (relative 2^-11 for normal values)', () => {
    const rand = seededRandom(7);
    const values = new Float32Array(2000);
    for (let i = 0; i < values.length; i++) values[i] = (rand() * 2 - 1) * 10 ** (rand() * 8 - 4);
    const back = decodeFloat16(encodeFloat16(values));
    expect(back).toHaveLength(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] ?? 0;
      const err = Math.abs((back[i] ?? 0) - v);
      // Normal halves: relative error <= 2^-11; subnormal halves: absolute error <= 2^-25.
      const tol = Math.abs(v) >= 2 ** -14 ? Math.abs(v) * 2 ** -11 : 2 ** -25;
      expect(err, `value ${v}`).toBeLessThanOrEqual(tol);
    }
  });

  it('keeps lengths and handles empty arrays', () => {
    expect(encodeFloat16(new Float32Array(0))).toHaveLength(0);
    expect(Array.from(encodeFloat16(new Float32Array([1, -2, 0.5])))).toEqual([
      0x3c00, 0xc000, 0x3800,
    ]);
    expect(Array.from(decodeFloat16(new Uint16Array([0x3c00, 0x0400])))).toEqual([1, 2 ** -14]);
  });
});
