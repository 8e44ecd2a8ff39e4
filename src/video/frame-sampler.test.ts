import { describe, expect, it } from 'vitest';
import { FrameSampler, sampleTimestamps } from './frame-sampler';
import { seededRandom } from '../continual/testing';

/** Timestamps of `count` frames at `fps`, from `start`. */
function steady(fps: number, count: number, start = 0): number[] {
  return Array.from({ length: count }, (_, i) => start + i / fps);
}

const gaps = (xs: readonly number[]) => xs.slice(1).map((x, i) => x - (xs[i] as number));

describe('FrameSampler at constant rates', () => {
  it('keeps every 6th frame of 30 fps at 5 fps', () => {
    const kept = sampleTimestamps(steady(30, 300), { targetFps: 5 });
    expect(kept).toEqual(Array.from({ length: 50 }, (_, k) => 6 * k));
  });

  it('keeps every frame when the source is at the target rate, and all of a slower one', () => {
    expect(sampleTimestamps(steady(5, 20), { targetFps: 5 })).toHaveLength(20);
    expect(sampleTimestamps(steady(3, 20), { targetFps: 5 })).toHaveLength(20);
  });

  it('keeps the frame nearest each instant at 24 fps (indices round(4.8 k))', () => {
    // 24/5 = 4.8 frames per period; fractional parts .8 .6 .4 .2 .0 never tie at .5.
    const kept = sampleTimestamps(steady(24, 240), { targetFps: 5 });
    expect(kept).toEqual(Array.from({ length: 50 }, (_, k) => Math.round(4.8 * k)));
    expect(kept.slice(0, 6)).toEqual([0, 5, 10, 14, 19, 24]);
  });

  it('follows the 29.97 fps grid: nearest frame to each instant, a 5-frame step every 33 s', () => {
    const fps = 30000 / 1001;
    // 40 s: instants k/5 fall at frame 5.994 k, whose fractional part never nears .5 for k <= 200.
    const kept = sampleTimestamps(steady(fps, 1199), { targetFps: 5 });
    expect(kept).toEqual(Array.from({ length: 200 }, (_, k) => Math.round(5.994 * k)));
    const steps = gaps(kept);
    expect(new Set(steps)).toEqual(new Set([5, 6]));
    // round(5.994 k) steps by 5 where the rounding rolls over: k = 84 (497.5 -> 503.5 region).
    expect(steps.filter((s) => s === 5)).toHaveLength(1);
    expect(steps.indexOf(5)).toBe(83);
  });

  it('keeps the average rate at the target over a long stream', () => {
    // 60 fps for 100 s -> 500 samples (instants 0, 0.2, ..., 99.8).
    expect(sampleTimestamps(steady(60, 6000), { targetFps: 5 })).toHaveLength(500);
    // 25 fps to 8 fps: 100 s -> 800 samples.
    expect(sampleTimestamps(steady(25, 2500), { targetFps: 8 })).toHaveLength(800);
  });
});

describe('FrameSampler with irregular timestamps', () => {
  it('keeps every 6th frame of 30 fps under +-8 ms jitter (less than half an interval)', () => {
    const rand = seededRandom(7);
    const jittered = steady(30, 300).map((t, i) => (i === 0 ? t : t + (rand() - 0.5) * 0.016));
    expect(sampleTimestamps(jittered, { targetFps: 5 })).toEqual(
      Array.from({ length: 50 }, (_, k) => 6 * k),
    );
  });

  it('samples a variable frame rate at the target rate, one frame per instant', () => {
    const rand = seededRandom(11);
    const ts = [0];
    // Intervals between 1/60 and 1/20 s, for 30 s.
    while ((ts[ts.length - 1] as number) < 30) {
      ts.push((ts[ts.length - 1] as number) + 1 / 60 + rand() * (1 / 20 - 1 / 60));
    }
    const kept = sampleTimestamps(ts, { targetFps: 5 }).map((i) => ts[i] as number);
    const duration = ts[ts.length - 1] as number;
    expect(kept.length).toBeGreaterThanOrEqual(Math.floor(duration * 5));
    expect(kept.length).toBeLessThanOrEqual(Math.ceil(duration * 5) + 1);
    // Each kept frame is within one source interval (<= 1/20 s) of its instant, so gaps between
    // kept frames stay within 0.2 +- 0.1 s, and no instant is served twice.
    for (const g of gaps(kept)) {
      expect(g).toBeGreaterThan(0.2 - 0.1);
      expect(g).toBeLessThan(0.2 + 0.1);
    }
    kept.forEach((t, k) => expect(Math.abs(t - 0.2 * k)).toBeLessThanOrEqual(1 / 20));
  });

  it('estimates the source interval as the median of recent intervals', () => {
    const s = new FrameSampler({ targetFps: 5 });
    expect(s.frameInterval).toBeNull();
    expect(s.nextInstant).toBeNull();
    for (const t of [0, 0.04, 0.08, 0.2, 0.24]) s.offer(t);
    // intervals .04 .04 .12 .04 -> median .04 (the outlier does not move it)
    expect(s.frameInterval).toBeCloseTo(0.04, 12);
    // kept 0 and 0.2 -> next instant 0.4
    expect(s.nextInstant).toBeCloseTo(0.4, 12);
  });
});

describe('FrameSampler discontinuities', () => {
  it('restarts on a seek backwards: keeps the first frame after it and samples from there', () => {
    const s = new FrameSampler({ targetFps: 5 });
    for (const t of steady(30, 90)) s.offer(t); // 0 .. 2.967 s
    const first = s.offer(1.0);
    expect(first).toEqual({ keep: true, discontinuity: 'seek-backward' });
    const after = steady(30, 30, 1.0 + 1 / 30).map((t) => s.offer(t));
    // From 1.0 on, every 6th frame again: 1.2 is the 6th after the seek frame.
    const keptAfter = after.flatMap((d, i) => (d.keep ? [i + 1] : []));
    expect(keptAfter).toEqual([6, 12, 18, 24, 30]);
    expect(after.every((d) => d.discontinuity === null)).toBe(true);
  });

  it('ignores a repeated timestamp (paused video) and resumes on the same grid', () => {
    const s = new FrameSampler({ targetFps: 5 });
    const before = steady(30, 31).map((t) => s.offer(t).keep); // 0 .. 1.0 s, keeps 0 6 .. 30
    expect(before.filter(Boolean)).toHaveLength(6);
    // Paused at 1.0 s: the same frame reported 20 times.
    for (let i = 0; i < 20; i++) {
      expect(s.offer(30 / 30)).toEqual({ keep: false, discontinuity: null });
    }
    // Also within the same-frame tolerance (0.5 ms later) counts as the same frame.
    expect(s.offer(1.0005)).toEqual({ keep: false, discontinuity: null });
    const resumed = steady(30, 12, 31 / 30).map((t) => s.offer(t));
    expect(resumed.flatMap((d, i) => (d.keep ? [31 + i] : []))).toEqual([36, 42]);
    expect(resumed.every((d) => d.discontinuity === null)).toBe(true);
  });

  it('treats a forward jump beyond maxGapSeconds as a gap and re-anchors the grid there', () => {
    const s = new FrameSampler({ targetFps: 5, maxGapSeconds: 0.5 });
    for (const t of steady(30, 10)) s.offer(t); // 0 .. 0.3 s
    // A 0.45 s step is no gap (and reaches instant 0.6, so the frame is kept).
    expect(s.offer(0.3 + 0.45)).toEqual({ keep: true, discontinuity: null });
    expect(s.offer(1.3)).toEqual({ keep: true, discontinuity: 'gap' }); // a 0.55 s step
    const after = steady(30, 12, 1.3 + 1 / 30).map((t) => s.offer(t));
    // On the grid from 1.3: 1.5 and 1.7 are the 6th and 12th frames after the jump.
    expect(after.flatMap((d, i) => (d.keep ? [i + 1] : []))).toEqual([6, 12]);
  });

  it('keeps the next frame after reset() with no discontinuity', () => {
    const s = new FrameSampler({ targetFps: 5 });
    s.offer(0);
    expect(s.offer(0.1).keep).toBe(false);
    s.reset();
    expect(s.frameInterval).toBeNull();
    expect(s.offer(0.1)).toEqual({ keep: true, discontinuity: null });
    expect(s.offer(0.2).keep).toBe(false);
    expect(s.offer(0.3).keep).toBe(true);
  });

  it('rejects bad options and timestamps', () => {
    expect(() => new FrameSampler({ targetFps: 0 })).toThrow(/positive/);
    expect(() => new FrameSampler({ targetFps: Number.NaN })).toThrow(/positive/);
    expect(() => new FrameSampler({ targetFps: 5, maxGapSeconds: 0 })).toThrow(/maxGapSeconds/);
    expect(() => new FrameSampler({ targetFps: 5, sameFrameSeconds: -1 })).toThrow(
      /sameFrameSeconds/,
    );
    expect(() => new FrameSampler({ targetFps: 5 }).offer(Number.NaN)).toThrow(/finite/);
    const s = new FrameSampler({ targetFps: 4 });
    expect(s.period).toBe(0.25);
    expect(s.maxGapSeconds).toBe(1);
    expect(s.sameFrameSeconds).toBe(0.001);
  });
});
