import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { valuesOf } from '../continual/testing-async';
import { expectNoLeakedTensors } from '../continual/testing';
import { SeededRandom, heNormal, heStd, seededBatchNorm } from './seeded-weights';

function draws(random: SeededRandom, n: number, f: (r: SeededRandom) => number): number[] {
  return Array.from({ length: n }, () => f(random));
}

function moments(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    sum += v;
    squares += v * v;
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(squares / values.length - mean * mean) };
}

describe('SeededRandom', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = draws(new SeededRandom(42), 20, (r) => r.uniform());
    const b = draws(new SeededRandom(42), 20, (r) => r.uniform());
    const c = draws(new SeededRandom(43), 20, (r) => r.uniform());
    expect(a).toEqual(b);
    expect(a.filter((v, i) => v === c[i])).toEqual([]);
  });

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const values = draws(new SeededRandom(1), 100_000, (r) => r.uniform());
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const { mean, std } = moments(values);
    // 100,000 draws: the standard error of the mean is 0.29 / 316 = 0.0009; 5 sigma.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.0046);
    expect(Math.abs(std - Math.sqrt(1 / 12))).toBeLessThan(0.003);
  });

  it('spreads uniforms over the whole range (every tenth of [0, 1) within 5% of 10%)', () => {
    const counts = new Array<number>(10).fill(0);
    const random = new SeededRandom(7);
    for (let i = 0; i < 100_000; i++) counts[Math.floor(random.uniform() * 10)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('draws standard normals: mean 0, std 1, and 4.6% beyond 2 sigma', () => {
    const values = draws(new SeededRandom(3), 100_000, (r) => r.normal());
    const { mean, std } = moments(values);
    expect(Math.abs(mean)).toBeLessThan(0.016); // 5 standard errors of the mean
    expect(Math.abs(std - 1)).toBeLessThan(0.012);
    const tails = values.filter((v) => Math.abs(v) > 2).length / values.length;
    expect(tails).toBeGreaterThan(0.0435); // P(|z| > 2) = 0.0455
    expect(tails).toBeLessThan(0.0475);
  });

  it('maps between(lo, hi) and the array helpers onto their ranges', () => {
    const random = new SeededRandom(5);
    const b = draws(random, 1000, (r) => r.between(-3, -1));
    expect(Math.min(...b)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...b)).toBeLessThan(-1);
    expect(Math.abs(moments(b).mean + 2)).toBeLessThan(0.1);
    const u = new SeededRandom(5).uniformArray(1000, 2, 4);
    expect(u).toBeInstanceOf(Float32Array);
    expect(u.length).toBe(1000);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...u)).toBeLessThanOrEqual(4);
    const n = new SeededRandom(5).normalArray(50_000, 0.5);
    expect(Math.abs(moments(n).std - 0.5)).toBeLessThan(0.01);
  });

  it('rejects a seed that is not an integer', () => {
    expect(() => new SeededRandom(1.5)).toThrow(/seed must be an integer/);
  });
});

describe('heStd and heNormal', () => {
  it('computes sqrt(gain / fanIn)', () => {
    expect(heStd(8)).toBeCloseTo(0.5, 12);
    expect(heStd(8, 1)).toBeCloseTo(Math.sqrt(1 / 8), 12);
    expect(heStd(27, 2)).toBeCloseTo(Math.sqrt(2 / 27), 12);
  });

  it('rejects a non-positive fan-in or gain', () => {
    expect(() => heStd(0)).toThrow(/fanIn must be positive/);
    expect(() => heStd(4, 0)).toThrow(/gain must be positive/);
  });

  it('fills a tensor of the shape with draws of the He standard deviation', async () => {
    await expectNoLeakedTensors(async () => {
      const t = heNormal(new SeededRandom(9), [3, 3, 64, 32], 576);
      expect(t.shape).toEqual([3, 3, 64, 32]);
      expect(t.dtype).toBe('float32');
      const { mean, std } = moments(await valuesOf(t));
      // 18,432 draws of std 0.0589: 5 standard errors of the mean = 0.0022.
      expect(Math.abs(mean)).toBeLessThan(0.0022);
      expect(Math.abs(std / heStd(576) - 1)).toBeLessThan(0.03);
      t.dispose();
    });
  });

  it('is the same tensor for the same seed on every call', async () => {
    const a = heNormal(new SeededRandom(11), [4, 5], 5, 1);
    const b = heNormal(new SeededRandom(11), [4, 5], 5, 1);
    expect(await valuesOf(a)).toEqual(await valuesOf(b));
    tf.dispose([a, b]);
  });
});

describe('seededBatchNorm', () => {
  it('draws every parameter within its documented range, per channel', () => {
    const bn = seededBatchNorm(new SeededRandom(2), 500);
    const within = (v: ArrayLike<number>, lo: number, hi: number) =>
      Array.from(v).every((x) => x >= lo && x <= hi);
    for (const key of ['mean', 'variance', 'gamma', 'beta'] as const) {
      expect((bn[key] as Float32Array).length).toBe(500);
    }
    expect(within(bn.variance as Float32Array, 0.5, 1.5)).toBe(true);
    expect(within(bn.gamma as Float32Array, 0.8, 1.2)).toBe(true);
    expect(within(bn.mean as Float32Array, -0.1, 0.1)).toBe(true);
    expect(within(bn.beta as Float32Array, -0.1, 0.1)).toBe(true);
    expect(bn.epsilon).toBe(1e-5);
    // Different per channel, so a folding error on one channel shows.
    expect(new Set(Array.from(bn.gamma as Float32Array)).size).toBe(500);
  });

  it('takes the gamma range, shift and epsilon it is given', () => {
    const bn = seededBatchNorm(new SeededRandom(2), 200, {
      gamma: [0.1, 0.2],
      shift: 0.01,
      epsilon: 1e-3,
    });
    const g = Array.from(bn.gamma as Float32Array);
    expect(Math.min(...g)).toBeGreaterThanOrEqual(0.1);
    expect(Math.max(...g)).toBeLessThanOrEqual(0.2);
    const m = Array.from(bn.mean as Float32Array);
    expect(Math.max(...m.map(Math.abs))).toBeLessThanOrEqual(0.01);
    expect(bn.epsilon).toBe(1e-3);
  });
});
