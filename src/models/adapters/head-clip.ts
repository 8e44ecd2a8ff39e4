/**
 * MoViNet-A0-Stream's classification head in float mode as a plain differentiable function of
 * the last block's features over a clip (as bottleneck-clip.ts does for the blocks): 1x1 conv
 * + ReLU6, spatial mean, causal cumulative mean over the frames since the clip's start, then
 * the 1x1 hidden layer + ReLU6 and the linear logits. One logit vector per frame: [N, T, classes].
 * Training distils through it on logits; it equals buildMovinetA0's float head (asserted).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MovinetSpec } from '../movinet/movinet-config';
import { pointwiseClip } from './bottleneck-clip';
import type { TensorMap } from './movinet-tensors';

/** The head's weights as tensors. */
export interface HeadWeights {
  /** [last block's channels, head channels] */
  readonly convKernel: tf.Tensor2D;
  readonly convBias: tf.Tensor1D;
  /** [head channels, hidden channels] */
  readonly hiddenKernel: tf.Tensor2D;
  readonly hiddenBias: tf.Tensor1D;
  /** [hidden channels, classes] */
  readonly logitsKernel: tf.Tensor2D;
  readonly logitsBias: tf.Tensor1D;
}

/** Tensors (owned by the caller) of the head's weights, read from a tensor map. */
export function headWeights(spec: MovinetSpec, tensors: TensorMap): HeadWeights {
  const last = spec.layers[spec.layers.length - 1];
  if (last === undefined) throw new Error('MoViNet spec has no layers.');
  const get = (name: string) => {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`no tensor "${name}"`);
    return t.data;
  };
  const h = spec.head;
  return {
    convKernel: tf.tensor2d(get('head/conv/kernel'), [last.outChannels, h.channels]),
    convBias: tf.tensor1d(get('head/conv/bias')),
    hiddenKernel: tf.tensor2d(get('head/classifier/hidden/kernel'), [h.channels, h.hiddenChannels]),
    hiddenBias: tf.tensor1d(get('head/classifier/hidden/bias')),
    logitsKernel: tf.tensor2d(get('head/classifier/logits/kernel'), [
      h.hiddenChannels,
      spec.numClasses,
    ]),
    logitsBias: tf.tensor1d(get('head/classifier/logits/bias')),
  };
}

/** Disposes the tensors of {@link headWeights}. */
export function disposeHeadWeights(w: HeadWeights): void {
  tf.dispose(Object.values(w) as tf.Tensor[]);
}

/** Per-frame logits [N, T, classes] of the head on the last block's features [N, T, H, W, C]. */
export function headClip(w: HeadWeights, features: tf.Tensor): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, t] = features.shape as [number, number];
    const conv = tf.relu6(pointwiseClip(features, w.convKernel, w.convBias));
    const spatial = tf.mean(conv, [2, 3]);
    // Frame t sees the mean of frames 0..t (the stream's running mean from a fresh state), as a
    // product with a lower-triangular averaging matrix: tfjs 4.22's Cumsum gradient is wrong
    // for an axis other than the last.
    const average = new Float32Array(t * t);
    for (let i = 0; i < t; i++) average.fill(1 / (i + 1), i * t, i * t + i + 1);
    const lower = tf.tile(tf.reshape(tf.tensor2d(average, [t, t]), [1, t, t]), [n, 1, 1]);
    const pooled = tf.matMul(lower as tf.Tensor3D, spatial as tf.Tensor3D);
    const hidden = tf.relu6(
      tf.add(tf.matMul(tf.reshape(pooled, [n * t, -1]), w.hiddenKernel), w.hiddenBias),
    );
    const logits = tf.add(tf.matMul(hidden, w.logitsKernel), w.logitsBias);
    return tf.reshape(logits, [n, t, -1]) as tf.Tensor3D;
  });
}
