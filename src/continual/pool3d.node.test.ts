/**
 * Ground truth for CoPool3d from tf.avgPool3d / tf.maxPool3d on the cpu backend (Node only: the
 * library avoids these ops because tfjs-wasm's maxPool3d returns 0 for all-negative windows).
 *
 * tf.*Pool3d applies one padding mode to all three axes, so the clip is padded in time by hand
 * (real zero or replicated frames, which count in the average) and:
 * - spatial 'valid': pool3d 'valid' with the module's strides;
 * - spatial 'same': pool3d 'same' with temporal stride 1, then the outputs whose windows lie
 *   wholly inside the padded clip (TF SAME adds floor((kt - 1) / 2) frames in front, excluded from
 *   the count only where a window overhangs), taken every st-th.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { Clip, TemporalFill } from './module';
import { CoPool3d, type PoolKind, type PoolTemporalPadding } from './pool3d';
import { expectTensorsClose, seededTensor } from './testing';
import { streamAndCompareAsync } from './testing-async';

// Both sides sum/compare the same float32 values; only the order of additions differs
// (separable vs one 3D window), a few ulps of values up to 5 in magnitude.
const TOL = 2e-6;

function padTime(clip: Clip, start: number, end: number, fill: TemporalFill): Clip {
  return tf.tidy(() => {
    const [n, t, h, w, c] = clip.shape;
    if (fill === 'zeros') {
      return tf.pad(clip, [
        [0, 0],
        [start, end],
        [0, 0],
        [0, 0],
        [0, 0],
      ]);
    }
    const first = tf.slice(clip, [0, 0, 0, 0, 0], [n, 1, h, w, c]);
    const last = tf.slice(clip, [0, t - 1, 0, 0, 0], [n, 1, h, w, c]);
    return tf.concat(
      [tf.tile(first, [1, start, 1, 1, 1]), clip, tf.tile(last, [1, end, 1, 1, 1])].filter(
        (part) => part.shape[1] > 0,
      ),
      1,
    );
  }) as Clip;
}

function groundTruth(module: CoPool3d, clip: Clip): tf.Tensor {
  return tf.tidy(() => {
    const [kt, kh, kw] = module.kernelSize;
    const [st, sh, sw] = module.strides;
    const padded = padTime(clip, module.padding.start, module.padding.end, module.temporalFill);
    const pool = module.kind === 'avg' ? tf.avgPool3d : tf.maxPool3d;
    if (module.spatialPadding === 'valid') {
      return pool(padded, [kt, kh, kw], [st, sh, sw], 'valid');
    }
    const all = pool(padded, [kt, kh, kw], [1, sh, sw], 'same');
    const front = Math.floor((kt - 1) / 2);
    const [n, tp, ho, wo, c] = all.shape;
    const outputs = Math.floor((tp - kt) / st) + 1;
    return tf.stridedSlice(
      all,
      [0, front, 0, 0, 0],
      [n, front + (outputs - 1) * st + 1, ho, wo, c],
      [1, st, 1, 1, 1],
    );
  });
}

interface Case {
  kernelSize: [number, number, number];
  stride: [number, number, number];
  spatialPadding: 'same' | 'valid';
  temporalPadding: PoolTemporalPadding;
  temporalFill: TemporalFill;
}

const cases: Case[] = [
  {
    kernelSize: [3, 2, 2],
    stride: [1, 1, 1],
    spatialPadding: 'valid',
    temporalPadding: 'valid',
    temporalFill: 'zeros',
  },
  {
    kernelSize: [3, 3, 3],
    stride: [1, 2, 2],
    spatialPadding: 'same',
    temporalPadding: 'causal',
    temporalFill: 'zeros',
  },
  {
    kernelSize: [2, 3, 3],
    stride: [2, 1, 2],
    spatialPadding: 'same',
    temporalPadding: 'valid',
    temporalFill: 'zeros',
  },
  {
    kernelSize: [3, 2, 3],
    stride: [2, 2, 1],
    spatialPadding: 'valid',
    temporalPadding: 1,
    temporalFill: 'zeros',
  },
  {
    kernelSize: [4, 3, 2],
    stride: [1, 1, 1],
    spatialPadding: 'same',
    temporalPadding: 2,
    temporalFill: 'replicate',
  },
  {
    kernelSize: [3, 3, 3],
    stride: [3, 3, 3],
    spatialPadding: 'same',
    temporalPadding: 'causal',
    temporalFill: 'replicate',
  },
  {
    kernelSize: [1, 2, 2],
    stride: [1, 2, 2],
    spatialPadding: 'valid',
    temporalPadding: 'valid',
    temporalFill: 'zeros',
  },
];

describe('CoPool3d against tf.avgPool3d / tf.maxPool3d (cpu)', () => {
  for (const kind of ['avg', 'max'] as PoolKind[]) {
    for (const c of cases) {
      const label = `${kind} k${c.kernelSize.join('x')} s${c.stride.join('x')} ${c.spatialPadding} t=${String(c.temporalPadding)} ${c.temporalFill}`;
      it(label, async () => {
        const module = new CoPool3d({ name: 'p', kind, ...c });
        for (const [seed, lo, hi] of [
          [1, -1, 1],
          [2, -5, -1], // all negative: maxima must stay negative
        ] as const) {
          const clip = seededTensor([2, 9, 7, 6, 3], seed, lo, hi) as Clip;
          const ours = module.forward(clip);
          const truth = groundTruth(module, clip);
          expect(ours.shape).toEqual(truth.shape);
          expectTensorsClose(ours, truth, TOL);
          // And the stream, through the offline twin.
          await streamAndCompareAsync(module, clip, 1e-6);
          tf.dispose([clip, ours, truth]);
        }
        module.dispose();
      });
    }
  }

  it('the padding-excluding spatial average differs from a zero-including one', () => {
    // Guards the reference itself: with 'same', an overhanging window must not divide by kh*kw.
    const module = new CoPool3d({
      name: 'p',
      kind: 'avg',
      kernelSize: [1, 3, 3],
      stride: [1, 1, 1],
      spatialPadding: 'same',
    });
    const clip = tf.ones([1, 1, 4, 4, 1]) as Clip;
    const out = module.forward(clip);
    expectTensorsClose(out, clip, 0);
    tf.dispose([clip, out]);
    module.dispose();
  });
});
