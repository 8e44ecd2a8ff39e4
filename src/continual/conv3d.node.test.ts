/**
 * Ground truth for CoConv3d's offline pass: tfjs' own tf.conv3d on the cpu backend, with the
 * padding applied by tf.pad and grouped convolutions done group by group. Node only (cpu), where
 * tf.conv3d is a straightforward reference; the module itself never calls it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { applyActivation, type Activation } from './activation';
import {
  CoConv3d,
  type CoConv3dOptions,
  type ConvStateForm,
  type TemporalPaddingMode,
} from './conv3d';
import { spatialPadAmounts } from './flops';
import type { Clip } from './module';
import { expectTensorsClose, seededClip, seededRandom, seededTensor } from './testing';
import { streamAndCompareAsync } from './testing-async';

/** tf.conv3d over the explicitly padded clip, per group, then bias and activation. */
function groundTruth(module: CoConv3d, clip: Clip): tf.Tensor {
  return tf.tidy(() => {
    const o = module.options;
    const [n, t, h, w, c] = clip.shape;
    const [, kh, kw] = o.kernelSize;
    const [, sh, sw] = o.stride;
    const { start, end } = module.padding;
    let x: tf.Tensor5D = clip;
    if (o.temporalFill === 'replicate') {
      const first = tf.slice(clip, [0, 0, 0, 0, 0], [n, 1, h, w, c]);
      const last = tf.slice(clip, [0, t - 1, 0, 0, 0], [n, 1, h, w, c]);
      x = tf.concat(
        [tf.tile(first, [1, start, 1, 1, 1]), clip, tf.tile(last, [1, end, 1, 1, 1])],
        1,
      );
    }
    const zeroTime = o.temporalFill === 'zeros' ? [start, end] : [0, 0];
    x = tf.pad(x, [
      [0, 0],
      zeroTime as [number, number],
      spatialPadAmounts(h, kh, sh, o.spatialPadding),
      spatialPadAmounts(w, kw, sw, o.spatialPadding),
      [0, 0],
    ]);
    const cg = o.inChannels / o.groups;
    const og = o.outChannels / o.groups;
    const parts: tf.Tensor5D[] = [];
    for (let g = 0; g < o.groups; g++) {
      const xg = tf.slice(x, [0, 0, 0, 0, g * cg], [-1, -1, -1, -1, cg]);
      const kg = tf.slice(o.kernel, [0, 0, 0, 0, g * og], [-1, -1, -1, -1, og]) as tf.Tensor5D;
      parts.push(tf.conv3d(xg, kg, [o.stride[0], sh, sw], 'valid'));
    }
    let y: tf.Tensor = tf.concat(parts, 4);
    if (o.bias !== null) y = tf.add(y, o.bias);
    return applyActivation(y, o.activation);
  });
}

const ACTIVATIONS: readonly Activation[] = [
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'swish',
  'hardSwish',
  'hardSigmoid',
];

/** A deterministic sweep over the option space (kt, kernel, strides, paddings, groups, ...). */
function sweep(count: number): { label: string; options: CoConv3dOptions; clip: Clip }[] {
  const rand = seededRandom(2024);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const out: { label: string; options: CoConv3dOptions; clip: Clip }[] = [];
  for (let i = 0; i < count; i++) {
    const kt = pick([1, 2, 3, 5]);
    const kh = pick([1, 3, 5]);
    const kw = pick([1, 3, 5]);
    const inChannels = pick([2, 3, 4, 6]);
    const grouping = pick(['dense', 'grouped', 'depthwise'] as const);
    const groups =
      grouping === 'depthwise'
        ? inChannels
        : grouping === 'grouped' && inChannels % 2 === 0
          ? 2
          : 1;
    const outChannels =
      grouping === 'depthwise' ? inChannels * pick([1, 2]) : groups * pick([1, 2, 3]);
    const spatialPadding = pick(['same', 'valid', 0, 1, 2] as const);
    const temporalPadding = pick<TemporalPaddingMode>([
      'valid',
      'causal',
      ...Array.from({ length: kt }, (_, p) => p),
    ]);
    const stride = [pick([1, 1, 2]), pick([1, 2]), pick([1, 2])] as const;
    const activation = pick(ACTIVATIONS);
    const temporalFill = pick(['zeros', 'replicate'] as const);
    const hasBias = rand() < 0.7;
    const [h, w] = [pick([5, 6, 7]), pick([5, 6, 8])];
    const t = kt + 3 + Math.floor(rand() * 5);
    const label = `#${i} k${kt}x${kh}x${kw} s${stride.join('')} ${inChannels}->${outChannels}/g${groups} sp=${spatialPadding} tp=${temporalPadding} ${temporalFill} ${activation}${hasBias ? '+b' : ''}`;
    out.push({
      label,
      options: {
        name: `c${i}`,
        inChannels,
        outChannels,
        kernelSize: [kt, kh, kw],
        stride,
        spatialPadding,
        temporalPadding,
        temporalFill,
        groups,
        activation,
        kernel: seededTensor([kt, kh, kw, inChannels / groups, outChannels], 100 + i, -0.5, 0.5),
        ...(hasBias ? { bias: seededTensor([outChannels], 200 + i) } : {}),
      },
      clip: seededClip([pick([1, 2]), t, h, w, inChannels], 300 + i),
    });
  }
  return out;
}

describe('CoConv3d against tf.conv3d (cpu)', () => {
  const cases = sweep(60);

  it.each(cases)('$label', async ({ options, clip }) => {
    for (const stateForm of ['frame-buffer', 'partial-sums'] as ConvStateForm[]) {
      // The sweep's tensors are shared by both forms, so each module gets clones to own.
      const module = new CoConv3d({
        ...options,
        stateForm,
        kernel: tf.clone(options.kernel),
        ...(options.bias ? { bias: tf.clone(options.bias) } : {}),
      });
      const actual = module.forward(clip);
      const expected = groundTruth(module, clip);
      // float32 sums of at most 5 * 5 * 5 * 6 = 750 products of magnitude <= 0.5, summed in
      // another order than tf.conv3d: 1e-5 absolute.
      expectTensorsClose(actual, expected, 1e-5);
      const seen = await streamAndCompareAsync(module, clip, 1e-5);
      expect(seen.leadingNulls).toBe(module.delay);
      tf.dispose([actual, expected]);
      module.dispose();
    }
  });

  it('covers every grouping, padding mode and temporal stride', () => {
    const labels = cases.map((c) => c.label).join('\n');
    for (const needle of [
      '/g1 ',
      'tp=causal',
      'tp=valid',
      'tp=1',
      'replicate',
      'sp=same',
      'sp=valid',
      'sp=2',
      's2',
    ]) {
      expect(labels).toContain(needle);
    }
    expect(
      cases.some((c) => c.options.groups === c.options.inChannels && c.options.inChannels > 1),
    ).toBe(true);
    expect(cases.some((c) => c.options.groups === 2 && c.options.inChannels > 2)).toBe(true);
  });
});
