import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatDiff,
  formatFactor,
  formatFlops,
  formatGflops,
  formatMs,
  formatPerSecond,
  formatProb,
  formatRate,
  formatVideoTime,
  progressFraction,
} from './format';

describe('formatFlops', () => {
  it('picks the SI prefix and keeps three significant digits', () => {
    expect(formatFlops(0)).toBe('0 FLOPs');
    expect(formatFlops(512)).toBe('512 FLOPs');
    expect(formatFlops(999)).toBe('999 FLOPs');
    expect(formatFlops(1000)).toBe('1 kFLOPs');
    expect(formatFlops(49_712_345)).toBe('49.7 MFLOPs');
    expect(formatFlops(397_000_000)).toBe('397 MFLOPs');
    expect(formatFlops(1_234_000_000)).toBe('1.23 GFLOPs');
    expect(formatFlops(2.5e12)).toBe('2.5 TFLOPs');
  });

  it('stops at the largest prefix and keeps the sign of a negative count', () => {
    expect(formatFlops(3e18)).toBe('3000 PFLOPs');
    expect(formatFlops(-2_500_000_000)).toBe('-2.5 GFLOPs');
  });

  it('refuses non-finite counts', () => {
    expect(() => formatFlops(Number.NaN)).toThrow(/finite/);
    expect(() => formatFlops(Infinity)).toThrow(/finite/);
  });
});

describe('formatGflops', () => {
  it('divides by 1e9 with fixed decimals', () => {
    expect(formatGflops(25_740_000_000)).toBe('25.74 GFLOPs');
    expect(formatGflops(0)).toBe('0.00 GFLOPs');
    expect(formatGflops(-1.5e8)).toBe('-0.15 GFLOPs');
    expect(formatGflops(1.23456e9, 3)).toBe('1.235 GFLOPs');
  });
});

describe('formatBytes', () => {
  it('uses SI units (1 kB = 1000 B)', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1 kB');
    expect(formatBytes(1536)).toBe('1.54 kB');
    expect(formatBytes(2_690_000)).toBe('2.69 MB');
    expect(formatBytes(12_345_678_901)).toBe('12.3 GB');
  });

  it('refuses negative and non-finite sizes', () => {
    expect(() => formatBytes(-1)).toThrow(/negative/);
    expect(() => formatBytes(Number.NaN)).toThrow(/finite/);
  });
});

describe('formatMs, formatPerSecond, formatFactor', () => {
  it('writes durations with three significant digits, a dash when unknown', () => {
    expect(formatMs(0.4217)).toBe('0.42 ms');
    expect(formatMs(12.345)).toBe('12.3 ms');
    expect(formatMs(145.6)).toBe('146 ms');
    expect(formatMs(null)).toBe('—');
    expect(formatMs(Number.NaN)).toBe('—');
  });

  it('writes rates with one decimal', () => {
    expect(formatPerSecond(4.96)).toBe('5.0/s');
    expect(formatPerSecond(0)).toBe('0.0/s');
    expect(formatPerSecond(null)).toBe('—');
  });

  it('writes factors with one decimal below 100', () => {
    expect(formatFactor(7.456)).toBe('7.5×');
    expect(formatFactor(99.94)).toBe('99.9×');
    expect(formatFactor(123.4)).toBe('123×');
    expect(formatFactor(null)).toBe('—');
    expect(formatFactor(Infinity)).toBe('—');
  });
});

describe('probabilities and differences', () => {
  it('writes a probability as a percentage with one decimal', () => {
    expect(formatProb(0.98765)).toBe('98.8%');
    expect(formatProb(1)).toBe('100.0%');
    expect(formatProb(0)).toBe('0.0%');
    expect(formatRate(0.5)).toBe('50.0%');
    expect(formatRate(null)).toBe('—');
  });

  it('writes tiny differences in scientific notation and others with three digits', () => {
    expect(formatDiff(0)).toBe('0');
    expect(formatDiff(3.24e-7)).toBe('3.2e-7');
    expect(formatDiff(0.00038)).toBe('3.8e-4');
    expect(formatDiff(0.001)).toBe('0.001');
    expect(formatDiff(0.012345)).toBe('0.0123');
    expect(formatDiff(0.5)).toBe('0.5');
    expect(formatDiff(null)).toBe('—');
  });

  it('writes differences that parse back to the value within the printed precision', () => {
    for (const d of [1.26e-8, 4.4e-5, 0.0371, 0.999]) {
      const back = Number(formatDiff(d));
      // Two significant digits below 1e-3, three above: relative error at most 5e-2 and 5e-3.
      expect(Math.abs(back - d) / d).toBeLessThanOrEqual(d < 1e-3 ? 0.05 : 0.005);
    }
  });
});

describe('formatCount and formatVideoTime', () => {
  it('groups thousands with a narrow space, whatever the locale', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(2_724_304)).toBe('2\u202f724\u202f304');
    expect(formatCount(1000.4)).toBe('1\u202f000');
  });

  it('writes video times as m:ss.s', () => {
    expect(formatVideoTime(0)).toBe('0:00.0');
    expect(formatVideoTime(4)).toBe('0:04.0');
    expect(formatVideoTime(63.25)).toBe('1:03.3');
    expect(formatVideoTime(59.96)).toBe('1:00.0');
    expect(formatVideoTime(-2)).toBe('0:00.0');
    expect(() => formatVideoTime(Number.NaN)).toThrow(/finite/);
  });
});

describe('progressFraction', () => {
  it('clamps to [0, 1] and is null without a total', () => {
    expect(progressFraction(250, 1000)).toBe(0.25);
    expect(progressFraction(1200, 1000)).toBe(1);
    expect(progressFraction(-5, 1000)).toBe(0);
    expect(progressFraction(10, 0)).toBeNull();
    expect(progressFraction(Number.NaN, 10)).toBeNull();
  });
});
