/**
 * Bias compensation for pruned channels: a removed inner channel's average contribution to the
 * project conv's output, E[a_c] * W_project[c, :], is added to the project bias, so that the
 * compact network computes what the dense one computes with each removed channel's activation
 * replaced by its mean over the data (rather than by zero). A channel whose activation hardly
 * varies is then removed at almost no cost, which is why the data-driven ranking scores the
 * spread of a channel's activation, not its size (channel-scores.ts).
 */
import type { PlainTensor, TensorMap } from './movinet-tensors';
import type { PruningPlan } from './pruning-plan';

/**
 * `compact` (pruned by `plan`) with each pruned layer's project bias compensated for its removed
 * channels; `dense` holds the dense project kernels and `means` the mean activation of every
 * dense inner channel at the project conv's input, per layer. Returns a new map (other tensors
 * shared).
 */
export function compensateRemovedMeans(
  compact: TensorMap,
  dense: TensorMap,
  plan: PruningPlan,
  means: ReadonlyMap<string, ArrayLike<number>>,
): Map<string, PlainTensor> {
  const out = new Map(compact);
  for (const l of plan.layers) {
    const kernel = dense.get(`${l.layer}/project/kernel`);
    const bias = compact.get(`${l.layer}/project/bias`);
    const mean = means.get(l.layer);
    if (kernel === undefined || bias === undefined) {
      throw new Error(`mean compensation: no project weights for ${l.layer}.`);
    }
    if (mean === undefined || mean.length !== l.denseChannels) {
      throw new Error(`mean compensation: ${l.layer} needs ${l.denseChannels} channel means.`);
    }
    const cout = bias.data.length;
    if (kernel.data.length !== l.denseChannels * cout) {
      throw new Error(
        `mean compensation: ${l.layer}'s dense project kernel is not [${l.denseChannels}, ${cout}].`,
      );
    }
    const kept = new Set(l.kept);
    const shifted = Float64Array.from(bias.data);
    for (let c = 0; c < l.denseChannels; c++) {
      if (kept.has(c)) continue;
      const m = mean[c] ?? 0;
      for (let o = 0; o < cout; o++)
        shifted[o] = (shifted[o] ?? 0) + m * (kernel.data[c * cout + o] ?? 0);
    }
    out.set(`${l.layer}/project/bias`, { shape: bias.shape, data: Float32Array.from(shifted) });
  }
  return out;
}
