/** The command lines of distill.ts and variants.ts: option parsing and the shipping rule. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BLOCK, DEFAULT_FINETUNE_LR, DEFAULT_SET, parseDistillArgs } from './distill';
import type { VariantRow } from './variant-run';
import { median, withTimings } from './time-variants';
import { formatTable, methodName, METHODS, pickShipped, SHIP_MIN_AGREEMENT } from './variants';

describe('parseDistillArgs', () => {
  it('reads the brief’s example command', () => {
    const a = parseDistillArgs([
      '--prune',
      '0.5',
      '--adapter',
      'splora',
      '--rank',
      '16',
      '--seed',
      '1',
      '--out',
      'x',
    ]);
    expect(a.out).toBe('x');
    expect(a.set).toEqual(DEFAULT_SET);
    expect(a.variant).toMatchObject({
      prune: 0.5,
      adapter: 'splora',
      rank: 16,
      seed: 1,
      criterion: 'activation-project',
    });
    expect(a.variant.block).toEqual(DEFAULT_BLOCK);
  });

  it('gives fine-tuning its own learning rate unless one is given', () => {
    expect(
      parseDistillArgs(['--prune', '0.3', '--adapter', 'finetune']).variant.block.learningRate,
    ).toBe(DEFAULT_FINETUNE_LR);
    expect(
      parseDistillArgs(['--prune', '0.3', '--adapter', 'finetune', '--block-lr', '0.02']).variant
        .block.learningRate,
    ).toBe(0.02);
  });

  it('reads the training options', () => {
    const a = parseDistillArgs([
      '--prune',
      '0.7',
      '--size',
      '64',
      '--clips',
      '4',
      '--frames',
      '6',
      '--block-steps',
      '5',
      '--e2e-steps',
      '3',
      '--e2e-lr',
      '0.001',
      '--data-seed',
      '9',
      '--criterion',
      'l1-expand',
    ]);
    expect(a.set).toEqual({ clips: 4, frames: 6, size: 64, seed: 9 });
    expect(a.variant.block.steps).toBe(5);
    expect(a.variant.endToEnd).toMatchObject({ steps: 3, learningRate: 0.001 });
    expect(a.variant.criterion).toBe('l1-expand');
  });

  it.each<[string[], string]>([
    [[], '--prune is required'],
    [['--prune', '1'], '--prune must be in (0, 1), got "1"'],
    [
      ['--prune', '0.5', '--adapter', 'lora'],
      '--adapter must be one of none, splora, finetune, got "lora"',
    ],
    [['--prune', '0.5', '--rank', '0'], '--rank must be a positive integer, got "0"'],
    [['--prune', '0.5', '--size', '16'], '--size must be an integer >= 32'],
    [['--prune', '0.5', '--frames', '12'], '--frames must be an integer in [1, 11]'],
    [
      ['--prune', '0.5', '--criterion', 'taylor'],
      '--criterion must be one of l1-expand, activation-project',
    ],
    [['--prune', '0.5', '--what', '1'], 'unknown option --what'],
    [['--prune'], '--prune needs a value'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseDistillArgs(argv)).toThrow(message);
  });
});

function row(id: string, prune: number, adapter: string, meanKl: number, top1: number): VariantRow {
  return {
    id,
    displayName: id,
    prune,
    criterion: 'activation-project',
    adapter,
    rank: null,
    params: 1,
    learnedParams: 0,
    macsPerStep: 2e6,
    elementwisePerStep: 0,
    top1Agreement: top1,
    meanKl,
    perClip: {},
    msPerStep: 10,
    trainSeconds: 1,
  };
}

describe('pickShipped', () => {
  it('takes the trained variant of lowest KL per ratio, if it agrees often enough', () => {
    const rows = [
      row('dense', 0, 'dense', 0, 1),
      row('p30', 0.3, 'none', 0.1, 0.99),
      row('p30-a', 0.3, 'splora', 0.5, 0.8),
      row('p30-b', 0.3, 'finetune', 0.4, 0.7),
      row('p50-a', 0.5, 'splora', 0.9, 0.61),
      row('p70-a', 0.7, 'splora', 2, SHIP_MIN_AGREEMENT - 0.01),
    ];
    expect(pickShipped(rows)).toEqual(['p30-b', 'p50-a']);
  });

  it('picks exactly what the committed report ships, and the app lists it', async () => {
    const report = (await import('./variants-report.json')).default as unknown as {
      shipped: string[];
      rows: VariantRow[];
    };
    expect(pickShipped(report.rows)).toEqual(report.shipped);
    const { MODEL_ENTRIES } = await import('../../src/models/model-entries');
    const listed = MODEL_ENTRIES.find((m) => m.id === 'movinet-a0-stream')?.variants ?? [];
    expect(listed.map((v) => `movinet-a0-stream-${v.id}`)).toEqual(report.shipped);
  });

  it('prints one line per row', () => {
    const text = formatTable([row('a', 0.3, 'splora', 0.25, 0.5)]);
    expect(text.split('\n')).toHaveLength(2);
    expect(text).toContain('50.0 %');
    expect(text).toContain('0.2500');
  });
});

describe('variants.ts and time-variants.ts helpers', () => {
  it('names the four methods for --methods', () => {
    expect(METHODS.map(methodName)).toEqual(['none', 'splora8', 'splora16', 'finetune']);
  });

  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('writes cpu timings by row id and wasm timings by prune ratio', () => {
    const rows = [
      row('dense', 0, 'dense', 0, 1),
      row('p30', 0.3, 'none', 0.1, 0.9),
      row('p30-a', 0.3, 'splora', 0.5, 0.8),
      row('p50-a', 0.5, 'splora', 0.9, 0.6),
    ];
    const cpu = withTimings(rows, new Map([['p30', 12.34]]), 'cpu');
    expect(cpu.map((r) => r.msPerStep)).toEqual([10, 12.3, 10, 10]);
    expect(cpu.some((r) => r.wasmMsPerStep !== undefined)).toBe(false);
    const wasm = withTimings(
      rows,
      new Map([
        ['dense', 6.66],
        ['p30', 4.92],
      ]),
      'wasm',
    );
    expect(wasm.map((r) => r.wasmMsPerStep)).toEqual([6.7, 4.9, 4.9, undefined]);
    expect(wasm.map((r) => r.msPerStep)).toEqual([10, 10, 10, 10]);
    expect(() =>
      withTimings(
        rows,
        new Map([
          ['p30', 4],
          ['p30-a', 5],
        ]),
        'wasm',
      ),
    ).toThrow('Two folders timed for the prune ratio 0.3');
  });
});
