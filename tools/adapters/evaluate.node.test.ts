/** The evaluation measures by hand, and streaming a tiny network. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { buildMovinetA0 } from '../../src/models/movinet/movinet-a0';
import { weightsFromTensors } from '../../src/models/adapters/movinet-tensors';
import {
  seededMovinetTensors,
  tinyMovinetConfig,
  tinyMovinetSpec,
} from '../../src/models/adapters/testing';
import { agreement, argmax, klDivergence, logSoftmax, streamLogits } from './evaluate';

describe('evaluation measures', () => {
  it('logSoftmax of equal logits is -log n', () => {
    for (const v of logSoftmax([3, 3, 3, 3])) expect(v).toBeCloseTo(-Math.log(4), 14);
    // Shift-invariant and stable for large logits.
    const a = logSoftmax([1000, 1001]);
    expect(a[1]).toBeCloseTo(-Math.log(1 + Math.exp(-1)), 12);
  });

  it('KL of two distributions by hand, 0 for equal ones', () => {
    // p = softmax([0, ln 3]) = (1/4, 3/4), q = (1/2, 1/2): KL = 1/4 ln(1/2) + 3/4 ln(3/2).
    const kl = klDivergence([0, Math.log(3)], [0, 0]);
    expect(kl).toBeCloseTo(0.25 * Math.log(0.5) + 0.75 * Math.log(1.5), 12);
    expect(klDivergence([1, 2, 3], [11, 12, 13])).toBeCloseTo(0, 12);
    expect(klDivergence([0, 0], [0, Math.log(3)])).toBeGreaterThan(0);
  });

  it('argmax takes the first of equal maxima', () => {
    expect(argmax([1, 5, 5, 2])).toBe(1);
    expect(argmax([-1])).toBe(0);
  });

  it('agreement counts matching top-1 frames and averages KL over all frames', () => {
    const t = [
      [Float32Array.from([0, 1]), Float32Array.from([2, 0])],
      [Float32Array.from([0, 0, 5])],
    ];
    const s = [
      [Float32Array.from([0, 2]), Float32Array.from([0, 2])],
      [Float32Array.from([0, 0, 5])],
    ];
    const a = agreement(t, s);
    expect(a.frames).toBe(3);
    expect(a.top1).toBeCloseTo(2 / 3, 12);
    const expectedKl = (klDivergence([0, 1], [0, 2]) + klDivergence([2, 0], [0, 2])) / 3;
    expect(a.meanKl).toBeCloseTo(expectedKl, 12);
    expect(() => agreement(t, [s[0] ?? []])).toThrow(
      'clip 1: 0 variant frames for 1 teacher frames',
    );
  });
});

describe('streamLogits', () => {
  it('gives one logit vector per frame, as forward over the clip does', () => {
    const spec = tinyMovinetSpec();
    const network = buildMovinetA0(
      spec,
      weightsFromTensors('tiny', tinyMovinetConfig(), seededMovinetTensors(spec, 1)),
      {
        quantization: 'float',
      },
    );
    const data = new Uint8Array(4 * 8 * 8 * 3).map((_, i) => (i * 37) % 256);
    const { logits, msPerStep } = streamLogits(network, {
      data,
      shape: [4, 8, 8, 3],
      filter: 'test',
    });
    expect(logits).toHaveLength(4);
    expect(logits[0]).toHaveLength(5);
    expect(msPerStep).toBeGreaterThan(0);
    const clip = tf.tidy(() =>
      tf.div(tf.tensor5d(Float32Array.from(data), [1, 4, 8, 8, 3]), 255),
    ) as tf.Tensor5D;
    const offline = network.forward(clip);
    const rows = (offline.arraySync() as number[][][][][])[0] ?? [];
    rows.forEach((row, t) =>
      row[0]?.[0]?.forEach((v, k) => expect(logits[t]?.[k]).toBeCloseTo(v, 4)),
    );
    tf.dispose([clip, offline]);
    network.dispose();
  });
});
