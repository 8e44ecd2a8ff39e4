/**
 * The soak's verdict, from what the page measured: pure functions, so the criteria are tested
 * without a browser (soak-report.test.ts) and the driver (soak.ts) only prints and exits.
 *
 * Criteria (the reliability issue's):
 * - tensors: `tf.memory().numTensors` after warm-up never differs from its first value;
 * - heap: the JS heap after the last step (after a forced GC where the page can) is less than
 *   5% above the heap right after warm-up;
 * - latency: the median step latency over the last 10% of steps is within 10% of the median
 *   over the first 10% after warm-up (a median, so a GC pause or a busy neighbour does not
 *   decide it);
 * - equivalence: the last online output equals the offline twin over the last window, within
 *   1e-4 of the logits' scale (float32 rounding over two orders of summation).
 */

/** Heap and tensors sampled every few steps after warm-up. */
export interface SoakSample {
  readonly step: number;
  readonly numTensors: number;
  /** performance.memory.usedJSHeapSize after a GC where exposed; null where unmeasurable. */
  readonly heapBytes: number | null;
  /** Bytes the backend holds (tf.memory().numBytes). */
  readonly backendBytes: number;
}

/** What the soak page returns. */
export interface SoakRun {
  readonly model: string;
  readonly backend: string;
  readonly steps: number;
  readonly warmupSteps: number;
  /** Latency of every step after warm-up, ms (each with its final readback). */
  readonly stepMs: readonly number[];
  readonly samples: readonly SoakSample[];
  /** max |online - twin| over the last output, and the logits' max |value|. */
  readonly finalMaxAbsDiff: number;
  readonly finalScale: number;
  /** Frames of the offline twin's window. */
  readonly twinLength: number;
  /** Whether the model's twin reproduces its stream exactly (CoX3D); else the diff is only reported. */
  readonly twinIsExact: boolean;
  readonly heapMeasuredAfterGc: boolean;
}

/** One criterion's outcome. */
export interface SoakCheck {
  readonly name: 'tensors' | 'heap' | 'latency' | 'equivalence';
  readonly pass: boolean;
  /** The measured figure, in words with numbers. */
  readonly detail: string;
}

/** The median of `values` (0 for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Latency limit: last tenth's median / first tenth's median must be at most this. */
export const LATENCY_RATIO_LIMIT = 1.1;
/** Heap limit: heap at the end / heap after warm-up must be below this. */
export const HEAP_GROWTH_LIMIT = 1.05;
/** Equivalence limit, relative to the logits' scale. */
export const EQUIVALENCE_LIMIT = 1e-4;

/** Judges a soak run against the four criteria (see the file comment). */
export function judgeSoak(run: SoakRun): SoakCheck[] {
  const checks: SoakCheck[] = [];
  const first = run.samples[0];
  const last = run.samples[run.samples.length - 1];
  if (first === undefined || last === undefined) {
    throw new Error('The soak took no samples: run more steps than the warm-up.');
  }
  const tensorCounts = run.samples.map((s) => s.numTensors);
  const minT = Math.min(...tensorCounts);
  const maxT = Math.max(...tensorCounts);
  checks.push({
    name: 'tensors',
    pass: minT === maxT,
    detail: `numTensors ${minT === maxT ? `constant at ${minT}` : `varied from ${minT} to ${maxT}`} over ${run.samples.length} samples`,
  });

  if (first.heapBytes === null || last.heapBytes === null || first.heapBytes <= 0) {
    checks.push({ name: 'heap', pass: false, detail: 'JS heap not measurable in this browser' });
  } else {
    const growth = last.heapBytes / first.heapBytes;
    checks.push({
      name: 'heap',
      pass: growth < HEAP_GROWTH_LIMIT,
      detail:
        `JS heap ${(first.heapBytes / 1e6).toFixed(2)} MB after warm-up -> ` +
        `${(last.heapBytes / 1e6).toFixed(2)} MB at the end (${((growth - 1) * 100).toFixed(2)}%` +
        `${run.heapMeasuredAfterGc ? ', after forced GC' : ', no forced GC'}); backend ` +
        `${(first.backendBytes / 1e6).toFixed(2)} -> ${(last.backendBytes / 1e6).toFixed(2)} MB`,
    });
  }

  const tenth = Math.max(1, Math.floor(run.stepMs.length / 10));
  const early = median(run.stepMs.slice(0, tenth));
  const late = median(run.stepMs.slice(run.stepMs.length - tenth));
  const ratio = early > 0 ? late / early : Number.POSITIVE_INFINITY;
  checks.push({
    name: 'latency',
    pass: ratio <= LATENCY_RATIO_LIMIT,
    detail: `median step ${early.toFixed(2)} ms in the first tenth, ${late.toFixed(2)} ms in the last (x${ratio.toFixed(3)})`,
  });

  const relative = run.finalScale > 0 ? run.finalMaxAbsDiff / run.finalScale : Infinity;
  checks.push({
    name: 'equivalence',
    pass: !run.twinIsExact || relative <= EQUIVALENCE_LIMIT,
    detail: `last output vs offline twin over ${run.twinLength} frames: max |diff| ${run.finalMaxAbsDiff.toExponential(2)} (${relative.toExponential(2)} of the logits' scale ${run.finalScale.toFixed(3)})${run.twinIsExact ? '' : ', reported only: this twin is not exact'}`,
  });
  return checks;
}
