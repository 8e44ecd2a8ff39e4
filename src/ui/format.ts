/**
 * How the dashboard writes numbers: FLOPs, bytes, milliseconds, probabilities, rates and video
 * times. Pure and DOM-free, so every figure on the page has a tested spelling.
 */

/** SI prefixes from 1 up to 1e15, as FLOP and byte counts use them. */
const SI = ['', 'k', 'M', 'G', 'T', 'P'] as const;

/** Picks the SI prefix that leaves 1 <= |value| < 1000 (or the largest one available). */
function scaleSi(value: number): { readonly scaled: number; readonly prefix: string } {
  let scaled = value;
  let i = 0;
  while (Math.abs(scaled) >= 1000 && i < SI.length - 1) {
    scaled /= 1000;
    i++;
  }
  return { scaled, prefix: SI[i] as string };
}

/** Three significant digits, but never scientific notation and never a trailing ".0". */
function threeDigits(x: number): string {
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return Number(x.toFixed(digits)).toString();
}

function checkFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new Error(`${what} must be a finite number, got ${value}.`);
}

/**
 * A FLOP count with an SI prefix and three significant digits: 1_234_000_000 -> "1.23 GFLOPs",
 * 512 -> "512 FLOPs". Negative counts (a saving that turned into a cost) keep their sign.
 */
export function formatFlops(flops: number): string {
  checkFinite(flops, 'A FLOP count');
  const { scaled, prefix } = scaleSi(flops);
  return `${threeDigits(scaled)} ${prefix}FLOPs`;
}

/** A FLOP count in GFLOPs with a fixed number of decimals (for running totals that grow). */
export function formatGflops(flops: number, decimals = 2): string {
  checkFinite(flops, 'A FLOP count');
  return `${(flops / 1e9).toFixed(decimals)} GFLOPs`;
}

/** Bytes in SI units (kB = 1000 B, as browsers show downloads): 1536 -> "1.54 kB". */
export function formatBytes(bytes: number): string {
  checkFinite(bytes, 'A byte count');
  if (bytes < 0) throw new Error(`A byte count cannot be negative, got ${bytes}.`);
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const { scaled, prefix } = scaleSi(bytes);
  return `${threeDigits(scaled)} ${prefix}B`;
}

/** A duration in ms: "0.42 ms", "12.3 ms", "145 ms"; an em dash when unknown. */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  return `${threeDigits(ms)} ms`;
}

/** A probability in [0, 1] as a percentage with one decimal: 0.98765 -> "98.8%". */
export function formatProb(p: number): string {
  checkFinite(p, 'A probability');
  return `${(p * 100).toFixed(1)}%`;
}

/** A ratio in [0, 1] as a percentage, or an em dash when there is nothing to divide. */
export function formatRate(rate: number | null): string {
  return rate === null ? '—' : formatProb(rate);
}

/**
 * A small non-negative difference, readable at any size: 0 -> "0", 3.2e-7 -> "3.2e-7",
 * 0.0123 -> "0.0123". Differences of probabilities span 1e-8 (float32 noise) to 1.
 */
export function formatDiff(diff: number | null): string {
  if (diff === null) return '—';
  checkFinite(diff, 'A difference');
  if (diff === 0) return '0';
  if (Math.abs(diff) < 1e-3) {
    const [mantissa, exponent] = diff.toExponential(1).split('e');
    return `${mantissa}e${Number(exponent)}`;
  }
  return Number(diff.toPrecision(3)).toString();
}

/** Events per second with one decimal: "4.9/s"; an em dash when unknown. */
export function formatPerSecond(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate)) return '—';
  return `${rate.toFixed(1)}/s`;
}

/** A factor such as a FLOP ratio: 7.456 -> "7.5×", 123.4 -> "123×". */
export function formatFactor(factor: number | null): string {
  if (factor === null || !Number.isFinite(factor)) return '—';
  return `${factor >= 100 ? factor.toFixed(0) : factor.toFixed(1)}×`;
}

/** A count with thousands separators that do not depend on the locale: 1234567 -> "1 234 567". */
export function formatCount(n: number): string {
  checkFinite(n, 'A count');
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/** A video time in seconds as m:ss.s: 63.25 -> "1:03.3". */
export function formatVideoTime(seconds: number): string {
  checkFinite(seconds, 'A video time');
  const tenths = Math.round(Math.max(0, seconds) * 10);
  const minutes = Math.floor(tenths / 600);
  const rest = (tenths - minutes * 600) / 10;
  return `${minutes}:${rest.toFixed(1).padStart(4, '0')}`;
}

/** Loading progress as a fraction in [0, 1], or null when the total is not known yet. */
export function progressFraction(loaded: number, total: number): number | null {
  if (!(total > 0) || !Number.isFinite(loaded)) return null;
  return Math.min(1, Math.max(0, loaded / total));
}
