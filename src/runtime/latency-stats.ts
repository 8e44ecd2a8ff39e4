/**
 * Latency statistics over the most recent measurements: a fixed-size ring buffer, so a long
 * session costs constant memory and the figures follow the present rather than the start-up.
 */

/** What {@link LatencyStats.summary} reports, in the unit of the samples (ms). */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The `p`-th percentile (0..100) of sorted values, interpolating linearly between the two closest
 * ranks (rank = p/100 * (n - 1), the definition of NumPy's default and of Excel's PERCENTILE.INC).
 * Returns null for no values.
 */
export function percentileOfSorted(sorted: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new Error(`A percentile lies in [0, 100], got ${p}.`);
  const n = sorted.length;
  if (n === 0) return null;
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

/** A ring buffer of the last `capacity` latencies with their mean and percentiles. */
export class LatencyStats {
  /** Most samples kept; older ones are overwritten. */
  readonly capacity: number;
  private readonly ring: Float64Array;
  /** Next slot to write. */
  private head = 0;
  private size = 0;

  constructor(capacity = 120) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`LatencyStats needs a positive integer capacity, got ${capacity}.`);
    }
    this.capacity = capacity;
    this.ring = new Float64Array(capacity);
  }

  /** Samples held (at most `capacity`). */
  get count(): number {
    return this.size;
  }

  /** Adds a sample, overwriting the oldest when full. Rejects negative or non-finite values. */
  push(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new Error(`A latency is a finite, non-negative number, got ${ms}.`);
    }
    this.ring[this.head] = ms;
    this.head = (this.head + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** The held samples, oldest first. */
  values(): number[] {
    const start = (this.head - this.size + this.capacity) % this.capacity;
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.ring[(start + i) % this.capacity] as number);
    return out;
  }

  /** Mean of the held samples, null when empty. */
  mean(): number | null {
    if (this.size === 0) return null;
    let sum = 0;
    for (const v of this.values()) sum += v;
    return sum / this.size;
  }

  /** The `p`-th percentile (0..100) of the held samples (see {@link percentileOfSorted}). */
  percentile(p: number): number | null {
    return percentileOfSorted(this.sorted(), p);
  }

  /** Count, mean, median, 95th percentile, min and max; null when empty. */
  summary(): LatencySummary | null {
    const sorted = this.sorted();
    const n = sorted.length;
    if (n === 0) return null;
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      count: n,
      mean: sum / n,
      p50: percentileOfSorted(sorted, 50) as number,
      p95: percentileOfSorted(sorted, 95) as number,
      min: sorted[0] as number,
      max: sorted[n - 1] as number,
    };
  }

  /** Forgets every sample (e.g. after a backend or model change). */
  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  private sorted(): number[] {
    return this.values().sort((a, b) => a - b);
  }
}
