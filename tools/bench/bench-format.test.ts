import { describe, expect, it } from 'vitest';
import {
  derive,
  formatBytes,
  formatMs,
  formatTable,
  quantile,
  rowCells,
  summarize,
  validateRow,
  type BenchRow,
} from './bench-format';

const row: BenchRow = {
  model: 'cox3d-s',
  backend: 'wasm',
  backendDetail: 'WASM with SIMD and 2 threads',
  stepMs: { median: 10, p95: 12.5, n: 100 },
  clipMs: { median: 150, p95: 160, n: 5 },
  measuredSpeedup: 15,
  flopRatio: 13,
  stepsPerSecond: 100,
  stateBytes: 2_500_000,
  weightBytes: 12_000,
  firstPredictionMs: 2500,
  kernelsPerStep: 700,
  topKernels: [{ name: '_FusedMatMul', ms: 3, count: 37 }],
  numTensorsBefore: 271,
  numTensorsAfter: 271,
  reference: null,
};

describe('quantile / summarize', () => {
  it('interpolates between closest ranks like NumPy', () => {
    // sorted [1,2,3,4]: median at rank 1.5 -> 2.5; p95 at rank 2.85 -> 3.85; exact in binary to 1e-12.
    expect(quantile([4, 1, 3, 2], 0.5)).toBeCloseTo(2.5, 12);
    expect(quantile([4, 1, 3, 2], 0.95)).toBeCloseTo(3.85, 12);
    expect(quantile([4, 1, 3, 2], 0)).toBe(1);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
    expect(quantile([7], 0.95)).toBe(7);
  });
  it('does not reorder its input', () => {
    const v = [3, 1, 2];
    quantile(v, 0.5);
    expect(v).toEqual([3, 1, 2]);
  });
  it('rejects an empty list and q outside [0, 1]', () => {
    expect(() => quantile([], 0.5)).toThrow(RangeError);
    expect(() => quantile([1], -0.01)).toThrow(/\[0, 1\]/);
    expect(() => quantile([1], 1.01)).toThrow(/\[0, 1\]/);
    expect(() => quantile([1], Number.NaN)).toThrow(RangeError);
  });
  it('summarize gives median, p95 and n', () => {
    const values = Array.from({ length: 101 }, (_, i) => i); // 0..100: ranks equal values
    expect(summarize(values)).toEqual({ median: 50, p95: 95, n: 101 });
  });
});

describe('derive', () => {
  it('computes speed-up, FLOP ratio (MACs + elementwise) and steps/s', () => {
    const d = derive(
      { median: 4, p95: 5, n: 3 },
      { median: 60, p95: 70, n: 3 },
      { macs: 90, elementwise: 10 },
      { macs: 1200, elementwise: 100 },
    );
    expect(d.measuredSpeedup).toBe(15);
    expect(d.flopRatio).toBe(13);
    expect(d.stepsPerSecond).toBe(250);
  });
  it('gives FLOP ratio 0 rather than Infinity for a zero-cost step', () => {
    const s = { median: 1, p95: 1, n: 1 };
    expect(derive(s, s, { macs: 0, elementwise: 0 }, { macs: 5, elementwise: 0 }).flopRatio).toBe(
      0,
    );
  });
});

describe('formatting', () => {
  it('formats bytes in decimal units at the unit boundaries', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1 kB');
    expect(formatBytes(999_499)).toBe('999 kB');
    expect(formatBytes(1_000_000)).toBe('1.00 MB');
    expect(formatBytes(2_685_696)).toBe('2.69 MB');
  });
  it('formats ms with precision by size', () => {
    expect(formatMs(0.12345)).toBe('0.123');
    expect(formatMs(1)).toBe('1.0');
    expect(formatMs(99.94)).toBe('99.9');
    expect(formatMs(100)).toBe('100');
    expect(formatMs(1234.6)).toBe('1235');
  });
  it('fills the row cells, with the TFLite ratio when present', () => {
    const cells = rowCells(row);
    expect(cells).toEqual([
      'cox3d-s',
      'wasm',
      '10.0 / 12.5',
      '150 / 160',
      '15.0x',
      '13.0x',
      '100.0',
      '2.50 MB',
      '12 kB',
      '2500',
      '700',
      '271/271',
      '-',
    ]);
    const withRef = rowCells({
      ...row,
      reference: {
        runtime: 'tflite',
        stepMs: { median: 8, p95: 9, n: 10 },
        ratioTheirsOverOurs: 0.8,
      },
    });
    expect(withRef[12]).toBe('8.0 (x0.80)');
  });
  it('pads columns to equal width with a rule under the header', () => {
    const lines = formatTable([row, { ...row, model: 'movinet-a0-stream' }]).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]?.startsWith('model             | backend')).toBe(true);
    expect(lines[1]).toMatch(/^-+(-\+-+)+$/);
    // Every line's column separators sit at the same offsets.
    const bars = (l: string): number[] => [...l].flatMap((ch, i) => (ch === '|' ? [i] : []));
    expect(bars(lines[2] ?? '')).toEqual(bars(lines[0] ?? ''));
    expect(bars(lines[3] ?? '')).toEqual(bars(lines[0] ?? ''));
    expect(bars(lines[0] ?? '')).toHaveLength(12);
  });
});

describe('validateRow', () => {
  it('accepts a complete row, with or without a reference', () => {
    expect(validateRow(row)).toEqual([]);
    const ref = { runtime: 't', stepMs: { median: 1, p95: 2, n: 1 }, ratioTheirsOverOurs: 1 };
    expect(validateRow({ ...row, reference: ref })).toEqual([]);
  });
  it('names each broken field', () => {
    expect(validateRow(null)).toEqual(['row is not an object']);
    expect(validateRow({ ...row, model: '' })).toEqual(['model must be a non-empty string']);
    expect(validateRow({ ...row, stepMs: { median: 2, p95: 1, n: 3 } })).toEqual([
      'stepMs must be {median, p95 >= median, n > 0}',
    ]);
    expect(validateRow({ ...row, clipMs: { median: 1, p95: 1, n: 0 } })).toHaveLength(1);
    expect(validateRow({ ...row, measuredSpeedup: Number.NaN })).toEqual([
      'measuredSpeedup must be a finite number >= 0',
    ]);
    expect(validateRow({ ...row, stateBytes: -1 })).toHaveLength(1);
    expect(validateRow({ ...row, topKernels: 'x' })).toEqual(['topKernels must be an array']);
    expect(validateRow({ ...row, reference: { stepMs: 1 } })).toHaveLength(1);
    const { kernelsPerStep: _, ...missing } = row;
    expect(validateRow(missing)).toEqual(['kernelsPerStep must be a finite number >= 0']);
  });
});
