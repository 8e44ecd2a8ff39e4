/**
 * Events per second over a sliding window (frames in, predictions out). A ring of timestamps:
 * constant memory, and the rate follows the present.
 */

/** Counts events in the last `windowMs` milliseconds. */
export class RateMeter {
  readonly windowMs: number;
  private readonly times: Float64Array;
  private head = 0;
  private size = 0;

  /** `capacity` bounds the events remembered (enough for the highest rate times the window). */
  constructor(windowMs = 4000, capacity = 1024) {
    if (!(windowMs > 0)) throw new Error(`A rate window must be positive, got ${windowMs}.`);
    if (!(Number.isInteger(capacity) && capacity > 0)) {
      throw new Error(`A rate meter needs a positive integer capacity, got ${capacity}.`);
    }
    this.windowMs = windowMs;
    this.times = new Float64Array(capacity);
  }

  /** Records an event at `now` (ms, non-decreasing). */
  tick(now: number): void {
    this.times[this.head] = now;
    this.head = (this.head + 1) % this.times.length;
    this.size = Math.min(this.size + 1, this.times.length);
  }

  /**
   * Events per second at `now`. Once the history reaches back past the window, it is the count in
   * (now - window, now] over the window (steady, and falling to 0 when events stop). Before that
   * (start-up), n events span n - 1 intervals from the oldest to the newest; null with fewer
   * than two events.
   */
  rate(now: number): number | null {
    const n = this.times.length;
    let count = 0;
    let oldest = now;
    let newest = now;
    for (let i = 1; i <= this.size; i++) {
      const t = this.times[(this.head - i + n) % n] as number;
      if (t <= now - this.windowMs) {
        // An older event exists: the window is fully covered.
        return (count * 1000) / this.windowMs;
      }
      if (count === 0) newest = t;
      count++;
      oldest = t;
    }
    if (count < 2 || newest <= oldest) return null;
    return ((count - 1) * 1000) / (newest - oldest);
  }

  /** Forgets every event. */
  clear(): void {
    this.head = 0;
    this.size = 0;
  }
}
