/**
 * Which inner channels each pruned MoViNet bottleneck keeps: a uniform prune ratio per layer,
 * the top-scoring channels by a criterion (channel-scores.ts), kept in their original order.
 */
import type { MovinetSpec } from '../movinet/movinet-config';
import type { PruningCriterion } from './channel-scores';

/** The kept channels of one layer. */
export interface LayerPruning {
  readonly layer: string;
  /** Inner channels of the dense layer. */
  readonly denseChannels: number;
  /** Ascending indices of the dense channels kept. */
  readonly kept: readonly number[];
}

/** A pruning of every bottleneck of a network. */
export interface PruningPlan {
  /** Fraction of each layer's inner channels removed, in [0, 1). */
  readonly ratio: number;
  readonly criterion: PruningCriterion;
  readonly layers: readonly LayerPruning[];
}

/**
 * Channels kept of `channels` at prune ratio `ratio`: round(channels * (1 - ratio)), at least 1
 * (a layer must keep a path from its input to its output).
 */
export function keptCount(channels: number, ratio: number): number {
  if (!Number.isInteger(channels) || channels < 1) {
    throw new Error(`keptCount: channels must be a positive integer, got ${channels}.`);
  }
  if (!(ratio >= 0 && ratio < 1)) {
    throw new Error(`keptCount: the prune ratio must be in [0, 1), got ${ratio}.`);
  }
  return Math.max(1, Math.round(channels * (1 - ratio)));
}

/**
 * Indices of the `count` largest scores, returned ascending. Ties go to the lower index, so the
 * selection is deterministic; NaN scores are rejected.
 */
export function topChannels(scores: ArrayLike<number>, count: number): number[] {
  if (!Number.isInteger(count) || count < 1 || count > scores.length) {
    throw new Error(`topChannels: count must be in [1, ${scores.length}], got ${count}.`);
  }
  const order = Array.from({ length: scores.length }, (_, i) => i);
  for (const i of order) {
    if (Number.isNaN(scores[i])) throw new Error(`topChannels: score ${i} is NaN.`);
  }
  order.sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b);
  return order.slice(0, count).sort((a, b) => a - b);
}

/**
 * The plan that keeps, in every bottleneck of `spec`, the keptCount(dense, ratio) channels of
 * highest score. `scores` maps each layer name to one score per dense inner channel.
 */
export function planPruning(
  spec: MovinetSpec,
  scores: ReadonlyMap<string, ArrayLike<number>>,
  ratio: number,
  criterion: PruningCriterion,
): PruningPlan {
  const layers = spec.layers.map((l) => {
    if (l.keptChannels !== null) throw new Error(`planPruning: ${l.name} is already pruned.`);
    const s = scores.get(l.name);
    if (s === undefined) throw new Error(`planPruning: no scores for ${l.name}.`);
    if (s.length !== l.expandChannels) {
      throw new Error(
        `planPruning: ${l.name} has ${l.expandChannels} inner channels but ${s.length} scores.`,
      );
    }
    return {
      layer: l.name,
      denseChannels: l.expandChannels,
      kept: topChannels(s, keptCount(l.expandChannels, ratio)),
    };
  });
  return { ratio, criterion, layers };
}
