/**
 * One MoViNet bottleneck in float mode as a plain differentiable function of a clip, built from
 * tfjs-core ops that have gradients (matMul, depthwiseConv2d, avgPool, pad, slice): what
 * training needs, where the src/continual modules are made for streaming. It computes what
 * buildMovinetA0's float bottleneck computes in clip mode (forward), asserted in its test:
 * expand 1x1 + ReLU6, spatial depthwise (TF SAME/VALID), causal temporal depthwise (zero frames
 * before the clip, tap kt-1 on the current frame), project 1x1, rezero, then the residual add
 * with the identity or an average pool (padding not counted) + 1x1 shortcut.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Clip } from '../../continual/module';
import type { MovinetLayerSpec, MovinetOpSpec } from '../movinet/movinet-config';
import type { TensorMap } from './movinet-tensors';

/** A bottleneck's weights as tensors, in the shapes the ops use. */
export interface BottleneckWeights {
  /** [inChannels, k] */
  readonly expandKernel: tf.Tensor2D;
  readonly expandBias: tf.Tensor1D;
  /** [kh, kw, k, 1] (depthwise filter) */
  readonly spatialKernel: tf.Tensor4D;
  readonly spatialBias: tf.Tensor1D;
  /** [kt, k]; row kt - 1 multiplies the current frame. Null where the layer has no temporal conv. */
  readonly temporalKernel: tf.Tensor2D | null;
  readonly temporalBias: tf.Tensor1D | null;
  /** [k, outChannels] */
  readonly projectKernel: tf.Tensor2D;
  readonly projectBias: tf.Tensor1D;
  readonly rezero: tf.Tensor1D;
  /** [inChannels, outChannels], or null for an identity residual. */
  readonly shortcutKernel: tf.Tensor2D | null;
  readonly shortcutBias: tf.Tensor1D | null;
}

function plain(tensors: TensorMap, name: string): Float32Array {
  const t = tensors.get(name);
  if (t === undefined) throw new Error(`no tensor "${name}"`);
  return t.data;
}

/** Tensors (owned by the caller) of a layer's weights, read from a tensor map. */
export function bottleneckWeights(layer: MovinetLayerSpec, tensors: TensorMap): BottleneckWeights {
  const p = layer.name;
  const k = layer.expandChannels;
  const [kh, kw] = layer.spatial.kernel;
  const get = (name: string) => plain(tensors, `${p}/${name}`);
  // Only tensor constructors here: nothing intermediate to tidy.
  return {
    expandKernel: tf.tensor2d(get('expand/kernel'), [layer.inChannels, k]),
    expandBias: tf.tensor1d(get('expand/bias')),
    spatialKernel: tf.tensor4d(get('spatial/kernel'), [kh, kw, k, 1]),
    spatialBias: tf.tensor1d(get('spatial/bias')),
    temporalKernel:
      layer.temporal === null
        ? null
        : tf.tensor2d(get('temporal/kernel'), [layer.temporal.kernel, k]),
    temporalBias: layer.temporal === null ? null : tf.tensor1d(get('temporal/bias')),
    projectKernel: tf.tensor2d(get('project/kernel'), [k, layer.outChannels]),
    projectBias: tf.tensor1d(get('project/bias')),
    rezero: tf.tensor1d(get('rezero')),
    shortcutKernel:
      layer.shortcut === null
        ? null
        : tf.tensor2d(get('shortcut/kernel'), [layer.inChannels, layer.outChannels]),
    shortcutBias: layer.shortcut === null ? null : tf.tensor1d(get('shortcut/bias')),
  };
}

/** Disposes the tensors of {@link bottleneckWeights}. */
export function disposeBottleneckWeights(w: BottleneckWeights): void {
  tf.dispose(Object.values(w).filter((t): t is tf.Tensor => t !== null));
}

/**
 * The ops of a bottleneck whose implementation may be swapped: tools/adapters trains with
 * versions whose gradients are fast on the cpu backend; {@link TFJS_OPS} is the default.
 */
export interface BottleneckOps {
  relu6(x: tf.Tensor): tf.Tensor;
  /** Depthwise conv of frames [N, H, W, C] with a filter [kh, kw, C, 1] and TF SAME/VALID padding. */
  depthwise(
    x: tf.Tensor4D,
    filter: tf.Tensor4D,
    stride: readonly [number, number],
    padding: 'same' | 'valid',
  ): tf.Tensor4D;
  /** {@link causalTemporalClip}. */
  causalTemporal(x: tf.Tensor, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor;
}

/** The bottleneck's ops as tfjs-core computes them. */
export const TFJS_OPS: BottleneckOps = {
  relu6: (x) => tf.relu6(x),
  depthwise: (x, filter, stride, padding) =>
    tf.depthwiseConv2d(x, filter, [stride[0], stride[1]], padding),
  causalTemporal: (x, kernel, bias) => causalTemporalClip(x, kernel, bias),
};

function act(x: tf.Tensor, activation: 'relu6' | 'none', ops: BottleneckOps): tf.Tensor {
  return activation === 'relu6' ? ops.relu6(x) : x;
}

/** A 1x1 conv on a clip: [N, T, H, W, cin] x [cin, cout] + bias. */
export function pointwiseClip(x: tf.Tensor, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor {
  const shape = x.shape;
  const cin = shape[shape.length - 1] ?? 0;
  const flat = tf.reshape(x, [-1, cin]);
  const y = tf.add(tf.matMul(flat, kernel), bias);
  return tf.reshape(y, [...shape.slice(0, -1), kernel.shape[1]]);
}

/**
 * Applies a per-channel (broadcast) op to x [..., C] through a [rows, C] view: tfjs-webgpu 4.22
 * broadcasts rank-5 binary ops wrongly (a [1, T, H, W, C] + [C] add returned its input unchanged).
 */
export function onChannels(x: tf.Tensor, f: (rows: tf.Tensor2D) => tf.Tensor): tf.Tensor {
  const c = x.shape[x.shape.length - 1] ?? 0;
  return tf.reshape(f(tf.reshape(x, [-1, c])), x.shape);
}

function padding(op: MovinetOpSpec): 'same' | 'valid' {
  return op.padding === 'SAME' ? 'same' : 'valid';
}

/** Per-frame depthwise conv + bias of a clip [N, T, H, W, C] with a filter [kh, kw, C, 1]. */
function depthwiseClip(
  x: tf.Tensor,
  op: MovinetOpSpec,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  ops: BottleneckOps,
): tf.Tensor {
  const [n, t, h, w, c] = x.shape as [number, number, number, number, number];
  const frames = tf.reshape(x, [n * t, h, w, c]) as tf.Tensor4D;
  const y = tf.add(ops.depthwise(frames, filter, op.stride, padding(op)), bias);
  const [, ho, wo] = y.shape as [number, number, number, number];
  return tf.reshape(y, [n, t, ho, wo, c]);
}

/**
 * Causal depthwise conv in time: out[t] = sum_j kernel[j] * x[t - (kt - 1) + j], zeros before.
 * Computed on a rank-4 view [N, T, H * W, C]: tfjs-webgpu 4.22 gets rank-5 pad/slice wrong.
 */
export function causalTemporalClip(
  x: tf.Tensor,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
): tf.Tensor {
  return tf.tidy(() => {
    const [n, t, h, w, c] = x.shape as [number, number, number, number, number];
    const kt = kernel.shape[0];
    const padded = tf.pad(tf.reshape(x, [n, t, h * w, c]), [
      [0, 0],
      [kt - 1, 0],
      [0, 0],
      [0, 0],
    ]);
    let sum: tf.Tensor = bias;
    for (let j = 0; j < kt; j++) {
      const tap = tf.reshape(tf.slice(kernel, [j, 0], [1, c]), [c]);
      sum = tf.add(sum, tf.mul(tf.slice(padded, [0, j, 0, 0], [n, t, h * w, c]), tap));
    }
    return tf.reshape(sum, [n, t, h, w, c]);
  });
}

/**
 * The inner activations of a bottleneck on a clip: the project conv's input [N, T, H', W', k]
 * (after expand, spatial and temporal convs and their activations).
 */
export function innerActivations(
  layer: MovinetLayerSpec,
  w: BottleneckWeights,
  clip: tf.Tensor,
  ops: BottleneckOps = TFJS_OPS,
): tf.Tensor {
  return tf.tidy(() => {
    let x = act(pointwiseClip(clip, w.expandKernel, w.expandBias), layer.expand.activation, ops);
    x = act(
      depthwiseClip(x, layer.spatial, w.spatialKernel, w.spatialBias, ops),
      layer.spatial.activation,
      ops,
    );
    if (layer.temporal !== null) {
      if (w.temporalKernel === null || w.temporalBias === null) {
        throw new Error(`${layer.name}: the layer has a temporal conv but no temporal weights.`);
      }
      x = act(
        ops.causalTemporal(x, w.temporalKernel, w.temporalBias),
        layer.temporal.activation,
        ops,
      );
    }
    return x;
  });
}

/**
 * The bottleneck's output on a clip [N, T, H, W, inChannels]. With `innerMask` (one 0/1 value
 * per inner channel), the project conv's input is multiplied by it first: what a network
 * pruned to the channels of value 1 computes.
 */
export function bottleneckClip(
  layer: MovinetLayerSpec,
  w: BottleneckWeights,
  clip: Clip,
  innerMask?: tf.Tensor1D,
  ops: BottleneckOps = TFJS_OPS,
): Clip {
  return tf.tidy(() => {
    let inner = innerActivations(layer, w, clip, ops);
    if (innerMask !== undefined) inner = onChannels(inner, (rows) => tf.mul(rows, innerMask));
    const projected = act(
      pointwiseClip(inner, w.projectKernel, w.projectBias),
      layer.project.activation,
      ops,
    );
    const main = onChannels(projected, (rows) => tf.mul(rows, w.rezero));
    if (layer.shortcut === null) return tf.add(main, clip) as Clip;
    if (w.shortcutKernel === null || w.shortcutBias === null) {
      throw new Error(`${layer.name}: the layer has a shortcut but no shortcut weights.`);
    }
    const pool = layer.shortcut.pool;
    const [n, t, h, wd, c] = clip.shape;
    const pooled = tf.avgPool(
      tf.reshape(clip, [n * t, h, wd, c]) as tf.Tensor4D,
      [pool.kernel[0], pool.kernel[1]],
      [pool.stride[0], pool.stride[1]],
      padding(pool),
    );
    const [, ho, wo] = pooled.shape;
    const shortcut = act(
      pointwiseClip(tf.reshape(pooled, [n, t, ho, wo, c]), w.shortcutKernel, w.shortcutBias),
      layer.shortcut.conv.activation,
      ops,
    );
    return tf.add(main, shortcut) as Clip;
  });
}
