import { describe, expect, it } from 'vitest';
import type { VariantInfo } from '../models/adapters/variant-info';
import { variantFacts } from './variant-facts';

const splora: VariantInfo = {
  baseModel: 'movinet-a0-stream',
  displayName: 'MoViNet-A0-Stream, 30 % pruned + SPLoRA r8',
  pruneRatio: 0.3,
  criterion: 'activation-project',
  adapter: 'splora',
  rank: 8,
  learnedParams: 54_155,
  params: 2_589_723,
  evaluation: { top1Agreement: 0.85308, meanKl: 0.34067, frames: 211 },
};

describe('variantFacts', () => {
  it('says how a SPLoRA variant was pruned, recovered and how closely it follows', () => {
    expect(variantFacts(splora)).toEqual([
      {
        id: 'variant-pruned',
        label: 'Pruned',
        value: '30 % of inner channels, ranked by mean |activation| × projection weight norm',
      },
      {
        id: 'variant-recovery',
        label: 'Recovery',
        value: 'SPLoRA, rank 8: 54\u202f155 learned weights, fused',
      },
      {
        id: 'variant-agreement',
        label: 'Follows dense',
        value: 'top-1 85.3 %, mean KL 0.341 (211 held-out frames)',
      },
    ]);
  });

  it('names fine-tuning, no recovery, an unknown criterion, and omits a missing evaluation', () => {
    const ft = variantFacts({
      ...splora,
      adapter: 'finetune',
      rank: null,
      learnedParams: 315_563,
      pruneRatio: 0.5,
      criterion: 'l1-expand',
      evaluation: null,
    });
    expect(ft.map((f) => f.value)).toEqual([
      '50 % of inner channels, ranked by L1 norm of the expansion weights',
      'fine-tuned: 315\u202f563 learned weights',
    ]);
    const none = variantFacts({ ...splora, adapter: 'none', rank: null, criterion: 'taylor' });
    expect(none[0]?.value).toBe('30 % of inner channels, ranked by taylor');
    expect(none[1]?.value).toBe('none (pruned only)');
  });
});
