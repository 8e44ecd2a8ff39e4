/**
 * What the model card says about a pruned variant, as plain lines (label, value), so the words
 * and numbers are tested without a DOM.
 */
import type { VariantInfo } from '../models/adapters/variant-info';
import { formatCount } from './format';

/** One line of the variant facts. */
export interface VariantFact {
  readonly label: string;
  readonly value: string;
  /** A stable test id. */
  readonly id: string;
}

const CRITERIA: Readonly<Record<string, string>> = {
  'activation-project': 'mean |activation| × projection weight norm',
  'l1-expand': 'L1 norm of the expansion weights',
};

function recovery(v: VariantInfo): string {
  switch (v.adapter) {
    case 'splora':
      return `SPLoRA, rank ${v.rank ?? '?'}: ${formatCount(v.learnedParams)} learned weights, fused`;
    case 'finetune':
      return `fine-tuned: ${formatCount(v.learnedParams)} learned weights`;
    case 'none':
      return 'none (pruned only)';
  }
}

/** The card's lines for a variant: how it was pruned, how it recovered, how closely it follows. */
export function variantFacts(v: VariantInfo): VariantFact[] {
  const facts: VariantFact[] = [
    {
      id: 'variant-pruned',
      label: 'Pruned',
      value: `${Math.round(v.pruneRatio * 100)} % of inner channels, ranked by ${CRITERIA[v.criterion] ?? v.criterion}`,
    },
    { id: 'variant-recovery', label: 'Recovery', value: recovery(v) },
  ];
  if (v.evaluation !== null) {
    const e = v.evaluation;
    facts.push({
      id: 'variant-agreement',
      label: 'Follows dense',
      value: `top-1 ${(e.top1Agreement * 100).toFixed(1)} %, mean KL ${e.meanKl.toFixed(3)} (${formatCount(e.frames)} held-out frames)`,
    });
  }
  return facts;
}
