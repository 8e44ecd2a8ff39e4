import { describe, expect, it } from 'vitest';
import { EMPTY_AGREEMENT, addAgreement, agreementRate } from './agreement';

describe('agreement tally', () => {
  it('has no rate and no difference before the first comparison', () => {
    expect(agreementRate(EMPTY_AGREEMENT)).toBeNull();
    expect(EMPTY_AGREEMENT.maxAbsDiff).toBeNull();
  });

  it('counts agreeing frames and keeps the largest difference', () => {
    const frames = [
      { top1Agree: true, maxAbsDiff: 1e-7 },
      { top1Agree: false, maxAbsDiff: 0.25 },
      { top1Agree: true, maxAbsDiff: 0.01 },
      { top1Agree: true, maxAbsDiff: 0 },
    ];
    const tally = frames.reduce(addAgreement, EMPTY_AGREEMENT);
    expect(tally).toEqual({ compared: 4, agreed: 3, maxAbsDiff: 0.25 });
    expect(agreementRate(tally)).toBe(0.75);
  });

  it('reports an exact zero difference as 0, not as "none"', () => {
    const tally = addAgreement(EMPTY_AGREEMENT, { top1Agree: true, maxAbsDiff: 0 });
    expect(tally.maxAbsDiff).toBe(0);
    expect(agreementRate(tally)).toBe(1);
  });

  it('does not change the tally it is given', () => {
    const before = addAgreement(EMPTY_AGREEMENT, { top1Agree: false, maxAbsDiff: 0.5 });
    addAgreement(before, { top1Agree: true, maxAbsDiff: 0.9 });
    expect(before).toEqual({ compared: 1, agreed: 0, maxAbsDiff: 0.5 });
  });

  it('refuses a negative or non-finite difference', () => {
    expect(() => addAgreement(EMPTY_AGREEMENT, { top1Agree: true, maxAbsDiff: -1e-9 })).toThrow(
      /non-negative/,
    );
    expect(() =>
      addAgreement(EMPTY_AGREEMENT, { top1Agree: true, maxAbsDiff: Number.NaN }),
    ).toThrow(/finite/);
  });
});
