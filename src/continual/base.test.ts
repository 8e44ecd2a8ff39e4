/**
 * The shared plumbing of continual modules (base.ts): clip lengths, frame slicing, state trees
 * and their readers, and the derived delay and forwardSteps loop of CoModuleBase.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clipOutputLength,
  cloneState,
  CoModuleBase,
  disposeState,
  frameAt,
  stackFrames,
  stateChild,
  stateNumber,
  stateTensor,
} from './base';
import type { Clip, CoState, FlopCount, Frame, FrameShape, TemporalPadding } from './module';
import { valuesOf } from './testing-async';

let tensorsBefore = 0;
beforeEach(() => {
  tensorsBefore = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(tensorsBefore);
});

describe('clipOutputLength', () => {
  it('counts the windows of a strided, padded clip', () => {
    // (T + start + end - rf) / stride + 1, floored.
    expect(clipOutputLength(8, 3, { start: 0, end: 0 }, 1)).toBe(6);
    expect(clipOutputLength(8, 3, { start: 1, end: 1 }, 1)).toBe(8);
    expect(clipOutputLength(8, 3, { start: 2, end: 0 }, 1)).toBe(8);
    expect(clipOutputLength(8, 3, { start: 0, end: 0 }, 2)).toBe(3);
    expect(clipOutputLength(9, 3, { start: 0, end: 0 }, 2)).toBe(4);
    expect(clipOutputLength(10, 4, { start: 1, end: 0 }, 3)).toBe(3);
  });

  it('gives one output for a clip exactly as long as the window and none for a shorter one', () => {
    expect(clipOutputLength(3, 3, { start: 0, end: 0 }, 1)).toBe(1);
    expect(clipOutputLength(3, 3, { start: 0, end: 0 }, 5)).toBe(1);
    expect(clipOutputLength(2, 3, { start: 0, end: 0 }, 1)).toBe(0);
    expect(clipOutputLength(1, 3, { start: 1, end: 0 }, 1)).toBe(0);
    expect(clipOutputLength(1, 3, { start: 1, end: 1 }, 1)).toBe(1);
  });
});

describe('stackFrames and frameAt', () => {
  it('stack frames on a new time axis and slice them back out', async () => {
    const frames = [0, 1, 2].map((t) => tf.tensor4d([t, t + 10, t + 20, t + 30], [2, 1, 1, 2]));
    const clip = stackFrames(frames);
    expect(clip.shape).toEqual([2, 3, 1, 1, 2]);
    // Sample 1, time 2, channel 1.
    expect((await valuesOf(clip))[3 * 2 + 2 * 2 + 1]).toBe(32);
    for (let t = 0; t < 3; t++) {
      const frame = frameAt(clip, t);
      expect(frame.shape).toEqual([2, 1, 1, 2]);
      expect(await valuesOf(frame)).toEqual([t, t + 10, t + 20, t + 30]);
      frame.dispose();
    }
    tf.dispose([clip, ...frames]);
  });
});

describe('state trees', () => {
  function tree(): CoState {
    return {
      count: 3,
      empty: null,
      buffer: tf.tensor1d([1, 2]),
      child: { inner: tf.tensor1d([5]), steps: 7, nested: { deep: tf.scalar(9) } },
    };
  }

  it('cloneState copies every tensor at every depth and keeps numbers and nulls', async () => {
    const state = tree();
    const copy = cloneState(state);
    expect(copy.count).toBe(3);
    expect(copy.empty).toBeNull();
    const copyChild = stateChild(copy, 'child');
    const child = stateChild(state, 'child');
    expect(stateNumber(copyChild, 'steps')).toBe(7);
    // New tensors, equal values: disposing the original leaves the copy usable.
    expect(copy.buffer).not.toBe(state.buffer);
    expect(copyChild.inner).not.toBe(child.inner);
    const deepCopy = stateTensor(stateChild(copyChild, 'nested'), 'deep');
    expect(deepCopy).not.toBe(stateTensor(stateChild(child, 'nested'), 'deep'));
    disposeState(state);
    expect(await valuesOf(stateTensor(copy, 'buffer') as tf.Tensor)).toEqual([1, 2]);
    expect(await valuesOf(stateTensor(copyChild, 'inner') as tf.Tensor)).toEqual([5]);
    expect(await valuesOf(deepCopy as tf.Tensor)).toEqual([9]);
    disposeState(copy);
  });

  it('disposeState frees the tensors of every level', () => {
    const before = tf.memory().numTensors;
    const state = tree();
    expect(tf.memory().numTensors).toBe(before + 3);
    disposeState(state);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the readers return what is there and name the key otherwise', () => {
    const state = tree();
    expect(stateNumber(state, 'count')).toBe(3);
    expect(stateTensor(state, 'empty')).toBeNull();
    expect(stateTensor(state, 'buffer')).toBe(state.buffer);
    expect(stateChild(state, 'child')).toBe(state.child);
    expect(() => stateNumber(state, 'buffer')).toThrow('State key "buffer" must be a number.');
    expect(() => stateNumber(state, 'missing')).toThrow('State key "missing" must be a number.');
    expect(() => stateTensor(state, 'count')).toThrow(
      'State key "count" must be a tensor or null.',
    );
    expect(() => stateTensor(state, 'missing')).toThrow('must be a tensor or null');
    expect(() => stateTensor(state, 'child')).toThrow('must be a tensor or null');
    for (const key of ['empty', 'missing', 'count', 'buffer']) {
      expect(() => stateChild(state, key)).toThrow(`State key "${key}" must be a nested state.`);
    }
    disposeState(state);
  });
});

/**
 * A module that outputs its input frame plus the step count, from the `rf`-th frame on, every
 * `stride`-th step: enough to see the base class's delay and forwardSteps at work.
 */
class CountingModule extends CoModuleBase {
  readonly name = 'counting';
  readonly stride: number;
  readonly receptiveField: number;
  readonly padding: TemporalPadding;
  private steps = 0;

  constructor(receptiveField: number, padding: TemporalPadding, stride = 1) {
    super();
    this.receptiveField = receptiveField;
    this.padding = padding;
    this.stride = stride;
  }

  outputShape(input: FrameShape): FrameShape {
    return input;
  }
  forward(clip: Clip): Clip {
    return clip.clone();
  }
  forwardStep(frame: Frame): Frame | null {
    this.steps++;
    const sinceFull = this.steps - 1 - this.delay;
    if (sinceFull < 0 || sinceFull % this.stride !== 0) return null;
    return tf.add(frame, this.steps) as Frame;
  }
  getState(): CoState {
    return { steps: this.steps };
  }
  setState(state: CoState): void {
    this.steps = stateNumber(state, 'steps');
  }
  resetState(): void {
    this.steps = 0;
  }
  flopsPerStep(): FlopCount {
    return { macs: 0, elementwise: 0 };
  }
  flopsPerClip(): FlopCount {
    return { macs: 0, elementwise: 0 };
  }
  stateBytes(): number {
    return 0;
  }
  dispose(): void {}
}

describe('CoModuleBase', () => {
  it('derives delay = receptiveField - 1 - padding.start', () => {
    expect(new CountingModule(5, { start: 0, end: 0 }).delay).toBe(4);
    expect(new CountingModule(5, { start: 2, end: 2 }).delay).toBe(2);
    expect(new CountingModule(5, { start: 4, end: 0 }).delay).toBe(0);
    expect(new CountingModule(1, { start: 0, end: 0 }).delay).toBe(0);
  });

  it('forwardSteps loops forwardStep, keeps the non-null outputs in order, and frees the rest', async () => {
    const m = new CountingModule(3, { start: 0, end: 0 }, 2);
    const clip = tf.tensor5d([0, 10, 20, 30, 40, 50, 60], [1, 7, 1, 1, 1]) as Clip;
    const out = m.forwardSteps(clip);
    // Outputs at steps 3, 5 and 7 (delay 2, stride 2): frame + step.
    expect(out?.shape).toEqual([1, 3, 1, 1, 1]);
    expect(await valuesOf(out as Clip)).toEqual([23, 45, 67]);
    expect(stateNumber(m.getState(), 'steps')).toBe(7);
    tf.dispose([clip, out as Clip]);
  });

  it('forwardSteps returns null while every step is still filling', () => {
    const m = new CountingModule(4, { start: 0, end: 0 });
    const clip = tf.zeros([1, 3, 1, 1, 1]) as Clip;
    expect(m.forwardSteps(clip)).toBeNull();
    // The fourth frame completes the window.
    const more = tf.ones([1, 1, 1, 1, 1]) as Clip;
    const out = m.forwardSteps(more);
    expect(out?.shape).toEqual([1, 1, 1, 1, 1]);
    tf.dispose([clip, more, out as Clip]);
  });
});
