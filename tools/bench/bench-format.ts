/**
 * Pure parts of `npm run bench`: summary statistics, the result row's shape, and the stdout table.
 * No DOM, no Node APIs, so the page (src/bench) and the CLI (tools/bench/bench.ts) share it.
 */

/** Median, 95th percentile and sample count of a list of timings (ms). */
export interface Summary {
  readonly median: number;
  readonly p95: number;
  readonly n: number;
}

/**
 * The q-quantile (0..1) of `values` by linear interpolation between closest ranks (the same rule
 * as NumPy's default), so small samples still give a p95 between the two largest values.
 * Throws on an empty list or q outside [0, 1].
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('quantile of an empty list');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q must be in [0, 1], got ${q}`);
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? a;
  return a + (b - a) * (pos - lo);
}

/** Median and p95 of a non-empty list of timings. */
export function summarize(values: readonly number[]): Summary {
  return { median: quantile(values, 0.5), p95: quantile(values, 0.95), n: values.length };
}

/** The TFLite reference beside our model (MoViNet only). */
export interface ReferenceTiming {
  /** What ran it, e.g. "tfjs-tflite 0.0.1-alpha.10 (XNNPACK, 2 threads)". */
  readonly runtime: string;
  readonly stepMs: Summary;
  /** Their median ms per frame / ours: > 1 means ours is faster. */
  readonly ratioTheirsOverOurs: number;
}

/** One model on one backend: a row of the JSON and of the table. */
export interface BenchRow {
  readonly model: string;
  readonly backend: string;
  /** Human description of the backend (SIMD/threads, adapter; software adapters are named so). */
  readonly backendDetail: string;
  readonly stepMs: Summary;
  readonly clipMs: Summary;
  /** Median clip ms / median step ms. */
  readonly measuredSpeedup: number;
  /** Clip FLOPs / step FLOPs (MACs + elementwise). */
  readonly flopRatio: number;
  /** 1000 / median step ms. */
  readonly stepsPerSecond: number;
  readonly stateBytes: number;
  /** Parameters x 4 bytes (float32 in memory). */
  readonly weightBytes: number;
  /** ms from navigation start to the first non-null logits read back (backend init + weights + fill). */
  readonly firstPredictionMs: number;
  /** Kernels dispatched by one step (tf.profile). */
  readonly kernelsPerStep: number;
  /** The costliest kernels of one step by summed kernel time (tf.profile), largest first. */
  readonly topKernels: readonly {
    readonly name: string;
    readonly ms: number;
    readonly count: number;
  }[];
  /** tf.memory().numTensors before and after the timed steps (equal = no per-step growth). */
  readonly numTensorsBefore: number;
  readonly numTensorsAfter: number;
  readonly reference: ReferenceTiming | null;
}

/** The whole `--json` file. */
export interface BenchReport {
  readonly date: string;
  readonly machine: {
    readonly cpus: number;
    readonly loadAverage: readonly number[];
    readonly userAgent: string;
  };
  readonly settings: {
    readonly warmSteps: number;
    readonly timedSteps: number;
    readonly clipReps: number;
  };
  readonly rows: readonly BenchRow[];
}

function isSummary(v: unknown): v is Summary {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s['median'] === 'number' &&
    typeof s['p95'] === 'number' &&
    Number.isInteger(s['n']) &&
    (s['n'] as number) > 0 &&
    (s['p95'] as number) >= (s['median'] as number)
  );
}

/**
 * Checks a parsed JSON value against {@link BenchRow}; returns the problems found (empty = valid).
 * Used on what the page sends back, so a broken page shows as a message, not as NaN in the table.
 */
export function validateRow(v: unknown): string[] {
  if (typeof v !== 'object' || v === null) return ['row is not an object'];
  const r = v as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ['model', 'backend', 'backendDetail']) {
    if (typeof r[key] !== 'string' || r[key] === '')
      problems.push(`${key} must be a non-empty string`);
  }
  for (const key of ['stepMs', 'clipMs']) {
    if (!isSummary(r[key])) problems.push(`${key} must be {median, p95 >= median, n > 0}`);
  }
  for (const key of [
    'measuredSpeedup',
    'flopRatio',
    'stepsPerSecond',
    'stateBytes',
    'weightBytes',
    'firstPredictionMs',
    'kernelsPerStep',
    'numTensorsBefore',
    'numTensorsAfter',
  ]) {
    const x = r[key];
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) {
      problems.push(`${key} must be a finite number >= 0`);
    }
  }
  if (!Array.isArray(r['topKernels'])) problems.push('topKernels must be an array');
  const ref = r['reference'];
  if (ref !== null) {
    const o = (typeof ref === 'object' ? ref : {}) as Record<string, unknown>;
    if (!isSummary(o['stepMs']) || typeof o['ratioTheirsOverOurs'] !== 'number') {
      problems.push('reference must be null or {runtime, stepMs, ratioTheirsOverOurs}');
    }
  }
  return problems;
}

/** Builds a row's derived numbers (speed-up, FLOP ratio, steps/s) from the measured ones. */
export function derive(
  stepMs: Summary,
  clipMs: Summary,
  flopsPerStep: { macs: number; elementwise: number },
  flopsPerClip: { macs: number; elementwise: number },
): { measuredSpeedup: number; flopRatio: number; stepsPerSecond: number } {
  const step = flopsPerStep.macs + flopsPerStep.elementwise;
  const clip = flopsPerClip.macs + flopsPerClip.elementwise;
  return {
    measuredSpeedup: clipMs.median / stepMs.median,
    flopRatio: step > 0 ? clip / step : 0,
    stepsPerSecond: 1000 / stepMs.median,
  };
}

/** Bytes as "1.23 MB" / "456 kB" / "12 B" (decimal units). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(2)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(0)} kB`;
  return `${bytes} B`;
}

/** Milliseconds with 3 significant-ish digits: "0.123", "12.3", "1234". */
export function formatMs(ms: number): string {
  if (ms < 1) return ms.toFixed(3);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

const HEADER = [
  'model',
  'backend',
  'step ms (med/p95)',
  'clip ms (med/p95)',
  'speed-up',
  'FLOP ratio',
  'steps/s',
  'state',
  'weights',
  'first pred ms',
  'kernels/step',
  'tensors before/after',
  'TFLite ms/frame (theirs/ours)',
] as const;

/** Cells of one row of the stdout table, in {@link HEADER} order. */
export function rowCells(r: BenchRow): string[] {
  const ref =
    r.reference === null
      ? '-'
      : `${formatMs(r.reference.stepMs.median)} (x${r.reference.ratioTheirsOverOurs.toFixed(2)})`;
  return [
    r.model,
    r.backend,
    `${formatMs(r.stepMs.median)} / ${formatMs(r.stepMs.p95)}`,
    `${formatMs(r.clipMs.median)} / ${formatMs(r.clipMs.p95)}`,
    `${r.measuredSpeedup.toFixed(1)}x`,
    `${r.flopRatio.toFixed(1)}x`,
    r.stepsPerSecond.toFixed(1),
    formatBytes(r.stateBytes),
    formatBytes(r.weightBytes),
    formatMs(r.firstPredictionMs),
    String(r.kernelsPerStep),
    `${r.numTensorsBefore}/${r.numTensorsAfter}`,
    ref,
  ];
}

/** A plain-text table, columns padded to their widest cell, a dashed line under the header. */
export function formatTable(rows: readonly BenchRow[]): string {
  const lines = [[...HEADER], ...rows.map(rowCells)];
  const widths = HEADER.map((_, c) => Math.max(...lines.map((l) => (l[c] ?? '').length)));
  const pad = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join(' | ')
      .trimEnd();
  const [head, ...body] = lines;
  return [pad(head ?? []), widths.map((w) => '-'.repeat(w)).join('-+-'), ...body.map(pad)].join(
    '\n',
  );
}
