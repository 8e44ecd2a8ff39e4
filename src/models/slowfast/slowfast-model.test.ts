/**
 * CoSlow and CoSlowFast as ActionModels (reduced configs of testing.ts, every backend): what the
 * model says about itself, its costs, online steps, the published clip model, the offline twin
 * (in phase with the stream's Slow frames), state isolation, leaks and the loader.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { frameAt } from '../../continual/base';
import type { Clip } from '../../continual/module';
import { expectNoLeakedTensors } from '../../continual/testing';
import { maxAbsDiffAsync, valuesOf } from '../../continual/testing-async';
import { buildSlow } from './slow';
import { buildSlowFast } from './slowfast';
import { SLOWFAST_SMALL, SLOW_SMALL } from './slowfast-config';
import {
  SLOWFAST_MODELS,
  SlowFastActionModel,
  createCoSlowFastModel,
  createCoSlowModel,
  loadSlowFastModel,
} from './slowfast-model';
import { TINY_SLOW, TINY_SLOWFAST, relativeTolerance, scaleOf, videoClip } from './testing';

const LABELS = ['a', 'b', 'c', 'd', 'e'];
const INPUT = { height: 8, width: 8, channels: 3 };

/** The last `length` frames of a clip of `frames` frames. */
function last(clip: Clip, frames: number, length: number): Clip {
  return tf.slice(clip, [0, frames - length, 0, 0, 0], [1, length, 8, 8, 3]) as Clip;
}

describe('createCoSlowModel / createCoSlowFastModel', () => {
  it('say plainly that they are untrained, and describe their input and windows', () => {
    const slow = createCoSlowModel({ config: TINY_SLOW, labels: LABELS });
    const slowFast = createCoSlowFastModel({ config: TINY_SLOWFAST, labels: LABELS, id: 'sf' });
    try {
      expect(slow.info).toMatchObject({
        id: 'coslow-tiny',
        displayName: 'CoSlow-tiny (untrained)',
        trained: false,
        input: INPUT,
        frameRate: 30 / 8,
        clipLength: 3,
        // The unpadded network's receptive field (slow.test.ts derives it).
        twinLength: 7,
        params: 1_337,
        labels: LABELS,
      });
      expect(slow.info.description).toContain('untrained: seeded weights, for cost and speed only');
      expect(slow.info.description).toContain('CoSlow-tiny (the Slow pathway of SlowFast');
      expect(slow.alpha).toBe(1);
      expect(slowFast.info).toMatchObject({
        id: 'sf',
        displayName: 'CoSlowFast-tiny (untrained)',
        trained: false,
        frameRate: 15,
        clipLength: 6,
        // Receptive field 22 (slowfast.test.ts) + alpha - 1: the longest in-phase window.
        twinLength: 24,
        params: 2_915,
      });
      expect(slowFast.info.description).toContain(
        'at 6x8x8, its Slow pathway 1 frame in 3 (2 per view)',
      );
      expect(slowFast.info.description).toContain('untrained: seeded weights');
      expect(slowFast.alpha).toBe(3);
    } finally {
      slow.dispose();
      slowFast.dispose();
    }
  });

  it('cost one continual step online and one published clip view offline', () => {
    const model = createCoSlowFastModel({ config: TINY_SLOWFAST, labels: LABELS });
    const valid = buildSlowFast(TINY_SLOWFAST, { weights: 'zeros' }).network;
    const slow = createCoSlowModel({ config: TINY_SLOW, labels: LABELS });
    const slowSame = buildSlow(TINY_SLOW, { weights: 'zeros', temporalForm: 'same' }).network;
    try {
      // slowfast.test.ts and slow.test.ts count these by hand.
      expect(model.flopsPerClip.macs).toBe(109_452);
      expect(model.flopsPerStep).toEqual(valid.flopsPerStep(INPUT));
      expect(model.stateBytes).toBe(valid.stateBytes(INPUT));
      expect(slow.flopsPerClip).toEqual(slowSame.flopsPerClip(INPUT, 3));
      expect(slow.flopsPerStep.macs).toBe(10_392);
      expect(model.stateBytes).toBeGreaterThan(slow.stateBytes);
    } finally {
      model.dispose();
      valid.dispose();
      slow.dispose();
      slowSame.dispose();
    }
  });

  it('refuse labels that do not match the classes', () => {
    expect(() => createCoSlowModel({ config: TINY_SLOW, labels: ['a'] })).toThrow(
      /slow-tiny: expected 5 labels, got 1/,
    );
    expect(() => createCoSlowFastModel({ config: TINY_SLOWFAST, labels: [] })).toThrow(
      /slowfast-tiny: expected 5 labels, got 0/,
    );
  });
});

describe('SlowFastActionModel', () => {
  it('steps: null for `delay` frames, then logits [1, classes]; reset starts over', async () => {
    const model = createCoSlowFastModel({ config: TINY_SLOWFAST, labels: LABELS });
    const clip = videoClip(8, 25, 1);
    try {
      const run = async () => {
        const out: (number[] | null)[] = [];
        for (let t = 0; t < 25; t++) {
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
      expect(first.filter((v) => v === null).length).toBe(21);
      expect(first.slice(21).every((v) => v !== null)).toBe(true);
      model.resetState();
      expect(await run()).toEqual(first);
    } finally {
      clip.dispose();
      model.dispose();
    }
  });

  it('has a twin that gives the stream output at every step, choosing the in-phase window', async () => {
    const model = createCoSlowFastModel({ config: TINY_SLOWFAST, labels: LABELS });
    const rf = model.network.receptiveField;
    const total = model.info.twinLength + 4;
    const clip = videoClip(8, total, 2);
    let compared = 0;
    let outOfPhaseDiffers = 0;
    try {
      for (let t = 0; t < total; t++) {
        const frame = frameAt(clip, t);
        const online = model.step(frame);
        frame.dispose();
        if (t + 1 < rf) {
          expect(online).toBeNull();
          continue;
        }
        // As compare mode does: the newest frames, at most twinLength of them.
        const window = last(clip, t + 1, Math.min(t + 1, model.info.twinLength));
        const twin = model.predictTwin(window);
        const scale = await scaleOf(twin);
        expect(scale).toBeGreaterThan(0.01);
        // Same ops, batched differently: float32 rounding only.
        expect(await maxAbsDiffAsync(twin, online as tf.Tensor2D)).toBeLessThanOrEqual(
          relativeTolerance() * scale,
        );
        compared++;
        // The window of exactly rf frames starts out of phase on 2 steps in 3, and answers
        // differently there: the Slow pathway sees other frames.
        const plain = last(clip, t + 1, rf);
        const naive = model.network.forward(plain);
        const naiveLogits = tf.reshape(naive, [1, 5]);
        const phase = (t + 1 - rf) % 3;
        if (phase !== 0) {
          expect(await maxAbsDiffAsync(naiveLogits, online as tf.Tensor2D)).toBeGreaterThan(1e-4);
          outOfPhaseDiffers++;
        }
        tf.dispose([window, twin, plain, naive, naiveLogits, online ?? []]);
      }
      expect(compared).toBe(total - rf + 1);
      expect(outOfPhaseDiffers).toBeGreaterThanOrEqual(4);
      // Too short for the receptive field:
      const short = last(clip, total, rf - 1);
      expect(() => model.predictTwin(short)).toThrow(/shorter than the network's receptive field/);
      short.dispose();
    } finally {
      clip.dispose();
      model.dispose();
    }
  });

  it('picks twin windows from the steps taken since the reset', () => {
    const model = createCoSlowFastModel({ config: TINY_SLOWFAST, labels: LABELS });
    const frame = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    try {
      expect(model.twinWindow(24)).toBe(22);
      const steps = (n: number) => {
        for (let i = 0; i < n; i++) model.step(frame)?.dispose();
      };
      steps(22);
      expect(model.twinWindow(24)).toBe(22);
      steps(1);
      expect(model.twinWindow(24)).toBe(23);
      steps(1);
      expect(model.twinWindow(24)).toBe(24);
      // Only 23 frames given: no in-phase window fits, so the newest 23 are used.
      expect(model.twinWindow(23)).toBe(23);
      steps(1);
      expect(model.twinWindow(24)).toBe(22);
      steps(2);
      // 27 steps: (27 - 22) mod 3 = 2.
      expect(model.twinWindow(24)).toBe(24);
      model.resetState();
      expect(model.twinWindow(24)).toBe(22);
    } finally {
      frame.dispose();
      model.dispose();
    }
  });

  it('predicts a clip with the published (padded) model over the last T frames', async () => {
    const model = createCoSlowFastModel({ config: TINY_SLOWFAST, labels: LABELS });
    const clip = videoClip(8, 9, 3);
    const view = last(clip, 9, 6);
    try {
      const logits = model.predictClip(clip);
      expect(logits.shape).toEqual([1, 5]);
      const direct = model.clipNetwork.forward(view);
      expect(direct.shape).toEqual([1, 1, 1, 1, 5]);
      const flat = tf.reshape(direct, [1, 5]);
      const scale = await scaleOf(flat);
      expect(scale).toBeGreaterThan(0.01);
      // The very same computation on the same frames.
      expect(await maxAbsDiffAsync(logits, flat)).toBe(0);
      const fromView = model.predictClip(view);
      expect(await maxAbsDiffAsync(fromView, flat)).toBe(0);
      tf.dispose([logits, direct, flat, fromView]);
      const short = last(clip, 9, 5);
      expect(() => model.predictClip(short)).toThrow(/5 frames is shorter than the clip model's 6/);
      short.dispose();
    } finally {
      tf.dispose([clip, view]);
      model.dispose();
    }
  });

  it('predicts a CoSlow clip with the padded Slow over the last T frames', async () => {
    const model = createCoSlowModel({ config: TINY_SLOW, labels: LABELS });
    const clip = videoClip(8, 5, 4);
    const view = last(clip, 5, 3);
    try {
      const logits = model.predictClip(clip);
      const direct = model.clipNetwork.forward(view);
      expect(direct.shape).toEqual([1, 1, 1, 1, 5]);
      expect(await maxAbsDiffAsync(logits, tf.reshape(direct, [1, 5]))).toBe(0);
      tf.dispose([logits, direct]);
    } finally {
      tf.dispose([clip, view]);
      model.dispose();
    }
  });

  it('does not touch the online state when predicting', async () => {
    const model = createCoSlowFastModel({ config: TINY_SLOWFAST, labels: LABELS });
    const clip = videoClip(8, 28, 5);
    try {
      const stream = async (withOffline: boolean) => {
        model.resetState();
        const out: number[][] = [];
        for (let t = 0; t < 28; t++) {
          const frame = frameAt(clip, t);
          const logits = model.step(frame);
          frame.dispose();
          if (withOffline && t === 25) {
            model.predictClip(clip).dispose();
            model.predictTwin(clip).dispose();
          }
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

  it('frees every tensor on dispose', async () => {
    await expectNoLeakedTensors(async () => {
      const model = createCoSlowFastModel({ config: TINY_SLOWFAST, labels: LABELS });
      const clip = videoClip(8, 24, 6);
      for (let t = 0; t < 24; t++) {
        const frame = frameAt(clip, t);
        model.step(frame)?.dispose();
        frame.dispose();
      }
      model.predictClip(clip).dispose();
      model.predictTwin(clip).dispose();
      clip.dispose();
      model.dispose();
    });
  });

  it('refuses inconsistent networks and windows', () => {
    const good = createCoSlowFastModel({ config: TINY_SLOWFAST, labels: LABELS });
    const valid = buildSlowFast(TINY_SLOWFAST, { weights: 'zeros' }).network;
    const same = buildSlowFast(TINY_SLOWFAST, { weights: 'zeros', temporalForm: 'same' }).network;
    const slowSame = buildSlow(TINY_SLOW, { weights: 'zeros', temporalForm: 'same' }).network;
    try {
      const { info } = good;
      expect(() => new SlowFastActionModel({ ...info, twinLength: 22 }, valid, same, 3)).toThrow(
        /twinLength must be the receptive field \+ alpha - 1 = 24, not 22/,
      );
      expect(() => new SlowFastActionModel(info, valid, same, 0)).toThrow(
        /alpha must be a positive integer, got 0/,
      );
      expect(() => new SlowFastActionModel({ ...info, labels: ['x'] }, valid, same, 3)).toThrow(
        /not to 1 logits/,
      );
      // A padded network online: the Slow clip model (padding 2 each side).
      expect(() => new SlowFastActionModel({ ...info, twinLength: 9 }, slowSame, same, 3)).toThrow(
        /must be unpadded with stride 1/,
      );
    } finally {
      good.dispose();
      valid.dispose();
      same.dispose();
      slowSame.dispose();
    }
  });
});

describe('loadSlowFastModel', () => {
  const NAMES = Array.from({ length: 400 }, (_, i) => `class ${i}`);
  const fetchImpl = (url: string) => {
    expect(url).toBe('/w/kinetics400-labels.txt');
    return Promise.resolve(new Response(`${NAMES.join('\n')}\n`));
  };

  it('maps the registry ids to the small configurations', () => {
    expect(SLOWFAST_MODELS).toEqual({
      'coslow-small': { kind: 'slow', config: SLOW_SMALL },
      'coslowfast-small': { kind: 'slowfast', config: SLOWFAST_SMALL },
    });
  });

  it('builds coslow-small and coslowfast-small with the Kinetics-400 labels', async () => {
    const slow = await loadSlowFastModel('coslow-small', '/w/', fetchImpl);
    try {
      expect(slow.info).toMatchObject({
        id: 'coslow-small',
        input: { height: 112, width: 112, channels: 3 },
        clipLength: 8,
        frameRate: 3.75,
        trained: false,
      });
      expect(slow.info.labels).toEqual(NAMES);
    } finally {
      slow.dispose();
    }
    const slowFast = await loadSlowFastModel('coslowfast-small', '/w', fetchImpl);
    try {
      expect(slowFast.info).toMatchObject({
        id: 'coslowfast-small',
        clipLength: 32,
        frameRate: 15,
      });
      expect(slowFast.info.twinLength).toBe(slowFast.network.receptiveField + 3);
    } finally {
      slowFast.dispose();
    }
  });

  it('names the known ids for an unknown one', async () => {
    await expect(loadSlowFastModel('coslow-8x8', '/w', fetchImpl)).rejects.toThrow(
      /Unknown Slow\/SlowFast model "coslow-8x8": coslow-small, coslowfast-small/,
    );
  });
});
