/**
 * Composed blocks: the library's modules put together the way networks use them must keep the
 * defining property (streaming equals the clip model on the same window), start up with exactly
 * `delay` null outputs, reset, round-trip their state mid-stream, and leak nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { frameAt } from './base';
import { CoConv3d } from './conv3d';
import type { Clip, CoModule, Frame } from './module';
import { coResidual } from './parallel';
import { CoActivation, CoPointwiseConv, CoScale } from './pointwise';
import { CoAvgPool3d } from './pool3d';
import { CoSequential } from './sequential';
import { CoSqueezeExcitation } from './squeeze-excitation';
import { maxAbsDiffAsync, streamAndCompareAsync } from './testing-async';
import { seededClip, seededTensor } from './testing';

// float32 sums of a few dozen products in a different order on each path (2D ops per tap vs a
// window): 1e-5 on cpu/wasm; webgpu's shaders reassociate more, so 1e-4 there.
const tol = (): number => (tf.getBackend() === 'webgpu' ? 1e-4 : 1e-5);

/** Scaled seeded weights so activations stay O(1) through the block. */
function weight(shape: number[], seed: number, fanIn: number): tf.Tensor {
  return tf.tidy(() => tf.mul(seededTensor(shape, seed), Math.sqrt(3 / fanIn)));
}

/**
 * An X3D bottleneck as CoX3D runs it: 1x1x1 expand + ReLU, channelwise 3x3x3 conv without
 * temporal padding, squeeze-excitation over a causal window, Swish, 1x1x1 project, residual
 * (shortcut lined up with the centre of the conv window), ReLU.
 */
function x3dBottleneck(channels: number, expanded: number, seed: number): CoModule {
  const se = new CoSqueezeExcitation({
    name: 'se',
    channels: expanded,
    reducedChannels: 2,
    pool: { kind: 'window', window: 4 },
    weights: {
      reduceKernel: weight([expanded, 2], seed + 1, expanded),
      reduceBias: weight([2], seed + 2, 1),
      expandKernel: weight([2, expanded], seed + 3, 2),
      expandBias: weight([expanded], seed + 4, 1),
    },
  });
  const branch = new CoSequential('branch', [
    new CoPointwiseConv({
      name: 'expand',
      inChannels: channels,
      outChannels: expanded,
      kernel: weight([channels, expanded], seed + 5, channels),
      activation: 'relu',
    }),
    new CoConv3d({
      name: 'channelwise',
      inChannels: expanded,
      outChannels: expanded,
      kernelSize: [3, 3, 3],
      groups: expanded,
      temporalPadding: 'valid',
      kernel: weight([3, 3, 3, 1, expanded], seed + 6, 27),
      bias: weight([expanded], seed + 7, 1),
    }),
    se,
    new CoActivation({ name: 'swish', activation: 'swish' }),
    new CoPointwiseConv({
      name: 'project',
      inChannels: expanded,
      outChannels: channels,
      kernel: weight([expanded, channels], seed + 8, expanded),
    }),
  ]);
  return new CoSequential('block', [
    coResidual('residual', branch, { align: 'centered' }),
    new CoActivation({ name: 'relu', activation: 'relu' }),
  ]);
}

/**
 * A causal MoViNet-Stream block: 1x1 expand + ReLU6, spatial depthwise 3x3 with stride 2,
 * causal temporal depthwise conv (kt 3) + ReLU6, 1x1 project, rezero multiplier, and a shortcut
 * of a 3x3/2 average pool and a 1x1 conv.
 */
function movinetBlock(inChannels: number, expanded: number, out: number, seed: number): CoModule {
  const branch = new CoSequential('main', [
    new CoPointwiseConv({
      name: 'expand',
      inChannels,
      outChannels: expanded,
      kernel: weight([inChannels, expanded], seed, inChannels),
      activation: 'relu6',
    }),
    new CoConv3d({
      name: 'spatial',
      inChannels: expanded,
      outChannels: expanded,
      kernelSize: [1, 3, 3],
      stride: [1, 2, 2],
      groups: expanded,
      temporalPadding: 'causal',
      activation: 'relu6',
      kernel: weight([1, 3, 3, 1, expanded], seed + 1, 9),
    }),
    new CoConv3d({
      name: 'temporal',
      inChannels: expanded,
      outChannels: expanded,
      kernelSize: [3, 1, 1],
      groups: expanded,
      temporalPadding: 'causal',
      activation: 'relu6',
      kernel: weight([3, 1, 1, 1, expanded], seed + 2, 3),
      bias: weight([expanded], seed + 3, 1),
    }),
    new CoPointwiseConv({
      name: 'project',
      inChannels: expanded,
      outChannels: out,
      kernel: weight([expanded, out], seed + 4, expanded),
    }),
    new CoScale({ name: 'rezero', scale: 0.7 }),
  ]);
  const shortcut = new CoSequential('shortcut', [
    new CoAvgPool3d({
      name: 'pool',
      kernelSize: [1, 3, 3],
      stride: [1, 2, 2],
      spatialPadding: 'same',
      temporalPadding: 'causal',
    }),
    new CoPointwiseConv({
      name: 'conv',
      inChannels,
      outChannels: out,
      kernel: weight([inChannels, out], seed + 5, inChannels),
    }),
  ]);
  return coResidual('block', branch, { shortcut });
}

/** Streams `clip` from the current state and returns every non-null output. */
function stream(module: CoModule, clip: Clip, from = 0, to = clip.shape[1]): Frame[] {
  const outputs: Frame[] = [];
  for (let t = from; t < to; t++) {
    const frame = frameAt(clip, t);
    const out = tf.tidy(() => module.forwardStep(frame) ?? undefined) ?? null;
    frame.dispose();
    if (out !== null) outputs.push(out);
  }
  return outputs;
}

async function maxDiffAll(a: Frame[], b: Frame[]): Promise<number> {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, await maxAbsDiffAsync(a[i] as Frame, b[i] as Frame));
  }
  return max;
}

const cases: {
  name: string;
  build: () => CoModule;
  clip: [number, number, number, number, number];
  /** One valid kt=3 conv lags by 2 (SE, pointwise and the centred shortcut add nothing); causal blocks by 0. */
  delay: number;
}[] = [
  {
    name: 'X3D bottleneck (valid 3x3x3, SE, Swish, residual)',
    build: () => x3dBottleneck(4, 6, 10),
    clip: [1, 10, 6, 6, 4],
    delay: 2,
  },
  {
    name: 'causal MoViNet block (stride 2, avg-pool shortcut)',
    build: () => movinetBlock(4, 8, 6, 20),
    clip: [1, 8, 8, 8, 4],
    delay: 0,
  },
];

describe.each(cases)('$name', ({ build, clip: shape, delay }) => {
  let modules: CoModule[] = [];
  const make = (): CoModule => {
    const m = build();
    modules.push(m);
    return m;
  };
  afterEach(() => {
    for (const m of modules) m.dispose();
    modules = [];
  });

  it('streams what the clip model computes on the same window, after `delay` nulls', async () => {
    const block = make();
    const clip = seededClip(shape, 7);
    const seen = await streamAndCompareAsync(block, clip, tol());
    expect(seen.leadingNulls).toBe(block.delay);
    expect(seen.compared).toBe(shape[1] - block.delay);
    clip.dispose();
  });

  it('has the delay its parts imply', () => {
    expect(make().delay).toBe(delay);
  });

  it('resets to a fresh module and round-trips its state mid-stream', async () => {
    const block = make();
    const twin = make();
    const clip = seededClip(shape, 11);
    const half = Math.floor(shape[1] / 2);
    tf.dispose(stream(block, clip, 0, half));
    const snapshot = block.getState();
    twin.setState(snapshot);
    const fromBlock = stream(block, clip, half);
    const fromTwin = stream(twin, clip, half);
    expect(await maxDiffAll(fromBlock, fromTwin)).toBe(0);
    block.resetState();
    const fresh = make();
    const afterReset = stream(block, clip);
    const fromFresh = stream(fresh, clip);
    expect(await maxDiffAll(afterReset, fromFresh)).toBe(0);
    tf.dispose([...fromBlock, ...fromTwin, ...afterReset, ...fromFresh, clip]);
    for (const value of Object.values(snapshot)) if (value instanceof tf.Tensor) value.dispose();
  });

  it('leaks no tensors over 1,000 steps', () => {
    const block = make();
    const frame = seededTensor([1, shape[2], shape[3], shape[4]], 3) as Frame;
    // Warm-up fills every buffer, so later steps must only replace what they hold.
    for (let i = 0; i < 5; i++) tf.dispose(tf.tidy(() => block.forwardStep(frame) ?? undefined));
    const before = tf.memory().numTensors;
    // webgpu on the software adapter takes ~10 ms a step: 200 steps keep the test under a minute.
    const steps = tf.getBackend() === 'webgpu' ? 200 : 1000;
    for (let i = 0; i < steps; i++) {
      const out = block.forwardStep(frame);
      out?.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    frame.dispose();
  });
});
