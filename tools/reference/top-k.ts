/**
 * Scores to ranked classes for reference fixtures: softmax over logits, then the k best.
 * Plain numbers (no tensors) so fixtures are computed the same way wherever they are checked.
 */

/** One ranked class. */
export interface RankedClass {
  /** Class index (line of the label file, 0-based). */
  readonly index: number;
  /** Class name. */
  readonly label: string;
  /** Softmax probability. */
  readonly prob: number;
}

/** Softmax in float64, shifted by the maximum so large logits do not overflow. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  if (logits.length === 0) throw new RangeError('softmax of no logits');
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] ?? -Infinity);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i] ?? -Infinity) - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) / sum;
  return out;
}

/** The `k` most probable classes, best first; ties keep the lower index first. */
export function topK(
  probs: ArrayLike<number>,
  k: number,
  labels: readonly string[],
): RankedClass[] {
  if (labels.length !== probs.length) {
    throw new RangeError(`${probs.length} scores but ${labels.length} labels`);
  }
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const order = Array.from({ length: probs.length }, (_, i) => i);
  order.sort((a, b) => (probs[b] ?? 0) - (probs[a] ?? 0) || a - b);
  return order.slice(0, k).map((index) => ({
    index,
    label: labels[index] ?? '',
    prob: probs[index] ?? 0,
  }));
}

/** Lines of a label file (one label per line, LF or CRLF, trailing newline optional). */
export function parseLabels(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
