import { describe, expect, it } from 'vitest';
import { compensateRemovedMeans } from './mean-compensation';
import type { PlainTensor } from './movinet-tensors';
import type { PruningPlan } from './pruning-plan';

describe('compensateRemovedMeans', () => {
  // One layer of 3 inner channels into 2 outputs; channel 1 is kept.
  const dense = new Map<string, PlainTensor>([
    ['l/project/kernel', { shape: [1, 1, 1, 3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
  ]);
  const compact = new Map<string, PlainTensor>([
    ['l/project/kernel', { shape: [1, 1, 1, 1, 2], data: Float32Array.from([3, 4]) }],
    ['l/project/bias', { shape: [2], data: Float32Array.from([0.5, -0.5]) }],
    ['l/rezero', { shape: [2], data: Float32Array.from([1, 1]) }],
  ]);
  const plan: PruningPlan = {
    ratio: 0.5,
    criterion: 'activation-project',
    layers: [{ layer: 'l', denseChannels: 3, kept: [1] }],
  };

  it('adds the removed channels’ mean contributions to the project bias', () => {
    const out = compensateRemovedMeans(compact, dense, plan, new Map([['l', [10, 20, 30]]]));
    // 10 * (1, 2) + 30 * (5, 6) = (160, 200); the kept channel's mean (20) is not added.
    expect(Array.from(out.get('l/project/bias')?.data ?? [])).toEqual([160.5, 199.5]);
    expect(out.get('l/project/kernel')).toBe(compact.get('l/project/kernel'));
    expect(out.get('l/rezero')).toBe(compact.get('l/rezero'));
    // The input is not modified.
    expect(Array.from(compact.get('l/project/bias')?.data ?? [])).toEqual([0.5, -0.5]);
  });

  it('changes nothing for channels of mean 0', () => {
    const out = compensateRemovedMeans(compact, dense, plan, new Map([['l', [0, 7, 0]]]));
    expect(Array.from(out.get('l/project/bias')?.data ?? [])).toEqual([0.5, -0.5]);
  });

  it('rejects missing weights or statistics', () => {
    expect(() => compensateRemovedMeans(compact, dense, plan, new Map())).toThrow(
      'mean compensation: l needs 3 channel means',
    );
    expect(() => compensateRemovedMeans(compact, dense, plan, new Map([['l', [1, 2]]]))).toThrow(
      'l needs 3 channel means',
    );
    expect(() =>
      compensateRemovedMeans(new Map(), dense, plan, new Map([['l', [1, 2, 3]]])),
    ).toThrow('no project weights for l');
    const wide = { ...plan, layers: [{ layer: 'l', denseChannels: 4, kept: [1] }] };
    expect(() =>
      compensateRemovedMeans(compact, dense, wide, new Map([['l', [1, 2, 3, 4]]])),
    ).toThrow("l's dense project kernel is not [4, 2]");
  });
});
