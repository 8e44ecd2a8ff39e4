/**
 * The SlowFast builder on every backend, with the reduced SlowFast of testing.ts (alpha 3, three
 * junctions): derived timings worked out by hand, streaming equal to the clip after the start-up
 * transient, parameters and FLOPs counted by hand, the 'same' form sharing the weights, seeds,
 * state, leaks and errors. The full SlowFast-8x8-R50 is counted in slowfast-flops.node.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { disposeState, frameAt } from '../../continual/base';
import type { Clip } from '../../continual/module';
import { expectNoLeakedTensors } from '../../continual/testing';
import { maxAbsDiffAsync, streamAndCompareAsync, valuesOf } from '../../continual/testing-async';
import { buildSlowFast, type BuildSlowFastOptions } from './slowfast';
import { deriveSlowFastConfig } from './slowfast-config';
import {
  TINY_SLOWFAST,
  TINY_SLOWFAST_PER_FRAME,
  relativeTolerance,
  scaleOf,
  videoClip,
} from './testing';

const INPUT = { height: 8, width: 8, channels: 3 };

async function expectStreamEqualsClip(options: BuildSlowFastOptions, extra: number) {
  const { network } = buildSlowFast(TINY_SLOWFAST, options);
  const clip = videoClip(8, network.delay + extra, 7);
  try {
    const offline = network.forward(clip);
    const scale = await scaleOf(offline);
    offline.dispose();
    // Seeded weights keep logits O(0.1..1): a vanishing scale would make the test vacuous.
    expect(scale).toBeGreaterThan(0.01);
    const seen = await streamAndCompareAsync(network, clip, relativeTolerance() * scale);
    expect(seen.leadingNulls).toBe(network.delay);
    expect(seen.nullSteps).toBe(network.delay);
    expect(seen.compared).toBe(extra);
  } finally {
    clip.dispose();
    network.dispose();
  }
}

describe('CoSlowFast (reduced) timings', () => {
  it('derives lateral delays 2, 0, 1 and a delay of 21 steps', () => {
    const { network } = buildSlowFast(TINY_SLOWFAST, { weights: 'zeros' });
    try {
      // Fast stem kt 3: first Fast output at step 2; Slow stem: step 0. Lateral kf 3: 2 + 2 = 4,
      // 2 more frames (mod 3) make 6 = 0 mod 3; 2 Slow frames (steps 0, 3) dropped. res2: the
      // Slow conv_a is per-frame (6), the Fast block adds 2 (4); lateral 1: 4 + 2 = 6, no
      // delay. res3: Slow + 2 Slow frames (6 + 6 = 12), Fast 6; lateral 2: 6 + 2 = 8, 1 more
      // (9), one lateral output (step 9) dropped. res4: Slow 18, Fast 8. Pools: Slow window 2
      // (18 + 3 = 21), Fast window 6 (8 + 5 = 13).
      expect(network.junctions).toEqual([
        {
          lateralDelay: 2,
          slowFirst: 0,
          lateralFirst: 6,
          first: 6,
          slowDropped: 2,
          lateralDropped: 0,
        },
        {
          lateralDelay: 0,
          slowFirst: 6,
          lateralFirst: 6,
          first: 6,
          slowDropped: 0,
          lateralDropped: 0,
        },
        {
          lateralDelay: 1,
          slowFirst: 12,
          lateralFirst: 9,
          first: 12,
          slowDropped: 0,
          lateralDropped: 1,
        },
      ]);
      expect(network.head).toEqual({ slowFirst: 21, fastFirst: 13, first: 21 });
      expect(network.delay).toBe(21);
      expect(network.receptiveField).toBe(22);
      expect(network.alpha).toBe(3);
      expect(network.outputShape(INPUT)).toEqual({ height: 1, width: 1, channels: 5 });
    } finally {
      network.dispose();
    }
  });
});

describe('CoSlowFast (reduced) streaming equals its clip model', () => {
  it('after 21 null steps, for 5 outputs (two Slow outputs held)', async () => {
    await expectStreamEqualsClip({}, 5);
  });

  it('with lagging residuals', async () => {
    await expectStreamEqualsClip({ align: 'lagging', seed: 3 }, 4);
  });
});

describe('CoSlowFast (reduced) costs', () => {
  it('holds 2,915 parameters in both forms (counted by hand)', () => {
    // Kernel + one folded bias per output channel. Slow stem 7*7*3*4 + 4 = 592, Fast stem
    // 3*7*7*3*2 + 2 = 884; laterals 3*2*4 + 4, 3*2*4 + 4, 3*4*8 + 8 = 28, 28, 104. Slow res2
    // (in 4 + 4): a 8*2+2, b 9*2*2+2, c 2*4+4, shortcut 8*4+4 = 104; res3 (in 8): 3*8*4+4,
    // 9*4*4+4, 4*8+8, 8*8+8 = 360; res4 (in 8 + 8): 3*16*4+4, 148, 40, 16*8+8 = 520. Fast res2
    // (2 -> 2, identity shortcut): 3*2*2+2, 38, 2*2+2 = 58; res3: 14, 38, 12, 2*4+4 = 76;
    // res4: 3*4*2+2, 38, 12, 4*4+4 = 96. Projection (8 + 4) * 5 + 5 = 65.
    const valid = buildSlowFast(TINY_SLOWFAST, { weights: 'zeros' });
    const same = buildSlowFast(TINY_SLOWFAST, { weights: 'zeros', temporalForm: 'same' });
    try {
      expect(valid.params).toBe(2_915);
      expect(same.params).toBe(2_915);
      expect(valid.temporalForm).toBe('valid');
      expect(same.temporalForm).toBe('same');
      expect(same.config).toBe(TINY_SLOWFAST);
    } finally {
      valid.network.dispose();
      same.network.dispose();
    }
  });

  it('costs 18,292 multiply-adds a step (counted by hand)', () => {
    // 8x8 -> stem 4x4 -> pool 2x2 (res2) -> 1x1 (res3, res4). Per output frame: Slow stem
    // 16*147*4 = 9408, Fast stem 16*441*2 = 14112; laterals 4*24, 4*24, 1*96; Slow res2
    // 4*(16+36+8+32) = 368, res3 4*96 + 144 + 32 + 64 = 624, res4 192 + 144 + 32 + 128 = 496;
    // Fast res2 4*(12+36+4) = 208, res3 48 + 36 + 8 + 8 = 100, res4 24 + 36 + 8 + 16 = 84;
    // projection 60. Slow stem, laterals and Slow stages run every 3rd step:
    // (9408 + 3*96 + 368 + 624 + 496) / 3 + 14112 + 208 + 100 + 84 + 60.
    const { network } = buildSlowFast(TINY_SLOWFAST, { weights: 'zeros' });
    try {
      const step = network.flopsPerStep(INPUT);
      expect(step.macs).toBeCloseTo((9408 + 288 + 368 + 624 + 496) / 3 + 14564, 6);
      expect(step.macs).toBeCloseTo(18_292, 6);
      expect(step.elementwise).toBeGreaterThan(0);
      // State: every buffer of every part plus the held Slow features (8 floats).
      expect(network.stateBytes(INPUT)).toBeGreaterThan(32);
    } finally {
      network.dispose();
    }
  });

  it("counts the 'same' view of 6 frames (2 Slow) as 109,452 multiply-adds", () => {
    // Each part once per frame it sees: Slow (stem, 3 laterals, 3 stages) x 2, Fast x 6, the
    // projection once: 2*(9408 + 288 + 368 + 624 + 496) + 6*(14112 + 208 + 100 + 84) + 60.
    const { network } = buildSlowFast(TINY_SLOWFAST, { weights: 'zeros', temporalForm: 'same' });
    try {
      expect(network.receptiveField).toBe(6);
      expect(network.flopsPerClip(INPUT, 6).macs).toBe(109_452);
    } finally {
      network.dispose();
    }
  });

  it("counts the 'valid' clip as the parts over the clips forward gives them", () => {
    const { network } = buildSlowFast(TINY_SLOWFAST, { weights: 'zeros' });
    try {
      const at = (frames: number) => network.flopsPerClip(INPUT, frames).macs;
      expect(at(21)).toBe(0);
      // 22 frames: Slow stem 8 outputs (frames 0..21 step 3), Fast stem 20. Lateral 0 on 20
      // Fast frames, 18 after its delay of 2: 6 outputs; fused min(8 - 2, 6) = 6. Slow res2
      // (per-frame) 6 frames; Fast res2 on 20: 18 outputs. Lateral 1 on 18: 6; fused 6. Slow
      // res3 on 6: branch 4 outputs (4*96 + 144 + 32), strided shortcut on all 6 (64 each);
      // Fast res3 on 18: branch 16 (48 + 36 + 8), shortcut 18 (8). Lateral 2 on 16, 15 after its
      // delay: 5, one dropped: fused min(4, 5 - 1) = 4. Slow res4 on 4: branch 2 (192 + 144 +
      // 32), shortcut 4 (128); Fast res4 on 16: branch 14 (24 + 36 + 8), shortcut 16 (16).
      // Projection: 22 - 21 = 1 output.
      const expected =
        8 * 9408 +
        20 * 14112 +
        6 * 96 +
        6 * 368 +
        18 * 208 +
        6 * 96 +
        (4 * 560 + 6 * 64) +
        (16 * 92 + 18 * 8) +
        5 * 96 +
        (2 * 368 + 4 * 128) +
        (14 * 68 + 16 * 16) +
        60;
      expect(at(22)).toBe(expected);
      // Each further frame adds at least one Fast step and one output.
      expect(at(23) - at(22)).toBeGreaterThanOrEqual(14112 + 208 + 100 + 84 + 60);
    } finally {
      network.dispose();
    }
  });
});

describe("CoSlowFast (reduced) 'same' form", () => {
  it('holds the same weights: with every temporal kernel 1 both forms classify a view alike', async () => {
    const valid = buildSlowFast(TINY_SLOWFAST_PER_FRAME, { seed: 4 }).network;
    const same = buildSlowFast(TINY_SLOWFAST_PER_FRAME, { seed: 4, temporalForm: 'same' }).network;
    const clip = videoClip(8, 6, 8);
    try {
      // Per-frame kernels: delay = Fast pool window - 1 = 5, so 6 frames give one output.
      expect(valid.delay).toBe(5);
      const a = valid.forward(clip);
      const b = same.forward(clip);
      expect(a.shape).toEqual([1, 1, 1, 1, 5]);
      expect(b.shape).toEqual([1, 1, 1, 1, 5]);
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

  it('differs from the valid form where kernels are temporal (padding changes the view)', async () => {
    const same = buildSlowFast(TINY_SLOWFAST, { temporalForm: 'same' }).network;
    const clip = videoClip(8, 6, 9);
    try {
      const out = same.forward(clip);
      expect(out.shape).toEqual([1, 1, 1, 1, 5]);
      expect(await scaleOf(out)).toBeGreaterThan(0.01);
      out.dispose();
      const frame = frameAt(clip, 0);
      expect(() => same.forwardStep(frame)).toThrow(/does not stream/);
      frame.dispose();
    } finally {
      clip.dispose();
      same.dispose();
    }
  });
});

describe('buildSlowFast', () => {
  it('is deterministic per seed', async () => {
    const clip = videoClip(8, 22, 10);
    const logits = async (seed: number) => {
      const { network } = buildSlowFast(TINY_SLOWFAST, { seed });
      try {
        const out = network.forward(clip);
        const values = await valuesOf(out);
        out.dispose();
        return values;
      } finally {
        network.dispose();
      }
    };
    try {
      const first = await logits(5);
      expect(await logits(5)).toEqual(first);
      expect(await logits(6)).not.toEqual(first);
    } finally {
      clip.dispose();
    }
  });

  it('refuses bad options and frees what it built', async () => {
    await expectNoLeakedTensors(() => {
      expect(() => buildSlowFast(TINY_SLOWFAST, { lateralDelays: [0, 0, 0] })).toThrow(
        /junction 0 is not congruent/,
      );
      expect(() =>
        buildSlowFast(TINY_SLOWFAST, { temporalForm: 'causal' as unknown as 'valid' }),
      ).toThrow(/temporalForm must be 'valid' or 'same', got 'causal'/);
      expect(() => buildSlowFast(TINY_SLOWFAST, { weights: 'ones' as unknown as 'zeros' })).toThrow(
        /weights must be 'seeded' or 'zeros', got 'ones'/,
      );
    });
    // Given delays that are congruent are accepted: 2 + 3 = 5 before the first lateral.
    const { network } = buildSlowFast(TINY_SLOWFAST, {
      lateralDelays: [5, 0, 1],
      weights: 'zeros',
    });
    expect(network.junctions[0]).toMatchObject({ lateralDelay: 5, first: 9, slowDropped: 3 });
    network.dispose();
  });

  it('refuses inconsistent configurations', () => {
    const derive = (changes: object) => () => deriveSlowFastConfig(TINY_SLOWFAST, changes);
    expect(derive({ frames: 7 })).toThrow(/frames \(7\) must be a multiple of alpha \(3\)/);
    expect(derive({ fusionKernelT: 2 })).toThrow(/fusionKernelT must be an odd positive integer/);
  });
});

describe('CoSlowFast (reduced) state', () => {
  it('round-trips a snapshot mid-stream and replays after a reset', async () => {
    const { network } = buildSlowFast(TINY_SLOWFAST, { seed: 2 });
    const clip = videoClip(8, 30, 11);
    const run = async (from: number, to: number) => {
      const out: number[][] = [];
      for (let t = from; t < to; t++) {
        const frame = frameAt(clip, t);
        const y = tf.tidy(() => network.forwardStep(frame) ?? undefined) ?? null;
        frame.dispose();
        if (y !== null) out.push(await valuesOf(y));
        y?.dispose();
      }
      return out;
    };
    try {
      const first = await run(0, 24);
      expect(first.length).toBe(3);
      const snapshot = network.getState();
      const rest = await run(24, 30);
      expect(rest.length).toBe(6);
      network.setState(snapshot);
      expect(await run(24, 30)).toEqual(rest);
      disposeState(snapshot);
      network.resetState();
      expect(await run(0, 24)).toEqual(first);
    } finally {
      clip.dispose();
      network.dispose();
    }
  });

  it('keeps the number of tensors constant over 200 steps and frees everything', async () => {
    const steps = 200;
    await expectNoLeakedTensors(async () => {
      const { network } = buildSlowFast(TINY_SLOWFAST, { seed: 1 });
      const clip = videoClip(8, 12, 12) as Clip;
      const counts: number[] = [];
      for (let t = 0; t < steps; t++) {
        const frame = frameAt(clip, t % 12);
        network.forwardStep(frame)?.dispose();
        frame.dispose();
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts.slice(30)).size).toBe(1);
      clip.dispose();
      network.dispose();
    });
  });
});
