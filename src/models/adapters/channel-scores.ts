/**
 * Importance scores of a bottleneck's inner (expanded) channels, the ranking that structured
 * pruning keeps the top of. Two criteria:
 * - `'l1-expand'` (weight magnitude, data-free): the L1 norm of the channel's column of the
 *   expand 1x1 kernel, sum_i |W_expand[i, c]|.
 * - `'activation-project'` (data-driven): the spread of the channel's activation at the project
 *   conv's input over frames and pixels (its standard deviation, measured on training clips),
 *   times the L2 norm of the project kernel's row for that channel, std(a_c) * ||W_project[c, :]||_2:
 *   the RMS change of the block's output when the channel is removed and its mean is left in
 *   the project bias (mean-compensation.ts). The expand kernel alone cannot see this (the
 *   depthwise convs, ReLU6 clipping and the projection lie between), and a channel of large but
 *   steady activation costs nothing once its mean is compensated, so the mean |activation| of the
 *   channel would be the wrong measure.
 */

/** The ranking criteria {@link channelScores} implements. */
export type PruningCriterion = 'l1-expand' | 'activation-project';

/** Every criterion, for option parsing. */
export const PRUNING_CRITERIA: readonly PruningCriterion[] = ['l1-expand', 'activation-project'];

function checkSize(what: string, data: ArrayLike<number>, expected: number): void {
  if (data.length !== expected) {
    throw new Error(`${what} has ${data.length} values, expected ${expected}.`);
  }
}

/**
 * L1 norm of each output channel of an expand kernel stored [.., inChannels, channels]
 * (row-major, so value (i, c) is at i * channels + c).
 */
export function l1ExpandScores(
  expandKernel: ArrayLike<number>,
  inChannels: number,
  channels: number,
): Float64Array {
  checkSize('expand kernel', expandKernel, inChannels * channels);
  const scores = new Float64Array(channels);
  for (let i = 0; i < inChannels; i++) {
    for (let c = 0; c < channels; c++) {
      scores[c] = (scores[c] ?? 0) + Math.abs(expandKernel[i * channels + c] ?? 0);
    }
  }
  return scores;
}

/**
 * spread[c] * ||W_project[c, :]||_2 for a project kernel stored [.., channels, outChannels]
 * (row c holds the weights that read inner channel c); `spread` is one activation statistic per
 * channel (the standard deviation for the `'activation-project'` criterion).
 */
export function activationProjectScores(
  spread: ArrayLike<number>,
  projectKernel: ArrayLike<number>,
  channels: number,
  outChannels: number,
): Float64Array {
  checkSize('activation spread', spread, channels);
  checkSize('project kernel', projectKernel, channels * outChannels);
  const scores = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let sq = 0;
    for (let o = 0; o < outChannels; o++) sq += (projectKernel[c * outChannels + o] ?? 0) ** 2;
    scores[c] = (spread[c] ?? 0) * Math.sqrt(sq);
  }
  return scores;
}
