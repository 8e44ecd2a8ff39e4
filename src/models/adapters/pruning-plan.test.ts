import { describe, expect, it } from 'vitest';
import { keptCount, planPruning, topChannels } from './pruning-plan';
import { tinyMovinetSpec } from './testing';

describe('keptCount', () => {
  it('keeps round(channels * (1 - ratio)), at least one', () => {
    expect(keptCount(184, 0.3)).toBe(129); // 128.8
    expect(keptCount(184, 0.5)).toBe(92);
    expect(keptCount(184, 0.7)).toBe(55); // 55.2
    expect(keptCount(7, 0.5)).toBe(4); // 3.5 rounds up
    expect(keptCount(24, 0)).toBe(24);
    expect(keptCount(3, 0.99)).toBe(1);
  });

  it('rejects ratios outside [0, 1) and non-integer widths', () => {
    expect(() => keptCount(8, 1)).toThrow('the prune ratio must be in [0, 1), got 1');
    expect(() => keptCount(8, -0.1)).toThrow('got -0.1');
    expect(() => keptCount(8, Number.NaN)).toThrow('got NaN');
    expect(() => keptCount(0, 0.5)).toThrow('channels must be a positive integer, got 0');
    expect(() => keptCount(2.5, 0.5)).toThrow('got 2.5');
  });
});

describe('topChannels', () => {
  it('returns the indices of the largest scores, ascending', () => {
    expect(topChannels([0.1, 5, 3, 4, -1], 3)).toEqual([1, 2, 3]);
    expect(topChannels([0.1, 5, 3, 4, -1], 1)).toEqual([1]);
    expect(topChannels([2, 1], 2)).toEqual([0, 1]);
  });

  it('breaks ties towards the lower index', () => {
    expect(topChannels([1, 2, 2, 2], 2)).toEqual([1, 2]);
    expect(topChannels([0, 0, 0], 1)).toEqual([0]);
  });

  it('rejects a count outside [1, n] and NaN scores', () => {
    expect(() => topChannels([1, 2], 0)).toThrow('count must be in [1, 2], got 0');
    expect(() => topChannels([1, 2], 3)).toThrow('got 3');
    expect(() => topChannels([1, Number.NaN], 1)).toThrow('score 1 is NaN');
  });
});

describe('planPruning', () => {
  const spec = tinyMovinetSpec();
  const scores = new Map([
    ['b0_l0', [8, 7, 6, 5, 4, 3, 2, 1]],
    ['b1_l0', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
    ['b2_l0', [1, 9, 1, 9, 1, 9, 5]],
  ]);

  it('keeps the top channels of every layer', () => {
    const plan = planPruning(spec, scores, 0.5, 'l1-expand');
    expect(plan).toEqual({
      ratio: 0.5,
      criterion: 'l1-expand',
      layers: [
        { layer: 'b0_l0', denseChannels: 8, kept: [0, 1, 2, 3] },
        { layer: 'b1_l0', denseChannels: 10, kept: [5, 6, 7, 8, 9] },
        { layer: 'b2_l0', denseChannels: 7, kept: [1, 3, 5, 6] },
      ],
    });
  });

  it('refuses to prune an already pruned layer', () => {
    const layers = spec.layers.map((l, i) => (i === 1 ? { ...l, keptChannels: [0, 1] } : l));
    expect(() => planPruning({ ...spec, layers }, scores, 0.5, 'l1-expand')).toThrow(
      'planPruning: b1_l0 is already pruned',
    );
  });

  it('rejects missing or mis-sized scores', () => {
    const missing = new Map(scores);
    missing.delete('b1_l0');
    expect(() => planPruning(spec, missing, 0.5, 'l1-expand')).toThrow('no scores for b1_l0');
    const short = new Map(scores).set('b2_l0', [1, 2]);
    expect(() => planPruning(spec, short, 0.5, 'l1-expand')).toThrow(
      'b2_l0 has 7 inner channels but 2 scores',
    );
  });
});
