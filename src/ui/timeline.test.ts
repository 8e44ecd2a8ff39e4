import { describe, expect, it } from 'vitest';
import { ClassColors, binTimeline, legendOf, type TimelineSample } from './timeline';

const s = (t: number, cls: number, prob: number): TimelineSample => ({ t, cls, prob });

describe('binTimeline', () => {
  it('puts samples of (now - window, now] into equal bins, oldest first', () => {
    // Window 1000 ms ending at 1000, 4 bins of 250 ms: (0,250] (250,500] (500,750] (750,1000].
    const bins = binTimeline([s(100, 7, 0.9), s(600, 3, 0.5), s(1000, 3, 0.7)], 1000, 1000, 4);
    expect(bins).toEqual([
      { cls: 7, prob: 0.9, count: 1 },
      null,
      { cls: 3, prob: 0.5, count: 1 },
      {
        cls: 3,
        prob: 0.7,
        count: 1,
      },
    ]);
  });

  it('drops samples at or before the window start and after now', () => {
    const bins = binTimeline([s(0, 1, 1), s(-50, 1, 1), s(1001, 1, 1)], 1000, 1000, 2);
    expect(bins).toEqual([null, null]);
  });

  it('keeps the class most often top-1 in a bin, with its mean probability', () => {
    const bins = binTimeline(
      [s(10, 4, 0.6), s(20, 9, 0.99), s(30, 4, 0.8), s(40, 4, 0.7)],
      100,
      100,
      1,
    );
    expect(bins[0]?.cls).toBe(4);
    expect(bins[0]?.prob).toBeCloseTo(0.7, 12);
    expect(bins[0]?.count).toBe(4);
  });

  it('breaks count ties by summed probability, then by the lower class index', () => {
    const byProb = binTimeline([s(10, 5, 0.4), s(20, 2, 0.9)], 100, 100, 1);
    expect(byProb[0]?.cls).toBe(2);
    const byIndex = binTimeline([s(10, 5, 0.5), s(20, 2, 0.5)], 100, 100, 1);
    expect(byIndex[0]?.cls).toBe(2);
    const byIndexReversed = binTimeline([s(10, 2, 0.5), s(20, 5, 0.5)], 100, 100, 1);
    expect(byIndexReversed[0]?.cls).toBe(2);
  });

  it('refuses a bad window or bin count', () => {
    expect(() => binTimeline([], 0, 0, 10)).toThrow(/window/);
    expect(() => binTimeline([], 0, 1000, 0)).toThrow(/bins/);
    expect(() => binTimeline([], 0, 1000, 1.5)).toThrow(/bins/);
  });
});

describe('legendOf', () => {
  it('lists classes by the share of filled bins they hold', () => {
    const legend = legendOf([
      { cls: 3, prob: 1, count: 1 },
      null,
      { cls: 8, prob: 1, count: 1 },
      { cls: 3, prob: 1, count: 2 },
      { cls: 1, prob: 1, count: 1 },
      { cls: 3, prob: 1, count: 1 },
    ]);
    expect(legend).toEqual([
      { cls: 3, share: 0.6 },
      { cls: 1, share: 0.2 },
      { cls: 8, share: 0.2 },
    ]);
    expect(legendOf([null, null])).toEqual([]);
  });
});

describe('ClassColors', () => {
  it('gives new classes free colours and keeps a class on its colour', () => {
    const c = new ClassColors(['a', 'b', 'c']);
    expect(c.colorOf(10, 0)).toBe('a');
    expect(c.colorOf(20, 1)).toBe('b');
    expect(c.colorOf(10, 2)).toBe('a');
    expect(c.colorOf(30, 3)).toBe('c');
  });

  it('when full, reuses the colour of the class seen least recently', () => {
    const c = new ClassColors(['a', 'b']);
    c.colorOf(1, 0); // a
    c.colorOf(2, 1); // b
    c.colorOf(1, 2); // 1 seen again: 2 is now the stalest
    expect(c.colorOf(3, 3)).toBe('b');
    expect(c.colorOf(1, 4)).toBe('a');
    // 2 lost its colour: it comes back on the stalest one (3's, seen at 3 < 4).
    expect(c.colorOf(2, 5)).toBe('b');
  });

  it('starts over after clear, and needs a palette', () => {
    const c = new ClassColors(['a', 'b']);
    c.colorOf(5, 0);
    c.colorOf(6, 0);
    c.clear();
    expect(c.colorOf(6, 1)).toBe('a');
    expect(() => new ClassColors([])).toThrow(/at least one/);
  });
});
