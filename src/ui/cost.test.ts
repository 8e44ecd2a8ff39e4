import { describe, expect, it } from 'vitest';
import { EMPTY_STEPS, addStep, multiplyAdds, stepSpeedup, summarizeCost } from './cost';

// MoViNet-A0-Stream at 172x172 costs about these (multiply-adds); the numbers only need to be
// distinct so that a swapped term shows.
const step = { macs: 50_000_000, elementwise: 3_000_000 };
const clip = { macs: 400_000_000, elementwise: 24_000_000 };

describe('step tally', () => {
  it('counts every step and the steps that predicted', () => {
    let t = EMPTY_STEPS;
    for (const predicted of [false, false, true, true, true]) t = addStep(t, predicted);
    expect(t).toEqual({ steps: 5, predictions: 3 });
    expect(EMPTY_STEPS).toEqual({ steps: 0, predictions: 0 });
  });
});

describe('summarizeCost', () => {
  it('charges a step per frame continually and a clip per prediction clip-based', () => {
    const s = summarizeCost({ steps: 10, predictions: 8 }, step, clip);
    expect(s.continual).toBe(500_000_000);
    expect(s.clipBased).toBe(3_200_000_000);
    expect(s.saved).toBe(2_700_000_000);
    expect(s.ratio).toBeCloseTo(6.4, 12);
  });

  it('tends to clip / step once the start-up is a small part of the stream', () => {
    const s = summarizeCost({ steps: 100_000, predictions: 99_990 }, step, clip);
    expect(s.ratio).toBeCloseTo((8 * 99_990) / 100_000, 9);
    expect(s.ratio as number).toBeLessThan(8);
  });

  it('counts FLOPs as multiply-adds (elementwise work is not in the papers figures)', () => {
    expect(multiplyAdds(step)).toBe(50_000_000);
    const s = summarizeCost({ steps: 1, predictions: 1 }, step, clip);
    expect(s.saved).toBe(350_000_000);
  });

  it('is negative while the buffers fill (no prediction yet)', () => {
    const s = summarizeCost({ steps: 3, predictions: 0 }, step, clip);
    expect(s.saved).toBe(-150_000_000);
    expect(s.ratio).toBe(0);
  });

  it('has no ratio before any step and refuses impossible tallies', () => {
    expect(summarizeCost(EMPTY_STEPS, step, clip)).toEqual({
      continual: 0,
      clipBased: 0,
      saved: 0,
      ratio: null,
    });
    expect(() => summarizeCost({ steps: 1, predictions: 2 }, step, clip)).toThrow(
      /2 predictions cannot come from 1 steps/,
    );
  });
});

describe('stepSpeedup', () => {
  it('is clip / step, and null for a free step', () => {
    expect(stepSpeedup(step, clip)).toBe(8);
    expect(stepSpeedup({ macs: 0, elementwise: 5 }, clip)).toBeNull();
  });
});
