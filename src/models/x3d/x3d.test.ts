/**
 * X3D/CoX3D networks on every backend: streaming equals the clip model after the start-up
 * transient, start-up nulls equal the derived delay, reset, state round-trip, leaks, seeded
 * determinism, and the padded clip twin holding the same weights.
 *
 * Sizes: a reduced X3D (the real block structure: stem, four stages with strided projection
 * shortcuts, SE on every other block, head; tiny widths, 8x8 frames, T = 3) runs everywhere;
 * the real X3D-XS (all its widths and depths, T = 4, receptive field 105 frames) runs at the
 * published 160x160 on wasm, at 32x32 on cpu (plain-JS convolutions would take minutes at 160)
 * and not on webgpu, whose software adapter would take longer still.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { disposeState, frameAt } from '../../continual/base';
import type { Clip, CoModule, Frame } from '../../continual/module';
import { seededClip, expectNoLeakedTensors } from '../../continual/testing';
import { maxAbsDiffAsync, streamAndCompareAsync, valuesOf } from '../../continual/testing-async';
import { buildX3d, type BuildX3dOptions } from './x3d';
import { X3D_L, X3D_XS, deriveX3dConfig, type X3dConfig } from './x3d-config';

const webgpu = tf.getBackend() === 'webgpu';
/**
 * Frame size of the real X3D-XS comparison: the published 160 on wasm (about 20 s), 32 on the
 * cpu backend, whose plain-JS convolutions would take minutes at 160.
 */
const XS_SIZE = tf.getBackend() === 'wasm' ? 160 : 32;

/** The reduced X3D: every structural feature of the real one, small enough for webgpu. */
const TINY: X3dConfig = deriveX3dConfig(X3D_XS, {
  id: 'x3d-tiny',
  displayName: 'X3D-tiny',
  stemChannels: 4,
  widths: [4, 4, 8, 8],
  depths: [1, 2, 1, 1],
  conv5Channels: 8,
  headChannels: 8,
  numClasses: 5,
  frames: 3,
  size: 8,
});

/** Frames in [0, 1] like the app's RGB input. */
function videoClip(config: X3dConfig, frames: number, seed: number): Clip {
  return tf.tidy(() => {
    const raw = seededClip([1, frames, config.size, config.size, 3], seed);
    return tf.div(tf.add(raw, 1), 2) as Clip;
  });
}

/** Largest |value| of a tensor (the scale tolerances are relative to). */
async function scaleOf(x: tf.Tensor): Promise<number> {
  return Math.max(...(await valuesOf(x)).map(Math.abs));
}

/** Streams every frame of `clip`; returns each step's output values (null while filling). */
async function streamValues(network: CoModule, clip: Clip): Promise<(number[] | null)[]> {
  const out: (number[] | null)[] = [];
  for (let t = 0; t < clip.shape[1]; t++) {
    const frame = frameAt(clip, t);
    const y = network.forwardStep(frame);
    frame.dispose();
    out.push(y === null ? null : await valuesOf(y));
    y?.dispose();
  }
  return out;
}

function maxDiff(a: readonly (number[] | null)[], b: readonly (number[] | null)[]): number {
  expect(a.map((v) => v === null)).toEqual(b.map((v) => v === null));
  let m = 0;
  a.forEach((va, i) => {
    const vb = b[i];
    if (va === null || vb === null || vb === undefined) return;
    va.forEach((x, j) => (m = Math.max(m, Math.abs(x - (vb[j] ?? Number.NaN)))));
  });
  return m;
}

/**
 * Streams delay + `extra` frames and compares with forward over the same frames; the tolerance
 * is 1e-4 of the logits' scale (float32 sums in another order on each path; cpu and wasm agree
 * exactly in practice, webgpu to ~1e-6 of the scale).
 */
async function expectStreamEqualsClip(
  config: X3dConfig,
  options: BuildX3dOptions,
  extra: number,
): Promise<void> {
  const { network } = buildX3d(config, options);
  const clip = videoClip(config, network.delay + extra, 5);
  try {
    const offline = network.forward(clip);
    const scale = await scaleOf(offline);
    offline.dispose();
    // Seeded weights keep logits O(0.1..1): a vanishing scale would make the test vacuous.
    expect(scale).toBeGreaterThan(0.01);
    const seen = await streamAndCompareAsync(network, clip, 1e-4 * scale);
    expect(seen.leadingNulls).toBe(network.delay);
    expect(seen.nullSteps).toBe(network.delay);
    expect(seen.compared).toBe(extra);
  } finally {
    clip.dispose();
    network.dispose();
  }
}

describe('CoX3D streaming equals its clip model', () => {
  it('reduced X3D: after delay = 4 + 2 * 5 blocks + (T - 1) = 16 null steps', async () => {
    const { network } = buildX3d(TINY);
    expect(network.delay).toBe(16);
    // 1 + delay + 4 squeeze-excitations * (T - 1).
    expect(network.receptiveField).toBe(25);
    expect(network.padding).toEqual({ start: 8, end: 0 });
    network.dispose();
    await expectStreamEqualsClip(TINY, {}, 4);
  });

  it('reduced X3D with lagging residuals and other pool windows', async () => {
    await expectStreamEqualsClip(TINY, { align: 'lagging', seWindow: 2, poolWindow: 4 }, 3);
  });

  it('reduced X3D, padded (clip) form: every output without end padding', async () => {
    await expectStreamEqualsClip(TINY, { temporalForm: 'same' }, 20);
  });

  it.skipIf(webgpu)(
    `X3D-XS (real widths and depths, ${XS_SIZE}x${XS_SIZE} frames): 59 null steps, then the clip outputs`,
    async () => {
      const xs = deriveX3dConfig(X3D_XS, { size: XS_SIZE });
      await expectStreamEqualsClip(xs, {}, 2);
    },
    300_000,
  );
});

describe('start-up, reset and state', () => {
  it('returns null for exactly `delay` steps again after resetState, then the same outputs', async () => {
    const { network } = buildX3d(TINY);
    const clip = videoClip(TINY, network.delay + 3, 8);
    try {
      const first = await streamValues(network, clip);
      expect(first.findIndex((v) => v !== null)).toBe(network.delay);
      network.resetState();
      const again = await streamValues(network, clip);
      expect(again.findIndex((v) => v !== null)).toBe(network.delay);
      // The same ops on the same inputs: bit-identical.
      expect(maxDiff(first, again)).toBe(0);
    } finally {
      clip.dispose();
      network.dispose();
    }
  });

  it('restores a snapshot into another network of the same seed and continues identically', async () => {
    const a = buildX3d(TINY, { seed: 4 }).network;
    const b = buildX3d(TINY, { seed: 4 }).network;
    const head = videoClip(TINY, 10, 1);
    const tail = videoClip(TINY, 12, 2);
    try {
      await streamValues(a, head); // mid-transient: every buffer partly filled
      const snapshot = a.getState();
      const expected = await streamValues(a, tail);
      expect(expected.filter((v) => v !== null).length).toBe(10 + 12 - a.delay);
      b.setState(snapshot);
      const restored = await streamValues(b, tail);
      expect(maxDiff(expected, restored)).toBe(0);
      // The snapshot was a copy: restoring it into `a` rewinds `a` too.
      a.setState(snapshot);
      expect(maxDiff(expected, await streamValues(a, tail))).toBe(0);
      disposeState(snapshot);
    } finally {
      tf.dispose([head, tail]);
      a.dispose();
      b.dispose();
    }
  });

  // 500 steps on cpu and wasm; 80 on webgpu, whose software adapter takes ~0.4 s a step here
  // (the count is backend-independent bookkeeping; webgpu checks its own kernels hold nothing).
  const steps = webgpu ? 80 : 500;
  it(`holds no more tensors after ${steps} steps than after 50, and none after dispose`, async () => {
    await expectNoLeakedTensors(async () => {
      const { network } = buildX3d(TINY);
      const clip = videoClip(TINY, 2, 3);
      const frames = [frameAt(clip, 0), frameAt(clip, 1)];
      let afterWarmUp = -1;
      let last: number[] = [];
      for (let t = 0; t < steps; t++) {
        const y = network.forwardStep(frames[t % 2] as Frame);
        if (t === steps - 1 && y !== null) last = await valuesOf(y);
        y?.dispose();
        if (t === 49) afterWarmUp = tf.memory().numTensors;
      }
      expect(tf.memory().numTensors).toBe(afterWarmUp);
      // The stream is still computing real numbers at the last step.
      expect(last.length).toBe(TINY.numClasses);
      expect(last.every(Number.isFinite)).toBe(true);
      tf.dispose([clip, ...frames]);
      network.dispose();
    });
  }, 300_000);
});

describe('seeded weights', () => {
  it('are the same for the same seed and differ for another seed', async () => {
    const clip = videoClip(TINY, 25, 6);
    const outputs: number[][] = [];
    for (const seed of [1, 1, 2]) {
      const { network } = buildX3d(TINY, { seed });
      const y = network.forward(clip);
      outputs.push(await valuesOf(y));
      y.dispose();
      network.dispose();
    }
    clip.dispose();
    expect(outputs[0]).toEqual(outputs[1]);
    const differ = (outputs[0] ?? []).some((v, i) => Math.abs(v - (outputs[2]?.[i] ?? v)) > 1e-3);
    expect(differ).toBe(true);
  });

  it('are shared by the valid and padded forms: on a still video both reach the same logits', async () => {
    // A still (constant) video: away from the padding, every layer of both forms sees the
    // same constant input, so the outputs match only if every weight does.
    const valid = buildX3d(TINY, { seed: 3 }).network;
    const same = buildX3d(TINY, { seed: 3, temporalForm: 'same' }).network;
    const length = Math.max(valid.receptiveField, same.padding.start + same.padding.end + 2);
    const clip = tf.tidy(() => {
      // Tiled as rank 3: tfjs-webgpu's rank-5 tile is unsupported (its shaders index 4 axes).
      const frame = tf.reshape(videoClip(TINY, 1, 9), [1, 1, 8 * 8 * 3]);
      return tf.reshape(tf.tile(frame, [1, length, 1]), [1, length, 8, 8, 3]) as Clip;
    });
    try {
      const a = valid.forward(clip);
      const b = same.forward(clip);
      const lastValid = tf.slice(a, [0, a.shape[1] - 1, 0, 0, 0], [1, 1, 1, 1, 5]);
      const steady = tf.slice(b, [0, same.padding.start, 0, 0, 0], [1, 1, 1, 1, 5]);
      const scale = await scaleOf(steady);
      expect(scale).toBeGreaterThan(0.01);
      // Same arithmetic on equal inputs, up to float32 reassociation on the GPU.
      expect(await maxAbsDiffAsync(lastValid, steady)).toBeLessThanOrEqual(1e-5 * scale);
      tf.dispose([a, b, lastValid, steady]);
    } finally {
      clip.dispose();
      valid.dispose();
      same.dispose();
    }
  });
});

describe('seeded activations', () => {
  it.skipIf(webgpu)(
    'stay O(1) through the 55 blocks of X3D-L (rms of every stage output in [0.1, 2])',
    async () => {
      // X3D-L's full depth at 32x32 frames (the depth, not the size, is what could blow up).
      const config = deriveX3dConfig(X3D_L, { size: 32, frames: 4 });
      const { network } = buildX3d(config, { temporalForm: 'same' });
      let x: tf.Tensor = videoClip(config, 4, 12);
      try {
        const rms: number[] = [];
        for (const part of network.children) {
          const y = part.forward(x as Clip);
          x.dispose();
          x = y;
          const r = tf.sqrt(tf.mean(tf.square(y)));
          rms.push((await valuesOf(r))[0] ?? Number.NaN);
          r.dispose();
        }
        expect(network.children.map((c) => c.name)).toEqual([
          'stem',
          's2',
          's3',
          's4',
          's5',
          'head',
        ]);
        for (const r of rms) {
          expect(r).toBeGreaterThan(0.1);
          expect(r).toBeLessThan(2);
        }
      } finally {
        x.dispose();
        network.dispose();
      }
    },
    120_000,
  );
});

describe('buildX3d options', () => {
  it('derives the delay and receptive field from the pool windows', () => {
    const check = (options: BuildX3dOptions, delay: number, rf: number) => {
      const { network } = buildX3d(TINY, { ...options, weights: 'zeros' });
      expect([network.delay, network.receptiveField]).toEqual([delay, rf]);
      network.dispose();
    };
    check({}, 16, 25);
    check({ seWindow: 1 }, 16, 17); // a per-frame squeeze adds no frames
    check({ poolWindow: 5 }, 18, 27);
    check({ temporalForm: 'same' }, 9, 25); // the padding hides half of every kernel
  });

  it('centres the shortcut by default and lags it on request (different outputs)', async () => {
    const clip = videoClip(TINY, 25, 7);
    const values: number[][] = [];
    for (const align of ['centered', 'lagging'] as const) {
      const { network } = buildX3d(TINY, { align });
      const y = network.forward(clip);
      values.push(await valuesOf(y));
      y.dispose();
      network.dispose();
    }
    clip.dispose();
    expect(values[0]?.length).toBe(values[1]?.length);
    expect((values[0] ?? []).some((v, i) => Math.abs(v - (values[1]?.[i] ?? v)) > 1e-4)).toBe(true);
  });

  it.each([
    [{ temporalForm: 'causal' }, /temporalForm must be 'valid' or 'same'/],
    [{ weights: 'random' }, /weights must be 'seeded' or 'zeros'/],
    [{ seWindow: 0 }, /seWindow must be a positive integer/],
    [{ poolWindow: 1.5 }, /poolWindow must be a positive integer/],
  ])('rejects %o and leaves no tensors behind', async (options, message) => {
    await expectNoLeakedTensors(() => {
      expect(() => buildX3d(TINY, options as unknown as BuildX3dOptions)).toThrow(message);
    });
  });

  it('rejects an invalid configuration', () => {
    expect(() => buildX3d({ ...TINY, depths: [1, 1, 1] })).toThrow(/depths must be 4/);
  });

  it('counts parameters as it builds: kernels and folded biases', () => {
    const built = buildX3d(TINY, { weights: 'zeros' });
    // Hand count for TINY (kernel + bias per conv; SE 2 * inner * 8 + 8 + inner):
    // stem 27 * 4 + (5 * 4 + 4) = 132; s2 block 0 (4 -> 4, inner 9, SE, projection) 518;
    // s3 518 + 337 (identity, no SE); s4 (4 -> 8, inner 18, SE, projection) 1100;
    // s5 (8 -> 8, strided: projection) 1204; head (8 * 8 + 8) + 8 * 8 + (8 * 5 + 5) = 181.
    expect(built.params).toBe(3_990);
    built.network.dispose();
  });
});
