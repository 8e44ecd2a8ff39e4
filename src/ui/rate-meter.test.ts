import { describe, expect, it } from 'vitest';
import { RateMeter } from './rate-meter';

describe('RateMeter', () => {
  it('has no rate with fewer than two events', () => {
    const m = new RateMeter(1000);
    expect(m.rate(0)).toBeNull();
    m.tick(0);
    expect(m.rate(10)).toBeNull();
  });

  it('measures the start-up rate over the span the events cover', () => {
    const m = new RateMeter(4000);
    for (let t = 0; t <= 1000; t += 200) m.tick(t); // 6 events, 5 intervals of 200 ms
    expect(m.rate(1000)).toBeCloseTo(5, 12);
    // Between events the start-up rate does not sag.
    expect(m.rate(1150)).toBeCloseTo(5, 12);
  });

  it('counts events over the window once history reaches past it', () => {
    const m = new RateMeter(2000);
    for (let t = 0; t <= 5000; t += 100) m.tick(t); // 10 per second
    expect(m.rate(5000)).toBeCloseTo(10, 12);
    // 50 ms later the window (3050, 5050] still holds 20 events.
    expect(m.rate(5050)).toBeCloseTo(10, 12);
  });

  it('falls to zero after the events stop', () => {
    const m = new RateMeter(2000);
    for (let t = 0; t <= 5000; t += 100) m.tick(t);
    expect(m.rate(6000)).toBeCloseTo(5, 12); // (4000, 6000] holds 10 events
    expect(m.rate(8000)).toBe(0);
  });

  it('forgets events beyond its capacity and on clear', () => {
    const m = new RateMeter(10_000, 4);
    for (let t = 0; t <= 900; t += 100) m.tick(t);
    // Only 600..900 remain: 3 intervals over 300 ms.
    expect(m.rate(900)).toBeCloseTo(10, 12);
    m.clear();
    expect(m.rate(900)).toBeNull();
  });

  it('refuses a bad window or capacity', () => {
    expect(() => new RateMeter(0)).toThrow(/positive/);
    expect(() => new RateMeter(1000, 0)).toThrow(/capacity/);
    expect(() => new RateMeter(1000, 2.5)).toThrow(/capacity/);
  });
});
