/**
 * The `variant` block of a pruned MoViNet variant's manifest config (written by
 * tools/adapters): what it was derived from and how, for the model list and about box.
 * Dense weights have no such block.
 */

/** How a variant recovered from pruning. */
export type VariantAdapter = 'none' | 'splora' | 'finetune';

/** What the app shows about a variant. */
export interface VariantInfo {
  /** The dense model it was derived from (a registry id). */
  readonly baseModel: string;
  readonly displayName: string;
  /** Fraction of each bottleneck's inner channels removed. */
  readonly pruneRatio: number;
  /** Channel ranking criterion. */
  readonly criterion: string;
  readonly adapter: VariantAdapter;
  /** SPLoRA rank, null for the other adapters. */
  readonly rank: number | null;
  /** Parameters learned while recovering (adapters or fine-tuned weights). */
  readonly learnedParams: number;
  /** Parameters of the variant. */
  readonly params: number;
  /** How it followed the dense model on held-out clips; null when the manifest has no record. */
  readonly evaluation: VariantEvaluation | null;
}

/** A variant measured against the dense model on clips it was not trained on. */
export interface VariantEvaluation {
  /** Fraction of held-out frames whose top-1 class equals the dense model's. */
  readonly top1Agreement: number;
  /** Mean per-frame KL(dense || variant), in nats. */
  readonly meanKl: number;
  /** Held-out frames it was measured on. */
  readonly frames: number;
}

function fail(what: string): never {
  throw new Error(`MoViNet variant: ${what}.`);
}

/** Reads the `variant` block of a manifest config; null when there is none (dense weights). */
export function parseVariantInfo(config: { readonly [key: string]: unknown }): VariantInfo | null {
  const v = config['variant'];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) fail('variant must be an object');
  const r = v as Record<string, unknown>;
  const text = (key: string): string => {
    const value = r[key];
    if (typeof value !== 'string' || value === '')
      fail(`variant.${key} must be a non-empty string`);
    return value;
  };
  const count = (key: string): number => {
    const value = r[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      fail(`variant.${key} must be a non-negative integer`);
    return value;
  };
  const pruneRatio = r['pruneRatio'];
  if (typeof pruneRatio !== 'number' || !(pruneRatio >= 0 && pruneRatio < 1))
    fail('variant.pruneRatio must be in [0, 1)');
  const adapter = r['adapter'];
  if (adapter !== 'none' && adapter !== 'splora' && adapter !== 'finetune')
    fail('variant.adapter must be none, splora or finetune');
  const rank = r['rank'] ?? null;
  if (adapter === 'splora') {
    if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1)
      fail('variant.rank must be a positive integer for splora');
  } else if (rank !== null) fail('variant.rank must be null unless the adapter is splora');
  return {
    baseModel: text('baseModel'),
    displayName: text('displayName'),
    pruneRatio,
    criterion: text('criterion'),
    adapter,
    rank: rank as number | null,
    learnedParams: count('learnedParams'),
    params: count('params'),
    evaluation: parseEvaluation(r['evaluation']),
  };
}

function parseEvaluation(e: unknown): VariantEvaluation | null {
  if (e === undefined || e === null) return null;
  if (typeof e !== 'object' || Array.isArray(e)) fail('variant.evaluation must be an object');
  const r = e as Record<string, unknown>;
  const { top1Agreement, meanKl, frames } = r;
  if (typeof top1Agreement !== 'number' || !(top1Agreement >= 0 && top1Agreement <= 1))
    fail('variant.evaluation.top1Agreement must be in [0, 1]');
  if (typeof meanKl !== 'number' || !(meanKl >= 0) || !Number.isFinite(meanKl))
    fail('variant.evaluation.meanKl must be a finite non-negative number');
  if (typeof frames !== 'number' || !Number.isInteger(frames) || frames < 1)
    fail('variant.evaluation.frames must be a positive integer');
  return { top1Agreement, meanKl, frames };
}
