import { describe, expect, it } from 'vitest';
import { parseLabels, softmax, topK } from './top-k';

describe('softmax', () => {
  it('matches hand-computed values', () => {
    // e^0 : e^1 : e^2 normalised; exact values to float64 precision.
    const p = softmax([0, 1, 2]);
    const z = 1 + Math.E + Math.E ** 2;
    expect(p[0]).toBeCloseTo(1 / z, 15);
    expect(p[1]).toBeCloseTo(Math.E / z, 15);
    expect(p[2]).toBeCloseTo(Math.E ** 2 / z, 15);
  });

  it('is shift invariant and does not overflow on large logits', () => {
    const p = softmax([1000, 1001, 1002]);
    const q = softmax([0, 1, 2]);
    for (let i = 0; i < 3; i++) expect(p[i]).toBeCloseTo(q[i] ?? Number.NaN, 15);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
  });

  it('gives equal logits equal probability', () => {
    expect(Array.from(softmax([3, 3, 3, 3]))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('rejects an empty input', () => {
    expect(() => softmax([])).toThrow(/no logits/);
  });
});

describe('topK', () => {
  const labels = ['a', 'b', 'c', 'd'];

  it('ranks best first with labels and indices', () => {
    expect(topK([0.1, 0.4, 0.2, 0.3], 3, labels)).toEqual([
      { index: 1, label: 'b', prob: 0.4 },
      { index: 3, label: 'd', prob: 0.3 },
      { index: 2, label: 'c', prob: 0.2 },
    ]);
  });

  it('keeps the lower index first on ties', () => {
    expect(topK([0.25, 0.25, 0.25, 0.25], 2, labels).map((c) => c.index)).toEqual([0, 1]);
  });

  it('returns every class when k exceeds their number', () => {
    expect(topK([0.5, 0.5, 0, 0], 10, labels)).toHaveLength(4);
  });

  it('rejects a label count that differs from the scores and a bad k', () => {
    expect(() => topK([0.5, 0.5], 1, labels)).toThrow(/2 scores but 4 labels/);
    expect(() => topK([1, 0, 0, 0], 0, labels)).toThrow(/positive integer/);
    expect(() => topK([1, 0, 0, 0], 1.5, labels)).toThrow(/positive integer/);
  });
});

describe('parseLabels', () => {
  it('splits LF and CRLF lines and drops one trailing newline', () => {
    expect(parseLabels('abseiling\nair drumming\n')).toEqual(['abseiling', 'air drumming']);
    expect(parseLabels('a\r\nb')).toEqual(['a', 'b']);
  });

  it('keeps empty lines inside the file (class indices must not shift)', () => {
    expect(parseLabels('a\n\nc\n')).toEqual(['a', '', 'c']);
  });
});
