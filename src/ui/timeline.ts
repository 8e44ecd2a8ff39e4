/**
 * The timeline of top-1 classes: predictions binned over the last minute into bands, one colour
 * per class, and the legend of the classes on screen. Pure: the canvas component only paints.
 */

/** One prediction on the timeline. */
export interface TimelineSample {
  /** When it arrived, ms (page clock). */
  readonly t: number;
  /** Top-1 class index. */
  readonly cls: number;
  /** Its probability. */
  readonly prob: number;
}

/** One band of the timeline: the class most often top-1 in the bin. */
export interface TimelineBin {
  readonly cls: number;
  /** Mean probability of that class over the bin's samples where it was top-1. */
  readonly prob: number;
  /** Samples in the bin (all classes). */
  readonly count: number;
}

/**
 * Bins the samples of (now - windowMs, now] into `bins` equal slots, oldest first. A slot holds
 * the class that was top-1 most often in it (ties: the higher summed probability, then the lower
 * index), or null when no prediction fell in it.
 */
export function binTimeline(
  samples: Iterable<TimelineSample>,
  now: number,
  windowMs: number,
  bins: number,
): (TimelineBin | null)[] {
  if (!(windowMs > 0)) throw new Error(`The timeline window must be positive, got ${windowMs}.`);
  if (!(Number.isInteger(bins) && bins > 0)) {
    throw new Error(`The timeline needs a positive integer number of bins, got ${bins}.`);
  }
  const start = now - windowMs;
  const width = windowMs / bins;
  // Per bin: class -> [count, summed probability].
  const tallies: (Map<number, [number, number]> | null)[] = new Array(bins).fill(null);
  for (const s of samples) {
    if (s.t <= start || s.t > now) continue;
    const i = Math.min(bins - 1, Math.floor((s.t - start) / width));
    let tally = tallies[i];
    if (!tally) {
      tally = new Map();
      tallies[i] = tally;
    }
    const entry = tally.get(s.cls);
    if (entry) {
      entry[0]++;
      entry[1] += s.prob;
    } else {
      tally.set(s.cls, [1, s.prob]);
    }
  }
  return tallies.map((tally) => {
    if (!tally) return null;
    let best: { cls: number; count: number; sum: number } | null = null;
    let total = 0;
    for (const [cls, [count, sum]] of tally) {
      total += count;
      if (
        best === null ||
        count > best.count ||
        (count === best.count && (sum > best.sum || (sum === best.sum && cls < best.cls)))
      ) {
        best = { cls, count, sum };
      }
    }
    const b = best as { cls: number; count: number; sum: number };
    return { cls: b.cls, prob: b.sum / b.count, count: total };
  });
}

/** A class on screen and the share of filled bins it holds. */
export interface LegendEntry {
  readonly cls: number;
  /** Fraction of the non-empty bins, in (0, 1]. */
  readonly share: number;
}

/** The classes of the bands, most bins first (ties: lower index first). */
export function legendOf(bins: readonly (TimelineBin | null)[]): LegendEntry[] {
  const counts = new Map<number, number>();
  let filled = 0;
  for (const b of bins) {
    if (b === null) continue;
    filled++;
    counts.set(b.cls, (counts.get(b.cls) ?? 0) + 1);
  }
  return [...counts]
    .map(([cls, n]) => ({ cls, share: n / filled }))
    .sort((a, b) => b.share - a.share || a.cls - b.cls);
}

/** Colour-blind-friendly, distinct on light and dark backgrounds (Okabe-Ito plus four more). */
export const TIMELINE_PALETTE: readonly string[] = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#56b4e9',
  '#d55e00',
  '#f0c419',
  '#7c4dff',
  '#8d6e63',
  '#26a69a',
];

/**
 * Stable colours for classes: a class keeps its colour while it is on screen; a new class takes a
 * free colour or, when all are taken, the colour of the class seen least recently.
 */
export class ClassColors {
  private readonly palette: readonly string[];
  /** class -> [palette slot, last time used]. */
  private readonly assigned = new Map<number, [number, number]>();

  constructor(palette: readonly string[] = TIMELINE_PALETTE) {
    if (palette.length === 0) throw new Error('A palette needs at least one colour.');
    this.palette = palette;
  }

  /** The colour of `cls`, marking it used at `now` (any increasing clock). */
  colorOf(cls: number, now: number): string {
    const known = this.assigned.get(cls);
    if (known) {
      known[1] = now;
      return this.palette[known[0]] as string;
    }
    const taken = new Set([...this.assigned.values()].map(([slot]) => slot));
    let slot = this.palette.findIndex((_, i) => !taken.has(i));
    if (slot < 0) {
      let stalest: [number, [number, number]] | null = null;
      for (const entry of this.assigned) {
        if (stalest === null || entry[1][1] < stalest[1][1]) stalest = entry;
      }
      const [oldCls, [oldSlot]] = stalest as [number, [number, number]];
      this.assigned.delete(oldCls);
      slot = oldSlot;
    }
    this.assigned.set(cls, [slot, now]);
    return this.palette[slot] as string;
  }

  /** Forgets every assignment (a new model has other classes). */
  clear(): void {
    this.assigned.clear();
  }
}
