/**
 * CoSlowFastNetwork's routing, on a network small enough to work out by hand: one channel, one
 * pixel, alpha = 2, weights chosen so every output is a known integer combination of the input
 * values. It checks the derived timings (junction delay, dropped start-up outputs, head hold),
 * stream and clip against the hand formula, the congruence check, the option errors, FLOPs and
 * state. The builder's networks (real convs, three junctions) are tested in slowfast.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { disposeState, frameAt } from '../../continual/base';
import { CoConv3d } from '../../continual/conv3d';
import { CoGlobalAvgPool } from '../../continual/global-pool';
import type { Clip, CoState } from '../../continual/module';
import { CoPointwiseConv } from '../../continual/pointwise';
import { expectNoLeakedTensors } from '../../continual/testing';
import { streamAndCompareAsync, valuesOf } from '../../continual/testing-async';
import { CoSlowFastNetwork, type SlowFastParts } from './slowfast-network';

const ALPHA = 2;
/** Inputs x_t: small integers, so every output below is exact in float32. */
const X = [3, -1, 4, 1, -5, 9, 2, -6, 5, 3, -5, 8, 9, -7, 9, 3];

/** A 1 -> 1 channel conv over a 1x1 frame with the given temporal taps (oldest first). */
function conv(name: string, taps: number[], stride = 1): CoConv3d {
  return new CoConv3d({
    name,
    inChannels: 1,
    outChannels: 1,
    kernelSize: [taps.length, 1, 1],
    stride: [stride, 1, 1],
    spatialPadding: 'valid',
    kernel: tf.tensor5d(taps, [taps.length, 1, 1, 1, 1]),
  });
}

function linear(name: string, rows: number[][]): CoPointwiseConv {
  const kernel = tf.tensor2d(rows);
  try {
    return new CoPointwiseConv({
      name,
      inChannels: rows.length,
      outChannels: rows[0]?.length ?? 0,
      kernel,
    });
  } finally {
    kernel.dispose();
  }
}

/**
 * Slow stem: x_{2k} (every other frame). Fast stem: f_i = x_i + x_{i+1}. Lateral: 10 f_{2k}.
 * Slow stage: slow + lateral. Fast stage: identity. Pools: windows of 2 frames. Projection:
 * identity on [slow pooled, fast pooled].
 */
function handParts(overrides: Partial<SlowFastParts> = {}): SlowFastParts {
  return {
    slowStem: conv('slow_stem', [1], ALPHA),
    fastStem: conv('fast_stem', [1, 1]),
    laterals: [conv('lateral0', [10], ALPHA)],
    slowStages: [linear('slow_s2', [[1], [1]])],
    fastStages: [linear('fast_s2', [[1]])],
    slowPool: new CoGlobalAvgPool({ name: 'slow_pool', window: 2 }),
    fastPool: new CoGlobalAvgPool({ name: 'fast_pool', window: 2 }),
    projection: linear('projection', [
      [1, 0],
      [0, 1],
    ]),
    ...overrides,
  };
}

function disposeParts(parts: SlowFastParts): void {
  const { slowStem, fastStem, laterals, slowStages, fastStages, slowPool, fastPool } = parts;
  for (const m of [slowStem, fastStem, ...laterals, ...slowStages, ...fastStages, slowPool]) {
    m.dispose();
  }
  fastPool.dispose();
  parts.projection.dispose();
}

/**
 * The hand formula. The lateral needs a delay of 1 (Fast stem first output at step 1, Slow at
 * step 0, alpha 2), so it emits 10 f_{2k} at step 2k + 2, paired with the Slow frame of that
 * step: s_k = x_{2k+2} + 10 (x_{2k} + x_{2k+1}) (the Slow frame x_0 has no partner). The Slow
 * pool emits (s_k + s_{k+1}) / 2 at step 2k + 4; the Fast pool (f_{t-2} + f_{t-1}) / 2 at
 * step t >= 2. Output at t >= 4: [held Slow pool (k = floor((t - 4) / 2)), Fast pool].
 */
function expected(t: number, x: readonly number[] = X, lateralDelay = 1): [number, number] {
  const at = (i: number) => x[i] as number;
  // With a lateral delay of 1 + 2j the lateral pairs with the Slow frame 2j + 2 later.
  const lag = (lateralDelay - 1) / 2;
  const s = (k: number) => at(2 * k + 2 + 2 * lag) + 10 * (at(2 * k) + at(2 * k + 1));
  const slowFirst = 4 + 2 * lag;
  const k = Math.floor((t - slowFirst) / 2);
  const f = (i: number) => at(i) + at(i + 1);
  return [(s(k) + s(k + 1)) / 2, (f(t - 2) + f(t - 1)) / 2];
}

function inputClip(x: readonly number[] = X): Clip {
  return tf.tensor5d([...x], [1, x.length, 1, 1, 1]);
}

describe('CoSlowFastNetwork timing (derived)', () => {
  it('inserts a delay of 1 before the lateral, drops one Slow frame and holds the Slow pool', () => {
    const net = new CoSlowFastNetwork('hand', handParts(), { temporalForm: 'valid' });
    try {
      expect(net.alpha).toBe(2);
      expect(net.junctions).toEqual([
        {
          lateralDelay: 1,
          slowFirst: 0,
          lateralFirst: 2,
          first: 2,
          slowDropped: 1,
          lateralDropped: 0,
        },
      ]);
      // Slow: 2 + (window 2 - 1) * alpha; Fast: 1 + (window 2 - 1).
      expect(net.head).toEqual({ slowFirst: 4, fastFirst: 2, first: 4 });
      expect(net.delay).toBe(4);
      expect(net.receptiveField).toBe(5);
      expect(net.padding).toEqual({ start: 0, end: 0 });
      expect(net.stride).toBe(1);
      expect(net.outputShape({ height: 1, width: 1, channels: 1 })).toEqual({
        height: 1,
        width: 1,
        channels: 2,
      });
    } finally {
      net.dispose();
    }
  });

  it('lets the Fast pool start the head when it is the later one', () => {
    // Fast pool window 6: first at 1 + 5 = 6 > Slow pool's 4; delay 6.
    const fastPool = new CoGlobalAvgPool({ name: 'fast_pool', window: 6 });
    const net = new CoSlowFastNetwork('hand', handParts({ fastPool }), { temporalForm: 'valid' });
    try {
      expect(net.head).toEqual({ slowFirst: 4, fastFirst: 6, first: 6 });
      expect(net.delay).toBe(6);
    } finally {
      net.dispose();
    }
  });
});

describe('CoSlowFastNetwork outputs (hand formula)', () => {
  it('streams [held Slow pool, Fast pool] from step 4 on', async () => {
    const net = new CoSlowFastNetwork('hand', handParts(), { temporalForm: 'valid' });
    const clip = inputClip();
    try {
      for (let t = 0; t < X.length; t++) {
        const frame = frameAt(clip, t);
        const out = net.forwardStep(frame);
        frame.dispose();
        if (t < 4) {
          expect(out, `step ${t}`).toBeNull();
          continue;
        }
        expect(out?.shape).toEqual([1, 1, 1, 2]);
        expect(await valuesOf(out as tf.Tensor), `step ${t}`).toEqual(expected(t));
        out?.dispose();
      }
    } finally {
      clip.dispose();
      net.dispose();
    }
  });

  it('computes the same outputs offline, one per frame after the delay', async () => {
    const net = new CoSlowFastNetwork('hand', handParts(), { temporalForm: 'valid' });
    const clip = inputClip();
    try {
      const out = net.forward(clip);
      expect(out.shape).toEqual([1, X.length - 4, 1, 1, 2]);
      const values = await valuesOf(out);
      const want = Array.from({ length: X.length - 4 }, (_, j) => expected(j + 4)).flat();
      expect(values).toEqual(want);
      out.dispose();
      // Too short for an output: an empty clip, nothing computed.
      const short = tf.slice(clip, [0, 0, 0, 0, 0], [1, 4, 1, 1, 1]) as Clip;
      const none = net.forward(short);
      expect(none.shape).toEqual([1, 0, 1, 1, 2]);
      tf.dispose([short, none]);
    } finally {
      clip.dispose();
      net.dispose();
    }
  });

  it('passes the streaming-equals-clip check with delay leading nulls', async () => {
    const net = new CoSlowFastNetwork('hand', handParts(), { temporalForm: 'valid' });
    const clip = inputClip();
    try {
      // Integer arithmetic: exact on every backend.
      const seen = await streamAndCompareAsync(net, clip, 0);
      expect(seen).toMatchObject({ leadingNulls: 4, nullSteps: 4, compared: X.length - 4 });
    } finally {
      clip.dispose();
      net.dispose();
    }
  });

  it('accepts another congruent lateral delay (3) and pairs one Slow frame later', async () => {
    const net = new CoSlowFastNetwork('hand', handParts(), {
      temporalForm: 'valid',
      lateralDelays: [3],
    });
    const clip = inputClip();
    try {
      expect(net.junctions[0]).toMatchObject({ lateralFirst: 4, first: 4, slowDropped: 2 });
      expect(net.delay).toBe(6);
      const out = net.forward(clip);
      const want = Array.from({ length: X.length - 6 }, (_, j) => expected(j + 6, X, 3)).flat();
      expect(await valuesOf(out)).toEqual(want);
      out.dispose();
      await streamAndCompareAsync(net, clip, 0);
    } finally {
      clip.dispose();
      net.dispose();
    }
  });
});

describe('CoSlowFastNetwork build checks', () => {
  const build = (overrides: Partial<SlowFastParts>, options: object = {}) => {
    const parts = handParts(overrides);
    try {
      new CoSlowFastNetwork('hand', parts, { temporalForm: 'valid', ...options }).dispose();
    } catch (e) {
      disposeParts(parts);
      throw e;
    }
  };

  it('refuses lateral delays that break the junction congruence', () => {
    expect(() => build({}, { lateralDelays: [0] })).toThrow(
      /junction 0 is not congruent: the Slow stream emits at steps 0 mod 2, lateral "lateral0" at 1 mod 2; delay the Fast features by 1 \(mod 2\) frames/,
    );
    expect(() => build({}, { lateralDelays: [2] })).toThrow(/junction 0 is not congruent/);
    expect(() => build({}, { lateralDelays: [-1] })).toThrow(
      /lateral delay 0 must be a non-negative integer, got -1/,
    );
    expect(() => build({}, { lateralDelays: [1.5] })).toThrow(/non-negative integer, got 1.5/);
    expect(() => build({}, { lateralDelays: [1, 1] })).toThrow(/lateralDelays needs 1 values/);
  });

  it('refuses a lateral whose stride differs from the Slow stem', () => {
    expect(() => build({ laterals: [conv('lateral0', [10], 3)] })).toThrow(
      /lateral "lateral0" has temporal stride 3; it must equal the Slow stem's \(alpha = 2\)/,
    );
  });

  it('refuses strided stages and pools, padded parts and a temporal projection', () => {
    expect(() => build({ fastStages: [conv('fast_s2', [1], 2)] })).toThrow(
      /"fast_s2" must have temporal stride 1, has 2/,
    );
    expect(() => build({ fastStem: conv('fast_stem', [1, 1], 2) })).toThrow(
      /"fast_stem" must have temporal stride 1/,
    );
    const padded = new CoGlobalAvgPool({ name: 'fast_pool', window: 2, temporalPadding: 'causal' });
    expect(() => build({ fastPool: padded })).toThrow(
      /needs unpadded parts; "fast_pool" is padded/,
    );
    expect(() => build({ projection: conv('projection', [1, 1]) })).toThrow(
      /projection must act per frame/,
    );
  });

  it('refuses missing stages, duplicate names and a part named "held"', () => {
    expect(() => build({ laterals: [] })).toThrow(/needs one lateral, one Slow and one Fast stage/);
    expect(() => build({ slowStages: [] })).toThrow(/\(got 1, 0, 1\)/);
    expect(() => build({ fastStages: [] })).toThrow(/\(got 1, 1, 0\)/);
    expect(() => build({ fastStages: [linear('slow_s2', [[1]])] })).toThrow(
      /two children are named "slow_s2"/,
    );
    expect(() => build({ fastStages: [linear('held', [[1]])] })).toThrow(/"held" is the name/);
  });

  it('refuses an unknown form, and lateral delays in the padded form', () => {
    expect(() => build({}, { temporalForm: 'causal' })).toThrow(
      /temporalForm must be 'valid' or 'same', got 'causal'/,
    );
    expect(() => build({}, { temporalForm: 'same', lateralDelays: [1] })).toThrow(
      /lateralDelays apply to the 'valid' form only/,
    );
  });

  it('refuses laterals whose spatial size differs from the Slow features', () => {
    const lateral = new CoConv3d({
      name: 'lateral0',
      inChannels: 1,
      outChannels: 1,
      kernelSize: [1, 1, 1],
      stride: [ALPHA, 2, 2],
      spatialPadding: 'valid',
      kernel: tf.ones([1, 1, 1, 1, 1]),
    });
    const net = new CoSlowFastNetwork('hand', handParts({ laterals: [lateral] }), {
      temporalForm: 'valid',
    });
    try {
      expect(net.outputShape({ height: 1, width: 1, channels: 1 }).channels).toBe(2);
      expect(() => net.outputShape({ height: 2, width: 2, channels: 1 })).toThrow(
        /junction 0: cannot concat branch outputs of shapes \[2, 2, 1\], \[1, 1, 1\]/,
      );
      expect(() => net.outputShape({ height: 1, width: 1, channels: 3 })).toThrow(
        /expected 1 input channels, got 3/,
      );
    } finally {
      net.dispose();
    }
  });
});

describe('CoSlowFastNetwork costs', () => {
  const input = { height: 1, width: 1, channels: 1 };

  it('counts a step: Fast parts every step, Slow parts and laterals every other step', () => {
    const net = new CoSlowFastNetwork('hand', handParts(), { temporalForm: 'valid' });
    try {
      // macs: Slow stem 1/2, Fast stem 2, lateral 1/2, Slow stage 2/2, Fast stage 1,
      // projection 2 x 2 = 9. Elementwise: each pool reads 1 (space) + 2 (window) per output:
      // Fast 3, Slow 3/2.
      expect(net.flopsPerStep(input)).toEqual({ macs: 9, elementwise: 4.5 });
    } finally {
      net.dispose();
    }
  });

  it('counts a clip of 10 frames as forward computes it, and nothing for a short clip', () => {
    const net = new CoSlowFastNetwork('hand', handParts(), { temporalForm: 'valid' });
    try {
      // Slow stem: 5 outputs (1 mac); Fast stem: 9 (2 macs); lateral: 9 Fast frames, 8 after
      // the delay, 4 outputs (1 mac); fused: min(5 - 1, 4) = 4 Slow frames (2 macs); Fast
      // stage 9 (1 mac); projection 10 - 4 = 6 outputs (4 macs): 5 + 18 + 4 + 8 + 9 + 24.
      // Pools: Slow 4 frames, 3 outputs: 4 + 3 * 2; Fast 9 frames, 8 outputs: 9 + 8 * 2.
      expect(net.flopsPerClip(input, 10)).toEqual({ macs: 68, elementwise: 35 });
      expect(net.flopsPerClip(input, 4)).toEqual({ macs: 0, elementwise: 0 });
      // An 11th frame (step 10) is a Slow frame and completes lateral 10 f_8: one more output
      // everywhere: Slow stem 1, Fast stem 2, lateral 1, Slow stage 2, Fast stage 1,
      // projection 4; each pool reads one more frame and one more window of 2.
      expect(net.flopsPerClip(input, 11)).toEqual({
        macs: 68 + 1 + 2 + 1 + 2 + 1 + 4,
        elementwise: 35 + 3 + 3,
      });
      // Step 11 is not a Slow step: Fast stem, Fast stage, Fast pool, projection only.
      expect(net.flopsPerClip(input, 12)).toEqual({ macs: 79 + 2 + 1 + 4, elementwise: 41 + 3 });
    } finally {
      net.dispose();
    }
  });

  it('holds the children states plus the held Slow features', () => {
    const net = new CoSlowFastNetwork('hand', handParts(), { temporalForm: 'valid' });
    try {
      // Fast stem 1 frame, lateral delay 1 frame, pools 1 mean each, held 1 value: 4 bytes each.
      expect(net.stateBytes(input)).toBe(5 * 4);
    } finally {
      net.dispose();
    }
  });
});

describe('CoSlowFastNetwork state', () => {
  it('round-trips a snapshot mid-stream and resets to the start', async () => {
    const net = new CoSlowFastNetwork('hand', handParts(), { temporalForm: 'valid' });
    const clip = inputClip();
    const run = async (from: number, to: number) => {
      const out: number[][] = [];
      for (let t = from; t < to; t++) {
        const frame = frameAt(clip, t);
        const y = tf.tidy(() => net.forwardStep(frame) ?? undefined) ?? null;
        frame.dispose();
        if (y !== null) out.push(await valuesOf(y));
        y?.dispose();
      }
      return out;
    };
    try {
      await run(0, 7);
      const snapshot: CoState = net.getState();
      expect(Object.keys(snapshot).sort()).toEqual(
        [
          'fast_pool',
          'fast_s2',
          'fast_stem',
          'held',
          'lateral0',
          'projection',
          'slow_pool',
          'slow_s2',
          'slow_stem',
        ].sort(),
      );
      // Step 7 holds the Slow pool output of step 6, k = 1.
      expect(await valuesOf(snapshot['held'] as tf.Tensor)).toEqual([expected(6)[0]]);
      const rest = await run(7, X.length);
      net.setState(snapshot);
      expect(await run(7, X.length)).toEqual(rest);
      net.resetState();
      expect(net.getState()['held']).toBeNull();
      const fresh = await run(0, X.length);
      expect(fresh.length).toBe(X.length - 4);
      expect(fresh[0]).toEqual(expected(4));
      // A bad snapshot changes nothing.
      expect(() => net.setState({ ...snapshot, held: 3 })).toThrow(/must be a tensor or null/);
      expect(() => net.setState({ ...snapshot, held: tf.zeros([1]) })).toThrow(
        /state.held must be a rank-4 tensor/,
      );
      const { lateral0: _, ...missing } = snapshot;
      expect(() => net.setState(missing)).toThrow(/"lateral0" must be a nested state/);
      disposeState(snapshot);
    } finally {
      clip.dispose();
      net.dispose();
    }
  });

  it('leaks nothing over many steps, inside or outside tf.tidy', async () => {
    await expectNoLeakedTensors(async () => {
      const net = new CoSlowFastNetwork('hand', handParts(), { temporalForm: 'valid' });
      const clip = inputClip();
      const counts: number[] = [];
      for (let t = 0; t < 240; t++) {
        const frame = frameAt(clip, t % X.length);
        const y =
          t % 2 === 0
            ? (tf.tidy(() => net.forwardStep(frame) ?? undefined) ?? null)
            : net.forwardStep(frame);
        frame.dispose();
        y?.dispose();
        counts.push(tf.memory().numTensors);
      }
      // After the start-up every buffer is full: the count no longer moves.
      expect(new Set(counts.slice(20)).size).toBe(1);
      const state = net.getState();
      net.setState(state);
      disposeState(state);
      clip.dispose();
      net.dispose();
    });
  });
});

describe("CoSlowFastNetwork 'same' form", () => {
  const input = { height: 1, width: 1, channels: 1 };

  it('is a clip model of one view: forward on exactly its length, no streaming', async () => {
    // kt = 1 parts pad nothing, which is all the routing of the padded form needs.
    const parts = handParts({
      fastStem: conv('fast_stem', [1]),
      fastPool: new CoGlobalAvgPool({ name: 'fast_pool', window: 3 }),
    });
    const net = new CoSlowFastNetwork('hand', parts, { temporalForm: 'same' });
    const clip = inputClip(X.slice(0, 4));
    try {
      // The Slow pool needs 2 Slow frames (0 and 2), the Fast pool 3 frames: one view is 3.
      expect(net.receptiveField).toBe(3);
      expect(net.delay).toBe(2);
      expect(net.junctions).toEqual([]);
      expect(net.head).toBeNull();
      const view = tf.slice(clip, [0, 0, 0, 0, 0], [1, 3, 1, 1, 1]) as Clip;
      const out = net.forward(view);
      // Laterals pair index by index: s_k = x_{2k} + 10 x_{2k}; Slow pool (s_0 + s_1) / 2;
      // Fast pool (x_0 + x_1 + x_2) / 3 (= 2 for 3, -1, 4).
      expect(out.shape).toEqual([1, 1, 1, 1, 2]);
      const [a, b, c] = X as [number, number, number];
      expect(await valuesOf(out)).toEqual([(11 * a + 11 * c) / 2, (a + b + c) / 3]);
      tf.dispose([view, out]);
      // Stem 1 mac x 2 Slow frames, Fast stem 3, laterals 2, Slow stage 2 x 2, Fast stage 3,
      // projection 4; pools: Slow 2 + 2, Fast 3 + 3.
      expect(net.flopsPerClip(input, 3)).toEqual({ macs: 2 + 3 + 2 + 4 + 3 + 4, elementwise: 10 });
      expect(() => net.forward(clip)).toThrow(/exactly 3 frames, got 4/);
      expect(() => net.flopsPerClip(input, 4)).toThrow(/exactly 3 frames, got 4/);
      const frame = frameAt(clip, 0);
      expect(() => net.forwardStep(frame)).toThrow(/does not stream/);
      frame.dispose();
    } finally {
      clip.dispose();
      net.dispose();
    }
  });

  it('refuses pools that do not give one output each over the view', () => {
    // Fast window 2: the view is 3 frames (for the Slow pool), where the Fast pool gives 2.
    const parts = handParts({ fastStem: conv('fast_stem', [1]) });
    const net = new CoSlowFastNetwork('hand', parts, { temporalForm: 'same' });
    const clip = inputClip(X.slice(0, 3));
    try {
      expect(() => net.forward(clip)).toThrow(/the pools give 1 Slow and 2 Fast outputs/);
    } finally {
      clip.dispose();
      net.dispose();
    }
  });
});
