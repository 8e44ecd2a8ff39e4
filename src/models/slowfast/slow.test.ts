/**
 * The Slow builder on every backend, with the reduced Slow of testing.ts: derived delay,
 * streaming equal to the clip, parameters and FLOPs counted by hand, the 'same' form sharing the
 * weights, seeds, state, leaks and errors. Slow-8x8-R50 is counted in slowfast-flops.node.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { disposeState, frameAt } from '../../continual/base';
import { expectNoLeakedTensors } from '../../continual/testing';
import { maxAbsDiffAsync, streamAndCompareAsync, valuesOf } from '../../continual/testing-async';
import { buildSlow, positiveInt } from './slow';
import { deriveSlowConfig } from './slowfast-config';
import { TINY_SLOW, TINY_SLOW_PATHWAY, relativeTolerance, scaleOf, videoClip } from './testing';

const INPUT = { height: 8, width: 8, channels: 3 };

describe('CoSlow (reduced)', () => {
  it('derives its delay: 2 per temporal conv_a (res3, res4) + the pool window - 1', () => {
    const { network } = buildSlow(TINY_SLOW, { weights: 'zeros' });
    try {
      expect(network.delay).toBe(2 + 2 + 2);
      expect(network.receptiveField).toBe(7);
      expect(network.padding).toEqual({ start: 0, end: 0 });
      expect(network.stride).toBe(1);
      expect(network.outputShape(INPUT)).toEqual({ height: 1, width: 1, channels: 5 });
    } finally {
      network.dispose();
    }
  });

  it('streams what its clip model computes, after 6 null steps', async () => {
    const { network } = buildSlow(TINY_SLOW);
    const clip = videoClip(8, 11, 1);
    try {
      const offline = network.forward(clip);
      const scale = await scaleOf(offline);
      offline.dispose();
      expect(scale).toBeGreaterThan(0.01);
      const seen = await streamAndCompareAsync(network, clip, relativeTolerance() * scale);
      expect(seen).toMatchObject({ leadingNulls: 6, nullSteps: 6, compared: 5 });
    } finally {
      clip.dispose();
      network.dispose();
    }
  });

  it('holds 1,337 parameters (counted by hand)', () => {
    // Stem 7*7*3*4 + 4 = 592; res2 (4 -> 4, identity shortcut): 4*2+2, 9*2*2+2, 2*4+4 = 60;
    // res3 (temporal conv_a, stride 2): 3*4*4+4, 9*4*4+4, 4*8+8, 4*8+8 = 280; res4: 3*8*4+4,
    // 148, 40, 8*8+8 = 360; projection 8*5+5 = 45.
    const valid = buildSlow(TINY_SLOW, { weights: 'zeros' });
    const same = buildSlow(TINY_SLOW, { weights: 'zeros', temporalForm: 'same' });
    try {
      expect(valid.params).toBe(1_337);
      expect(same.params).toBe(1_337);
      expect(valid.temporalForm).toBe('valid');
      expect(same.config).toBe(TINY_SLOW);
    } finally {
      valid.network.dispose();
      same.network.dispose();
    }
  });

  it('costs 10,392 multiply-adds a step and 31,096 per padded view of 3 frames', () => {
    // Per frame: stem 16*147*4 = 9408; res2 (2x2) 4*(8 + 36 + 8) = 208; res3 4*48 + 144 + 32
    // + 32 = 400; res4 96 + 144 + 32 + 64 = 336; projection 40. The padded view runs every conv
    // on 3 frames and the projection once.
    const valid = buildSlow(TINY_SLOW, { weights: 'zeros' }).network;
    const same = buildSlow(TINY_SLOW, { weights: 'zeros', temporalForm: 'same' }).network;
    try {
      expect(valid.flopsPerStep(INPUT).macs).toBe(10_392);
      expect(same.flopsPerClip(INPUT, 3).macs).toBe(3 * (9408 + 208 + 400 + 336) + 40);
      // Padded: 1 frame each side per temporal conv_a, so 3 frames give one view.
      expect(same.padding).toEqual({ start: 2, end: 2 });
      expect(same.receptiveField).toBe(7);
    } finally {
      valid.dispose();
      same.dispose();
    }
  });

  it('holds the same weights in both forms: with per-frame kernels they classify alike', async () => {
    const config = deriveSlowConfig(TINY_SLOW, {
      pathway: { ...TINY_SLOW_PATHWAY, convAKernelT: [1, 1, 1] },
    });
    const valid = buildSlow(config, { seed: 3 }).network;
    const same = buildSlow(config, { seed: 3, temporalForm: 'same' }).network;
    const clip = videoClip(8, 3, 2);
    try {
      const a = valid.forward(clip);
      const b = same.forward(clip);
      expect(a.shape).toEqual([1, 1, 1, 1, 5]);
      const scale = await scaleOf(b);
      expect(scale).toBeGreaterThan(0.01);
      expect(await maxAbsDiffAsync(a, b)).toBeLessThanOrEqual(relativeTolerance() * scale);
      tf.dispose([a, b]);
    } finally {
      clip.dispose();
      valid.dispose();
      same.dispose();
    }
  });

  it('is deterministic per seed and pools over poolWindow frames', async () => {
    const clip = videoClip(8, 9, 4);
    const logits = async (seed: number, poolWindow?: number) => {
      const { network } = buildSlow(TINY_SLOW, {
        seed,
        ...(poolWindow === undefined ? {} : { poolWindow }),
      });
      try {
        const out = network.forward(clip);
        const values = await valuesOf(out);
        out.dispose();
        return { values, delay: network.delay };
      } finally {
        network.dispose();
      }
    };
    try {
      const first = await logits(7);
      expect((await logits(7)).values).toEqual(first.values);
      expect((await logits(8)).values).not.toEqual(first.values);
      const wide = await logits(7, 5);
      expect(wide.delay).toBe(first.delay + 2);
      expect(wide.values.length).toBe(first.values.length - 2 * 5);
    } finally {
      clip.dispose();
    }
  });

  it('round-trips its state and leaks nothing over 200 steps', async () => {
    const steps = 200;
    await expectNoLeakedTensors(async () => {
      const { network } = buildSlow(TINY_SLOW, { seed: 1 });
      const clip = videoClip(8, 10, 5);
      const counts: number[] = [];
      for (let t = 0; t < steps; t++) {
        const frame = frameAt(clip, t % 10);
        network.forwardStep(frame)?.dispose();
        frame.dispose();
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts.slice(10)).size).toBe(1);
      const state = network.getState();
      const frame = frameAt(clip, 0);
      const before = network.forwardStep(frame);
      network.setState(state);
      const after = network.forwardStep(frame);
      expect(await valuesOf(after as tf.Tensor)).toEqual(await valuesOf(before as tf.Tensor));
      tf.dispose([frame, before ?? [], after ?? []]);
      disposeState(state);
      clip.dispose();
      network.dispose();
    });
  });

  it('refuses bad options and configurations', () => {
    expect(() => buildSlow(TINY_SLOW, { temporalForm: 'causal' as unknown as 'same' })).toThrow(
      /buildSlow: temporalForm must be 'valid' or 'same', got 'causal'/,
    );
    expect(() => buildSlow(TINY_SLOW, { poolWindow: 0 })).toThrow(
      /buildSlow: poolWindow must be a positive integer, got 0/,
    );
    expect(() => positiveInt(2.5, 'x')).toThrow(/x must be a positive integer, got 2.5/);
    expect(positiveInt(1, 'x')).toBe(1);
    expect(() => deriveSlowConfig(TINY_SLOW, { frames: 0 })).toThrow(
      /frames must be a positive integer/,
    );
  });
});
