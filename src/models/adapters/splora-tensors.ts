/**
 * SPLoRA adapters as tensors, for training and for checking fusion (splora.ts has the math on
 * arrays and the formulas): the adapted weights W + (B A)^T computed inside the graph (what
 * training differentiates, frozen W), and the unfused forward with each adapter as its own
 * parallel branch (x W + (x A^T) B^T for a 1x1 conv).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Clip } from '../../continual/module';
import type { MovinetLayerSpec } from '../movinet/movinet-config';
import {
  bottleneckClip,
  causalTemporalClip,
  onChannels,
  pointwiseClip,
  type BottleneckWeights,
} from './bottleneck-clip';
import type { BottleneckAdapters, DepthwiseAdapter, PointwiseAdapter } from './splora';

/** A pointwise adapter's tensors: a [rank, din], b [dout, rank], bias [dout]. */
export interface PointwiseAdapterTensors {
  readonly a: tf.Tensor2D;
  readonly b: tf.Tensor2D;
  readonly bias: tf.Tensor1D;
}

/** A depthwise adapter's tensors: delta [C], bias [C]. */
export interface DepthwiseAdapterTensors {
  readonly delta: tf.Tensor1D;
  readonly bias: tf.Tensor1D;
}

/** One bottleneck's adapter tensors (variables while training). */
export interface BottleneckAdapterTensors {
  readonly expand: PointwiseAdapterTensors;
  readonly spatial: DepthwiseAdapterTensors;
  readonly temporal: DepthwiseAdapterTensors | null;
  readonly project: PointwiseAdapterTensors;
}

/**
 * A trainable variable holding `values` (the temporary tensor is released). Unnamed: tfjs
 * names must be unique process-wide, and several variants may train in one process.
 */
function variable(values: tf.Tensor): tf.Variable {
  const v = tf.variable(values, true);
  values.dispose();
  return v;
}

/** Trainable variables (owned by the caller) holding a bottleneck's adapters. */
export function adapterVariables(adapters: BottleneckAdapters): BottleneckAdapterTensors {
  const pw = (p: PointwiseAdapter): PointwiseAdapterTensors => ({
    a: variable(tf.tensor2d(p.a, [p.rank, p.din])) as tf.Variable<tf.Rank.R2>,
    b: variable(tf.tensor2d(p.b, [p.dout, p.rank])) as tf.Variable<tf.Rank.R2>,
    bias: variable(tf.tensor1d(p.bias)) as tf.Variable<tf.Rank.R1>,
  });
  const dw = (d: DepthwiseAdapter): DepthwiseAdapterTensors => ({
    delta: variable(tf.tensor1d(d.delta)) as tf.Variable<tf.Rank.R1>,
    bias: variable(tf.tensor1d(d.bias)) as tf.Variable<tf.Rank.R1>,
  });
  return {
    expand: pw(adapters.expand),
    spatial: dw(adapters.spatial),
    temporal: adapters.temporal === null ? null : dw(adapters.temporal),
    project: pw(adapters.project),
  };
}

/** Every tensor of a set of adapter tensors, in a fixed order. */
export function adapterTensorList(t: BottleneckAdapterTensors): tf.Tensor[] {
  const list: tf.Tensor[] = [
    t.expand.a,
    t.expand.b,
    t.expand.bias,
    t.spatial.delta,
    t.spatial.bias,
  ];
  if (t.temporal !== null) list.push(t.temporal.delta, t.temporal.bias);
  list.push(t.project.a, t.project.b, t.project.bias);
  return list;
}

/** Reads adapter tensors back into arrays (synchronous: Node/cpu training). */
export function readAdapters(t: BottleneckAdapterTensors): BottleneckAdapters {
  const pw = (p: PointwiseAdapterTensors): PointwiseAdapter => {
    const [rank, din] = p.a.shape;
    return {
      din,
      dout: p.b.shape[0],
      rank,
      a: Float32Array.from(p.a.dataSync()),
      b: Float32Array.from(p.b.dataSync()),
      bias: Float32Array.from(p.bias.dataSync()),
    };
  };
  const dw = (d: DepthwiseAdapterTensors): DepthwiseAdapter => ({
    channels: d.delta.shape[0],
    delta: Float32Array.from(d.delta.dataSync()),
    bias: Float32Array.from(d.bias.dataSync()),
  });
  return {
    expand: pw(t.expand),
    spatial: dw(t.spatial),
    temporal: t.temporal === null ? null : dw(t.temporal),
    project: pw(t.project),
  };
}

/** (B A)^T = A^T B^T: the [din, dout] update of a kernel in our layout. */
export function lowRankUpdate(p: PointwiseAdapterTensors): tf.Tensor2D {
  return tf.matMul(p.a, p.b, true, true);
}

/**
 * The adapted weights W + update, computed in the graph from frozen `w` and adapter tensors
 * `t` (differentiable in `t`). Call inside tf.tidy / a gradient closure.
 */
export function adaptedWeights(
  layer: MovinetLayerSpec,
  w: BottleneckWeights,
  t: BottleneckAdapterTensors,
): BottleneckWeights {
  const [kh, kw] = layer.spatial.kernel;
  const k = layer.expandChannels;
  const centre = centreTapKernel(t.spatial.delta, kh, kw);
  let temporalKernel = w.temporalKernel;
  let temporalBias = w.temporalBias;
  if (layer.temporal !== null) {
    if (t.temporal === null || temporalKernel === null || temporalBias === null) {
      throw new Error(
        `SPLoRA: ${layer.name} has a temporal conv but no temporal weights or adapter.`,
      );
    }
    const kt = layer.temporal.kernel;
    temporalKernel = tf.add(
      temporalKernel,
      tf.pad(tf.reshape(t.temporal.delta, [1, k]), [
        [kt - 1, 0],
        [0, 0],
      ]),
    ) as tf.Tensor2D;
    temporalBias = tf.add(temporalBias, t.temporal.bias) as tf.Tensor1D;
  }
  return {
    ...w,
    expandKernel: tf.add(w.expandKernel, lowRankUpdate(t.expand)),
    expandBias: tf.add(w.expandBias, t.expand.bias),
    spatialKernel: tf.add(w.spatialKernel, centre),
    spatialBias: tf.add(w.spatialBias, t.spatial.bias),
    temporalKernel,
    temporalBias,
    projectKernel: tf.add(w.projectKernel, lowRankUpdate(t.project)),
    projectBias: tf.add(w.projectBias, t.project.bias),
  };
}

/** A 1x1 conv with its adapter as a parallel low-rank branch: x W + b + (x A^T) B^T + delta_b. */
export function unfusedPointwiseClip(
  x: tf.Tensor,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  p: PointwiseAdapterTensors,
): tf.Tensor {
  return tf.tidy(() => {
    const shape = x.shape;
    const flat = tf.reshape(x, [-1, shape[shape.length - 1] ?? 0]);
    const low = tf.matMul(tf.matMul(flat, p.a, false, true), p.b, false, true);
    const branch = tf.reshape(tf.add(low, p.bias), [...shape.slice(0, -1), p.b.shape[0]]);
    return tf.add(pointwiseClip(x, kernel, bias), branch);
  });
}

/**
 * The bottleneck with unfused adapters: each conv's adapter runs as a separate branch added to
 * the frozen conv's output (a low-rank 1x1 path; for depthwise convs a conv of the centre-tap
 * deltas alone, and for the temporal conv delta times the current frame). Equals
 * bottleneckClip with the fused weights (asserted in the tests).
 */
export function unfusedSploraClip(
  layer: MovinetLayerSpec,
  w: BottleneckWeights,
  t: BottleneckAdapterTensors,
  clip: Clip,
): Clip {
  return tf.tidy(() => {
    const relu6 = (x: tf.Tensor, a: 'relu6' | 'none') => (a === 'relu6' ? tf.relu6(x) : x);
    let x = relu6(
      unfusedPointwiseClip(clip, w.expandKernel, w.expandBias, t.expand),
      layer.expand.activation,
    );
    const [n, tt, h, wd, k] = x.shape as [number, number, number, number, number];
    const [kh, kw] = layer.spatial.kernel;
    const frames = tf.reshape(x, [n * tt, h, wd, k]) as tf.Tensor4D;
    const stride: [number, number] = [layer.spatial.stride[0], layer.spatial.stride[1]];
    const pad = layer.spatial.padding === 'SAME' ? 'same' : 'valid';
    const frozen = tf.depthwiseConv2d(frames, w.spatialKernel, stride, pad);
    const centreOnly = centreTapKernel(t.spatial.delta, kh, kw);
    const branch = tf.depthwiseConv2d(frames, centreOnly, stride, pad);
    const [, ho, wo] = frozen.shape;
    x = tf.reshape(tf.add(tf.add(frozen, w.spatialBias), tf.add(branch, t.spatial.bias)), [
      n,
      tt,
      ho,
      wo,
      k,
    ]);
    x = relu6(x, layer.spatial.activation);
    if (layer.temporal !== null) {
      if (t.temporal === null || w.temporalKernel === null || w.temporalBias === null) {
        throw new Error(
          `SPLoRA: ${layer.name} has a temporal conv but no temporal weights or adapter.`,
        );
      }
      const delta = t.temporal;
      const current = onChannels(x, (rows) => tf.add(tf.mul(rows, delta.delta), delta.bias));
      x = relu6(
        tf.add(causalTemporalClip(x, w.temporalKernel, w.temporalBias), current),
        layer.temporal.activation,
      );
    }
    const projected = relu6(
      unfusedPointwiseClip(x, w.projectKernel, w.projectBias, t.project),
      layer.project.activation,
    );
    const main = onChannels(projected, (rows) => tf.mul(rows, w.rezero));
    if (layer.shortcut === null) return tf.add(main, clip) as Clip;
    // The shortcut has no adapter: take it from the plain block with a zeroed main path.
    const zeroMain: BottleneckWeights = { ...w, rezero: tf.zerosLike(w.rezero) };
    return tf.add(main, bottleneckClip(layer, zeroMain, clip)) as Clip;
  });
}

/**
 * A depthwise kh x kw kernel [kh, kw, C, 1] that is zero but for its centre tap, which holds
 * `delta` [C]: the SPA paper's centre-tap update of a depthwise conv.
 */
function centreTapKernel(delta: tf.Tensor1D, kh: number, kw: number): tf.Tensor4D {
  const channels = delta.shape[0];
  return tf.pad(tf.reshape(delta, [1, 1, channels, 1]), [
    [Math.floor(kh / 2), kh - 1 - Math.floor(kh / 2)],
    [Math.floor(kw / 2), kw - 1 - Math.floor(kw / 2)],
    [0, 0],
    [0, 0],
  ]) as tf.Tensor4D;
}
