import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { frameAt } from '../../continual/base';
import type { Clip } from '../../continual/module';
import { expectNoLeakedTensors, seededClip } from '../../continual/testing';
import { maxAbsDiffAsync, valuesOf } from '../../continual/testing-async';
import { CoX3dModel, createCoX3dModel } from './cox3d-model';
import { buildX3d } from './x3d';
import { X3D_XS, deriveX3dConfig, type X3dConfig } from './x3d-config';

/** The reduced X3D of x3d.test.ts (small enough for webgpu's software adapter). */
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
const LABELS = ['a', 'b', 'c', 'd', 'e'];

function video(frames: number, seed: number): Clip {
  return tf.tidy(() => tf.div(tf.add(seededClip([1, frames, 8, 8, 3], seed), 1), 2) as Clip);
}

describe('createCoX3dModel', () => {
  it('says plainly that it is untrained, and describes its input', () => {
    const model = createCoX3dModel({ config: TINY, labels: LABELS });
    try {
      const { info } = model;
      expect(info.id).toBe('cox3d-tiny');
      expect(info.displayName).toBe('CoX3D-tiny (untrained)');
      expect(info.trained).toBe(false);
      expect(info.description).toContain('untrained: seeded weights, for cost and speed only');
      expect(info.input).toEqual({ height: 8, width: 8, channels: 3 });
      expect(info.clipLength).toBe(3);
      expect(info.twinLength).toBe(model.network.receptiveField);
      // Far longer than T: the stem (kt 5) and 5 blocks (3x3x3) add 4 + 5 * 2 frames, the three
      // squeeze-excitation windows and the pool (T = 3) 2 each; see x3d.test.ts for the parts.
      expect(info.twinLength).toBeGreaterThan(3 * info.clipLength);
      expect(info.frameRate).toBe(2.5);
      expect(info.labels).toEqual(LABELS);
      expect(info.params).toBe(3_990); // x3d.test.ts counts it by hand
    } finally {
      model.dispose();
    }
  });

  it('costs one CoX3D step online and one padded X3D clip of T frames offline', () => {
    const model = createCoX3dModel({ config: TINY, labels: LABELS, id: 'tiny' });
    const input = model.info.input;
    const clip = buildX3d(TINY, { temporalForm: 'same', weights: 'zeros' }).network;
    const online = buildX3d(TINY, { weights: 'zeros' }).network;
    try {
      expect(model.info.id).toBe('tiny');
      expect(model.flopsPerClip).toEqual(clip.flopsPerClip(input, 3));
      expect(model.flopsPerStep).toEqual(online.flopsPerStep(input));
      expect(model.stateBytes).toBe(online.stateBytes(input));
      // A clip of T frames costs more than one step, less than T steps plus the start-up.
      expect(model.flopsPerClip.macs).toBeGreaterThan(2 * model.flopsPerStep.macs);
      expect(model.stateBytes).toBeGreaterThan(0);
    } finally {
      model.dispose();
      clip.dispose();
      online.dispose();
    }
  });

  it('rejects labels that do not match the classes', () => {
    expect(() => createCoX3dModel({ config: TINY, labels: ['a'] })).toThrow(
      /expected 5 labels, got 1/,
    );
  });
});

describe('CoX3dModel', () => {
  it('steps: null for `delay` frames, then logits [1, classes]; reset starts over', async () => {
    const model = createCoX3dModel({ config: TINY, labels: LABELS });
    const clip = video(model.network.delay + 2, 1);
    try {
      const run = async () => {
        const out: (number[] | null)[] = [];
        for (let t = 0; t < clip.shape[1]; t++) {
          const frame = frameAt(clip, t);
          const logits = model.step(frame);
          frame.dispose();
          if (logits !== null) expect(logits.shape).toEqual([1, 5]);
          out.push(logits === null ? null : await valuesOf(logits));
          logits?.dispose();
        }
        return out;
      };
      const first = await run();
      expect(first.filter((v) => v === null).length).toBe(model.network.delay);
      expect(first.slice(model.network.delay).every((v) => v !== null)).toBe(true);
      model.resetState();
      expect(await run()).toEqual(first);
    } finally {
      clip.dispose();
      model.dispose();
    }
  });

  it('predicts a clip with the padded X3D over the last T frames', async () => {
    const model = createCoX3dModel({ config: TINY, labels: LABELS });
    const clip = video(5, 2);
    const last = tf.slice(clip, [0, 2, 0, 0, 0], [1, 3, 8, 8, 3]);
    try {
      const logits = model.predictClip(clip);
      expect(logits.shape).toEqual([1, 5]);
      // The window of the last T = 3 frames alone gives the same logits.
      const window = model.predictClip(last as Clip);
      const direct = model.clipNetwork.forward(last as Clip);
      expect(direct.shape).toEqual([1, 1, 1, 1, 5]);
      const flat = tf.reshape(direct, [1, 5]);
      const scale = Math.max(...(await valuesOf(flat)).map(Math.abs));
      expect(scale).toBeGreaterThan(0.01);
      // Same ops on the same frames within each call; across calls the padded windows differ
      // only in batch layout, so float32 agreement is to ~1e-6 of the scale.
      expect(await maxAbsDiffAsync(window, flat)).toBeLessThanOrEqual(1e-5 * scale);
      expect(await maxAbsDiffAsync(logits, flat)).toBeGreaterThan(0); // other frames before
      tf.dispose([logits, window, direct, flat]);
    } finally {
      tf.dispose([clip, last]);
      model.dispose();
    }
  });

  it('has an offline twin that gives the stream outputs: the unpadded clip model over its receptive field', async () => {
    const model = createCoX3dModel({ config: TINY, labels: LABELS });
    const span = model.info.twinLength;
    const total = span + 2;
    const clip = video(total, 6);
    const stream: (tf.Tensor2D | null)[] = [];
    try {
      for (let t = 0; t < total; t++) {
        const frame = frameAt(clip, t);
        stream.push(model.step(frame));
        frame.dispose();
      }
      let compared = 0;
      for (let end = span; end <= total; end++) {
        const window = tf.slice(clip, [0, end - span, 0, 0, 0], [1, span, 8, 8, 3]) as Clip;
        const twin = model.predictTwin(window);
        const online = stream[end - 1];
        expect(online).not.toBeNull();
        const scale = Math.max(...(await valuesOf(twin)).map(Math.abs));
        expect(scale).toBeGreaterThan(0.01);
        // Same ops in another order (per-frame steps vs whole-clip convs): float32 rounding.
        expect(await maxAbsDiffAsync(twin, online as tf.Tensor2D)).toBeLessThanOrEqual(
          1e-4 * scale,
        );
        tf.dispose([window, twin]);
        compared++;
      }
      expect(compared).toBe(3);
      // The published clip model (padded, T frames) on the newest frames answers differently.
      const lastT = tf.slice(clip, [0, total - 3, 0, 0, 0], [1, 3, 8, 8, 3]) as Clip;
      const padded = model.predictClip(lastT);
      expect(await maxAbsDiffAsync(padded, stream[total - 1] as tf.Tensor2D)).toBeGreaterThan(1e-3);
      expect(() => model.predictTwin(lastT)).toThrow(/shorter than the network's receptive field/);
      tf.dispose([lastT, padded]);
    } finally {
      tf.dispose(stream.filter((t): t is tf.Tensor2D => t !== null));
      clip.dispose();
      model.dispose();
    }
  });

  it('does not touch the online state when predicting a clip', async () => {
    const model = createCoX3dModel({ config: TINY, labels: LABELS });
    const clip = video(20, 3);
    try {
      const stream = async (withClip: boolean) => {
        model.resetState();
        const out: number[][] = [];
        for (let t = 0; t < 20; t++) {
          const frame = frameAt(clip, t);
          const logits = model.step(frame);
          frame.dispose();
          if (withClip && t === 10) model.predictClip(clip).dispose();
          if (logits !== null) out.push(await valuesOf(logits));
          logits?.dispose();
        }
        return out;
      };
      expect(await stream(true)).toEqual(await stream(false));
    } finally {
      clip.dispose();
      model.dispose();
    }
  });

  it('explains a clip shorter than T', () => {
    const model = createCoX3dModel({ config: TINY, labels: LABELS });
    const clip = video(2, 4);
    try {
      expect(() => model.predictClip(clip)).toThrow(/2 frames is shorter than the clip model's 3/);
    } finally {
      clip.dispose();
      model.dispose();
    }
  });

  it('frees every tensor on dispose', async () => {
    await expectNoLeakedTensors(async () => {
      const model = createCoX3dModel({ config: TINY, labels: LABELS });
      const clip = video(model.network.delay + 1, 5);
      for (let t = 0; t < clip.shape[1]; t++) {
        const frame = frameAt(clip, t);
        model.step(frame)?.dispose();
        frame.dispose();
      }
      model.predictClip(clip).dispose();
      clip.dispose();
      model.dispose();
    });
  });

  it('refuses networks in the wrong forms or with the wrong number of classes', () => {
    const valid = buildX3d(TINY, { weights: 'zeros' });
    const same = buildX3d(TINY, { weights: 'zeros', temporalForm: 'same' });
    const info = createCoX3dModel({ config: TINY, labels: LABELS });
    try {
      expect(() => new CoX3dModel(info.info, same, valid)).toThrow(/'valid' online network/);
      const wrong = { ...info.info, labels: ['x', 'y'] };
      expect(() => new CoX3dModel(wrong, valid, same)).toThrow(/not to 2 logits/);
    } finally {
      valid.network.dispose();
      same.network.dispose();
      info.dispose();
    }
  });
});
