import { describe, expect, it } from 'vitest';
import {
  countParams,
  layerTensorSlots,
  movinetTensorSlots,
  sizeOf,
  weightsFromTensors,
} from './movinet-tensors';
import { seededMovinetTensors, tinyMovinetConfig, tinyMovinetSpec } from './testing';

const spec = tinyMovinetSpec();

describe('tensor slots', () => {
  it('lists a layer with temporal conv and shortcut in the builder’s order', () => {
    const layer = spec.layers[0];
    if (layer === undefined) throw new Error('layer');
    expect(layerTensorSlots(layer)).toEqual([
      { name: 'b0_l0/expand/kernel', shape: [1, 1, 1, 4, 8] },
      { name: 'b0_l0/expand/bias', shape: [8] },
      { name: 'b0_l0/spatial/kernel', shape: [1, 3, 3, 1, 8] },
      { name: 'b0_l0/spatial/bias', shape: [8] },
      { name: 'b0_l0/temporal/kernel', shape: [3, 1, 1, 1, 8] },
      { name: 'b0_l0/temporal/bias', shape: [8] },
      { name: 'b0_l0/project/kernel', shape: [1, 1, 1, 8, 6] },
      { name: 'b0_l0/project/bias', shape: [6] },
      { name: 'b0_l0/rezero', shape: [6] },
      { name: 'b0_l0/shortcut/kernel', shape: [1, 1, 1, 4, 6] },
      { name: 'b0_l0/shortcut/bias', shape: [6] },
    ]);
    // No temporal conv, identity residual: 7 tensors.
    expect(layerTensorSlots(spec.layers[2] ?? layer).map((s) => s.name)).toEqual([
      'b2_l0/expand/kernel',
      'b2_l0/expand/bias',
      'b2_l0/spatial/kernel',
      'b2_l0/spatial/bias',
      'b2_l0/project/kernel',
      'b2_l0/project/bias',
      'b2_l0/rezero',
    ]);
  });

  it('counts the tiny network’s parameters by hand', () => {
    // stem 3*3*3*4 + 4 = 112; b0_l0 40 + 80 + 32 + 54 + 6 + 30 = 242; b1_l0 70 + 100 + 30 + 66 +
    // 6 = 272; b2_l0 49 + 182 + 48 + 6 = 285; head 56 + 108 + 65 = 229.
    const slots = movinetTensorSlots(spec);
    expect(slots.reduce((n, s) => n + sizeOf(s.shape), 0)).toBe(1140);
    expect(countParams(seededMovinetTensors(spec, 1))).toBe(1140);
    expect(slots.at(-1)).toEqual({ name: 'head/classifier/logits/bias', shape: [5] });
    expect(sizeOf([])).toBe(1);
  });
});

describe('weightsFromTensors', () => {
  const tensors = seededMovinetTensors(spec, 2);

  it('hands out each tensor once, checked against its shape', () => {
    const w = weightsFromTensors('tiny', tinyMovinetConfig(), tensors);
    expect(w.manifest.id).toBe('tiny');
    expect(w.take('stem/bias', [4]).data).toBe(tensors.get('stem/bias')?.data);
    expect(() => w.take('stem/bias', [4])).toThrow('tensor "stem/bias" of tiny was taken twice');
    expect(() => w.take('stem/kernel', [3, 3, 3, 4])).toThrow(
      'tensor "stem/kernel" of tiny has shape [1,3,3,3,4], expected [3,3,3,4]',
    );
    expect(() => w.take('stem/gamma', [4])).toThrow('weights of tiny have no tensor "stem/gamma"');
    expect(() => w.assertAllUsed()).toThrow(
      'weights of tiny have unused tensors: stem/kernel, b0_l0',
    );
  });

  it('is satisfied once everything is taken', () => {
    const w = weightsFromTensors('tiny', tinyMovinetConfig(), tensors);
    for (const s of movinetTensorSlots(spec)) w.take(s.name, s.shape);
    expect(() => w.assertAllUsed()).not.toThrow();
  });
});
