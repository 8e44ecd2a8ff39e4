/**
 * FLOPs saved by continual inference against clip-based inference on the same stream.
 *
 * Continual inference pays one step (`flopsPerStep`) for every frame it sees, including the
 * frames that only fill its buffers. A clip-based system gives the same predictions by running
 * the whole clip (`flopsPerClip`) for every frame that has a prediction. FLOPs are counted as
 * multiply-adds, the convention of the X3D, CoX3D and MoViNet papers.
 */
import type { CostFigures as FlopCount } from '../runtime/protocol';

/** What the online mode did on the current stream, in frames. */
export interface StepTally {
  /** Online steps run (every frame the online mode saw). */
  readonly steps: number;
  /** Of those, steps that gave a prediction (buffers full). */
  readonly predictions: number;
}

/** Nothing run yet. */
export const EMPTY_STEPS: StepTally = { steps: 0, predictions: 0 };

/** The tally after one online step, with or without a prediction. */
export function addStep(tally: StepTally, predicted: boolean): StepTally {
  return { steps: tally.steps + 1, predictions: tally.predictions + (predicted ? 1 : 0) };
}

/** The running cost comparison. */
export interface CostSummary {
  /** Multiply-adds continual inference spent. */
  readonly continual: number;
  /** Multiply-adds clip-based inference would have spent for the same predictions. */
  readonly clipBased: number;
  /** clipBased - continual (negative while buffers fill: the cost of filling). */
  readonly saved: number;
  /** clipBased / continual; null before any step. */
  readonly ratio: number | null;
}

/** The multiply-adds of a FLOP count (the papers' "FLOPs"). */
export function multiplyAdds(count: FlopCount): number {
  return count.macs;
}

/** Continual against clip-based cost over the steps of a tally. */
export function summarizeCost(
  tally: StepTally,
  flopsPerStep: FlopCount,
  flopsPerClip: FlopCount,
): CostSummary {
  if (tally.predictions > tally.steps) {
    throw new Error(`${tally.predictions} predictions cannot come from ${tally.steps} steps.`);
  }
  const continual = tally.steps * multiplyAdds(flopsPerStep);
  const clipBased = tally.predictions * multiplyAdds(flopsPerClip);
  return {
    continual,
    clipBased,
    saved: clipBased - continual,
    ratio: continual > 0 ? clipBased / continual : null,
  };
}

/** How many times cheaper one continual step is than one clip prediction; null for a free step. */
export function stepSpeedup(flopsPerStep: FlopCount, flopsPerClip: FlopCount): number | null {
  const step = multiplyAdds(flopsPerStep);
  return step > 0 ? multiplyAdds(flopsPerClip) / step : null;
}
