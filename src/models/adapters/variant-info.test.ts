import { describe, expect, it } from 'vitest';
import { parseVariantInfo } from './variant-info';

const variant = {
  baseModel: 'movinet-a0-stream',
  displayName: 'MoViNet-A0-Stream, 50 % pruned + SPLoRA r16',
  pruneRatio: 0.5,
  criterion: 'activation-project',
  adapter: 'splora',
  rank: 16,
  learnedParams: 78_840,
  params: 2_499_688,
  seed: 1,
};

describe('parseVariantInfo', () => {
  it('reads the variant block and ignores the rest', () => {
    expect(parseVariantInfo({ variant, numClasses: 600 })).toEqual({
      baseModel: 'movinet-a0-stream',
      displayName: 'MoViNet-A0-Stream, 50 % pruned + SPLoRA r16',
      pruneRatio: 0.5,
      criterion: 'activation-project',
      adapter: 'splora',
      rank: 16,
      learnedParams: 78_840,
      params: 2_499_688,
      evaluation: null,
    });
  });

  it('reads the held-out evaluation when the manifest has one', () => {
    const evaluation = { top1Agreement: 0.853, meanKl: 0.34, frames: 211, against: 'dense' };
    expect(parseVariantInfo({ variant: { ...variant, evaluation } })?.evaluation).toEqual({
      top1Agreement: 0.853,
      meanKl: 0.34,
      frames: 211,
    });
  });

  it.each<[string, unknown, string]>([
    ['an array', [], 'variant.evaluation must be an object'],
    [
      'an agreement above 1',
      { top1Agreement: 1.01, meanKl: 0.3, frames: 9 },
      'variant.evaluation.top1Agreement must be in [0, 1]',
    ],
    [
      'a negative agreement',
      { top1Agreement: -0.01, meanKl: 0.3, frames: 9 },
      'variant.evaluation.top1Agreement must be in [0, 1]',
    ],
    [
      'a negative KL',
      { top1Agreement: 0.5, meanKl: -1e-3, frames: 9 },
      'variant.evaluation.meanKl must be a finite non-negative number',
    ],
    [
      'an infinite KL',
      { top1Agreement: 0.5, meanKl: Infinity, frames: 9 },
      'variant.evaluation.meanKl must be a finite non-negative number',
    ],
    [
      'no frames',
      { top1Agreement: 0.5, meanKl: 0.3, frames: 0 },
      'variant.evaluation.frames must be a positive integer',
    ],
    [
      'a fractional frame count',
      { top1Agreement: 0.5, meanKl: 0.3, frames: 2.5 },
      'variant.evaluation.frames must be a positive integer',
    ],
  ])('rejects an evaluation that is %s', (_, evaluation, message) => {
    expect(() => parseVariantInfo({ variant: { ...variant, evaluation } })).toThrow(
      `MoViNet variant: ${message}.`,
    );
  });

  it('is null for dense weights', () => {
    expect(parseVariantInfo({ numClasses: 600 })).toBeNull();
    expect(parseVariantInfo({ variant: null })).toBeNull();
  });

  it('reads a fine-tuned variant without a rank', () => {
    const info = parseVariantInfo({ variant: { ...variant, adapter: 'finetune', rank: null } });
    expect(info?.rank).toBeNull();
    expect(
      parseVariantInfo({ variant: { ...variant, adapter: 'none', rank: undefined } })?.adapter,
    ).toBe('none');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an array', { variant: [] }, 'variant must be an object'],
    [
      'a ratio of 1',
      { variant: { ...variant, pruneRatio: 1 } },
      'variant.pruneRatio must be in [0, 1)',
    ],
    [
      'a negative ratio',
      { variant: { ...variant, pruneRatio: -0.1 } },
      'variant.pruneRatio must be in [0, 1)',
    ],
    [
      'an unknown adapter',
      { variant: { ...variant, adapter: 'lora' } },
      'variant.adapter must be none, splora or finetune',
    ],
    [
      'splora without a rank',
      { variant: { ...variant, rank: null } },
      'variant.rank must be a positive integer for splora',
    ],
    [
      'splora with rank 0',
      { variant: { ...variant, rank: 0 } },
      'variant.rank must be a positive integer for splora',
    ],
    [
      'a rank on a fine-tune',
      { variant: { ...variant, adapter: 'finetune' } },
      'variant.rank must be null unless the adapter is splora',
    ],
    [
      'no display name',
      { variant: { ...variant, displayName: '' } },
      'variant.displayName must be a non-empty string',
    ],
    [
      'fractional params',
      { variant: { ...variant, params: 1.5 } },
      'variant.params must be a non-negative integer',
    ],
    [
      'negative learned params',
      { variant: { ...variant, learnedParams: -1 } },
      'variant.learnedParams must be a non-negative integer',
    ],
  ])('rejects %s', (_, config, message) => {
    expect(() => parseVariantInfo(config)).toThrow(`MoViNet variant: ${message}.`);
  });
});
