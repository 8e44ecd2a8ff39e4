import * as tf from '@tensorflow/tfjs-core';
import { CoConv3d } from '../../continual/conv3d';
import { CoCumulativeAvgPool } from '../../continual/global-pool';
import type { CoModule } from '../../continual/module';
import { coResidual } from '../../continual/parallel';
import { CoPointwiseConv, CoScale } from '../../continual/pointwise';
import { CoAvgPool3d } from '../../continual/pool3d';
import { CoSequential } from '../../continual/sequential';
import type { LoadedWeights } from '../weights/load-weights';
import type { MovinetLayerSpec, MovinetOpSpec, MovinetSpec } from './movinet-config';

/**
 * Builds MoViNet-A0-Stream as the TFLite graph computes it, from src/continual modules:
 * stem 3x3/2 conv, 15 bottleneck layers (1x1 expand, spatial depthwise, causal temporal
 * depthwise where the layer has one, 1x1 project, rezero multiplier, residual with an average
 * pool + 1x1 shortcut on the stride-2 layers), then the head (1x1 conv, spatial mean, causal
 * cumulative mean over frames, two 1x1 layers to the logits). ReLU6 everywhere it is fused in
 * the graph. Every conv is causal in time, so the network's delay is 0: one output per frame.
 *
 * Takes every tensor of `weights` exactly once (asserted), so a weights file with a tensor too
 * many or too few is rejected here rather than computing something else.
 */
export function buildMovinetA0(spec: MovinetSpec, weights: LoadedWeights): CoSequential {
  const built: CoModule[] = [];
  try {
    built.push(spatialConv('stem', spec.stem, weights, 'stem'));
    for (const layer of spec.layers) built.push(bottleneck(layer, weights));
    built.push(...head(spec, weights));
    weights.assertAllUsed();
    return new CoSequential('movinet_a0', built);
  } catch (e) {
    for (const m of built) m.dispose();
    throw e;
  }
}

function tensor(weights: LoadedWeights, name: string, shape: readonly number[]): tf.Tensor {
  const w = weights.take(name, shape);
  return tf.tensor(w.data, [...shape], 'float32');
}

function activation(spec: MovinetOpSpec): 'relu6' | 'linear' {
  return spec.activation === 'relu6' ? 'relu6' : 'linear';
}

/** A per-frame 2D conv (kt = 1), full or depthwise, with TF SAME/VALID spatial padding. */
function spatialConv(
  name: string,
  spec: MovinetOpSpec,
  weights: LoadedWeights,
  prefix: string,
): CoConv3d {
  const [kh, kw] = spec.kernel;
  const depthwise = spec.groups > 1;
  const inPerGroup = depthwise ? 1 : spec.inChannels;
  const channelsIn = depthwise ? spec.outChannels : spec.inChannels;
  return new CoConv3d({
    name,
    inChannels: channelsIn,
    outChannels: spec.outChannels,
    kernelSize: [1, kh, kw],
    stride: [1, spec.stride[0], spec.stride[1]],
    spatialPadding: spec.padding === 'SAME' ? 'same' : 'valid',
    temporalPadding: 'causal',
    groups: depthwise ? spec.outChannels : 1,
    activation: activation(spec),
    kernel: tensor(weights, `${prefix}/kernel`, [1, kh, kw, inPerGroup, spec.outChannels]),
    bias: tensor(weights, `${prefix}/bias`, [spec.outChannels]),
  });
}

function pointwise(
  name: string,
  inChannels: number,
  outChannels: number,
  act: 'relu6' | 'linear',
  weights: LoadedWeights,
  prefix: string,
  kernelShape: readonly number[] = [1, 1, 1, inChannels, outChannels],
): CoPointwiseConv {
  const kernel = tensor(weights, `${prefix}/kernel`, kernelShape);
  const bias = tensor(weights, `${prefix}/bias`, [outChannels]) as tf.Tensor1D;
  try {
    // CoPointwiseConv clones what it is given.
    return new CoPointwiseConv({ name, inChannels, outChannels, activation: act, kernel, bias });
  } finally {
    tf.dispose([kernel, bias]);
  }
}

function bottleneck(layer: MovinetLayerSpec, weights: LoadedWeights): CoModule {
  const p = layer.name;
  const main: CoModule[] = [
    pointwise(
      'expand',
      layer.inChannels,
      layer.expandChannels,
      activation(layer.expand),
      weights,
      `${p}/expand`,
    ),
    spatialConv('spatial', layer.spatial, weights, `${p}/spatial`),
  ];
  if (layer.temporalKernel !== null) {
    const kt = layer.temporalKernel;
    main.push(
      new CoConv3d({
        name: 'temporal',
        inChannels: layer.expandChannels,
        outChannels: layer.expandChannels,
        kernelSize: [kt, 1, 1],
        temporalPadding: 'causal',
        groups: layer.expandChannels,
        activation: 'relu6',
        kernel: tensor(weights, `${p}/temporal/kernel`, [kt, 1, 1, 1, layer.expandChannels]),
        bias: tensor(weights, `${p}/temporal/bias`, [layer.expandChannels]),
      }),
    );
  }
  main.push(
    pointwise(
      'project',
      layer.expandChannels,
      layer.outChannels,
      activation(layer.project),
      weights,
      `${p}/project`,
    ),
    rezero(weights, `${p}/rezero`, layer.outChannels),
  );
  let shortcut: CoModule | undefined;
  if (layer.shortcut !== null) {
    const pool = layer.shortcut.pool;
    shortcut = new CoSequential('shortcut', [
      new CoAvgPool3d({
        name: 'pool',
        kernelSize: [1, pool.kernel[0], pool.kernel[1]],
        stride: [1, pool.stride[0], pool.stride[1]],
        spatialPadding: pool.padding === 'SAME' ? 'same' : 'valid',
        temporalPadding: 'causal',
      }),
      pointwise('conv', layer.inChannels, layer.outChannels, 'linear', weights, `${p}/shortcut`),
    ]);
  }
  return coResidual(p, new CoSequential('main', main), shortcut === undefined ? {} : { shortcut });
}

function rezero(weights: LoadedWeights, name: string, channels: number): CoScale {
  const scale = tensor(weights, name, [channels]);
  try {
    return new CoScale({ name: 'rezero', scale }); // CoScale clones its multiplier.
  } finally {
    scale.dispose();
  }
}

function head(spec: MovinetSpec, weights: LoadedWeights): CoModule[] {
  const last = spec.layers[spec.layers.length - 1];
  if (last === undefined) throw new Error('MoViNet config: no layers.');
  return [
    pointwise('head_conv', last.outChannels, spec.headChannels, 'relu6', weights, 'head/conv'),
    new CoCumulativeAvgPool({ name: 'head_pool' }),
    pointwise(
      'head_hidden',
      spec.headChannels,
      spec.hiddenChannels,
      'relu6',
      weights,
      'head/classifier/hidden',
      [spec.headChannels, spec.hiddenChannels],
    ),
    pointwise(
      'head_logits',
      spec.hiddenChannels,
      spec.numClasses,
      'linear',
      weights,
      'head/classifier/logits',
      [spec.hiddenChannels, spec.numClasses],
    ),
  ];
}
