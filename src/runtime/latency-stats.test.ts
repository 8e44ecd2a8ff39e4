import { describe, expect, it } from 'vitest';
import { LatencyStats, percentileOfSorted } from './latency-stats';

// Percentiles interpolate between ranks: rank = p/100 * (n - 1). Expected values are worked by
// hand next to each assertion; float64 arithmetic, so 1e-9 is ample.
const TOL = 1e-9;

describe('percentileOfSorted', () => {
  it('interpolates linearly between the closest ranks', () => {
    const v = [1, 3, 7, 9];
    expect(percentileOfSorted(v, 0)).toBe(1);
    expect(percentileOfSorted(v, 100)).toBe(9);
    // rank 1.5: 3 + 0.5 * (7 - 3) = 5
    expect(percentileOfSorted(v, 50)).toBeCloseTo(5, 9);
    // rank 2.85: 7 + 0.85 * (9 - 7) = 8.7
    expect(Math.abs((percentileOfSorted(v, 95) as number) - 8.7)).toBeLessThan(TOL);
    // rank 0.75: 1 + 0.75 * 2 = 2.5
    expect(Math.abs((percentileOfSorted(v, 25) as number) - 2.5)).toBeLessThan(TOL);
  });

  it('returns the only value for one sample and null for none', () => {
    expect(percentileOfSorted([4.5], 0)).toBe(4.5);
    expect(percentileOfSorted([4.5], 95)).toBe(4.5);
    expect(percentileOfSorted([], 50)).toBeNull();
  });

  it('rejects percentiles outside [0, 100]', () => {
    expect(() => percentileOfSorted([1], -1)).toThrow(/\[0, 100\]/);
    expect(() => percentileOfSorted([1], 100.5)).toThrow(/\[0, 100\]/);
    expect(() => percentileOfSorted([1], Number.NaN)).toThrow(/\[0, 100\]/);
  });
});

describe('LatencyStats', () => {
  it('reports count, mean, p50, p95, min and max of a full buffer', () => {
    const s = new LatencyStats(5);
    for (const v of [30, 10, 50, 20, 40]) s.push(v);
    // sorted 10 20 30 40 50: mean 30, p50 rank 2 -> 30, p95 rank 3.8 -> 40 + 0.8 * 10 = 48
    const sum = s.summary();
    expect(sum).not.toBeNull();
    expect(sum?.count).toBe(5);
    expect(sum?.mean).toBe(30);
    expect(sum?.p50).toBe(30);
    expect(Math.abs((sum?.p95 as number) - 48)).toBeLessThan(TOL);
    expect(sum?.min).toBe(10);
    expect(sum?.max).toBe(50);
    expect(s.mean()).toBe(30);
    expect(s.percentile(50)).toBe(30);
  });

  it('overwrites the oldest sample once full', () => {
    const s = new LatencyStats(5);
    for (const v of [10, 20, 30, 40, 50, 60]) s.push(v);
    expect(s.count).toBe(5);
    expect(s.values()).toEqual([20, 30, 40, 50, 60]);
    // mean (20+30+40+50+60)/5 = 40; p95 rank 3.8 -> 50 + 0.8 * 10 = 58
    expect(s.mean()).toBe(40);
    expect(Math.abs((s.percentile(95) as number) - 58)).toBeLessThan(TOL);
    expect(s.summary()?.min).toBe(20);
  });

  it('keeps the last `capacity` samples, oldest first, after wrapping many times', () => {
    const s = new LatencyStats(3);
    for (let v = 1; v <= 10; v++) s.push(v);
    expect(s.values()).toEqual([8, 9, 10]);
    expect(s.mean()).toBe(9);
    expect(s.capacity).toBe(3);
  });

  it('holds fewer samples than its capacity before filling', () => {
    const s = new LatencyStats(100);
    s.push(2);
    s.push(4);
    expect(s.count).toBe(2);
    expect(s.values()).toEqual([2, 4]);
    // rank 0.95: 2 + 0.95 * 2 = 3.9
    expect(Math.abs((s.percentile(95) as number) - 3.9)).toBeLessThan(TOL);
  });

  it('is empty at first and after clear', () => {
    const s = new LatencyStats();
    expect(s.capacity).toBe(120);
    expect(s.count).toBe(0);
    expect(s.mean()).toBeNull();
    expect(s.percentile(50)).toBeNull();
    expect(s.summary()).toBeNull();
    s.push(1);
    s.push(0);
    s.clear();
    expect(s.count).toBe(0);
    expect(s.values()).toEqual([]);
    s.push(7);
    expect(s.values()).toEqual([7]);
  });

  it('accepts zero and rejects negative or non-finite latencies and bad capacities', () => {
    const s = new LatencyStats(2);
    s.push(0);
    expect(s.values()).toEqual([0]);
    expect(() => s.push(-0.1)).toThrow(/non-negative/);
    expect(() => s.push(Number.NaN)).toThrow(/non-negative/);
    expect(() => s.push(Number.POSITIVE_INFINITY)).toThrow(/non-negative/);
    expect(s.count).toBe(1);
    expect(() => new LatencyStats(0)).toThrow(/positive integer/);
    expect(() => new LatencyStats(2.5)).toThrow(/positive integer/);
  });
});
