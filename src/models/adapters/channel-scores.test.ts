import { describe, expect, it } from 'vitest';
import { activationProjectScores, l1ExpandScores, PRUNING_CRITERIA } from './channel-scores';

describe('channel scores', () => {
  it('l1-expand sums |w| over input channels, per output channel', () => {
    // [in = 2, out = 3]: row-major, value (i, c) at i * 3 + c.
    const kernel = [1, -2, 0.5, -3, 4, 0];
    expect(Array.from(l1ExpandScores(kernel, 2, 3))).toEqual([4, 6, 0.5]);
  });

  it('activation-project is the activation spread times the L2 norm of the project row', () => {
    // [channels = 2, out = 2]: row 0 = (3, 4) of norm 5, row 1 = (0, -2) of norm 2.
    const project = [3, 4, 0, -2];
    expect(Array.from(activationProjectScores([0.5, 3], project, 2, 2))).toEqual([2.5, 6]);
    // A silent channel scores 0 however large its weights.
    expect(Array.from(activationProjectScores([0, 1], project, 2, 2))).toEqual([0, 2]);
  });

  it('rejects arrays of the wrong size', () => {
    expect(() => l1ExpandScores([1, 2, 3], 2, 2)).toThrow('expand kernel has 3 values, expected 4');
    expect(() => activationProjectScores([1], [1, 2], 2, 1)).toThrow(
      'activation spread has 1 values, expected 2',
    );
    expect(() => activationProjectScores([1, 2], [1, 2, 3], 2, 1)).toThrow(
      'project kernel has 3 values, expected 2',
    );
  });

  it('lists both criteria', () => {
    expect(PRUNING_CRITERIA).toEqual(['l1-expand', 'activation-project']);
  });
});
