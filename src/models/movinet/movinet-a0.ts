import * as tf from '@tensorflow/tfjs-core';
import { CoConv3d } from '../../continual/conv3d';
import { CoCumulativeAvgPool } from '../../continual/global-pool';
import type { CoModule } from '../../continual/module';
import { coResidual } from '../../continual/parallel';
import { CoPointwiseConv, CoScale } from '../../continual/pointwise';
import { CoAvgPool3d } from '../../continual/pool3d';
import { CoSequential } from '../../continual/sequential';
import type { LoadedWeights } from '../weights/load-weights';
import { CoFakeQuant } from './fake-quant';
import type {
  ActivationQuantization,
  MovinetLayerSpec,
  MovinetOpSpec,
  MovinetSpec,
  MovinetTemporalSpec,
} from './movinet-config';
import { CoQuantizedCumulativeAvgPool } from './quantized-cumulative-pool';

/**
 * How activations are computed.
 * - `'int8-activations'`: float weights and float ops, but every activation the TFLite graph
 *   stores as int8 is rounded to that tensor's int8 grid (fake quantization), the head's running
 *   sum included. Reproduces the TFLite model's outputs most closely (movinet-a0.test.ts), at
 *   about twice the kernels per step of float.
 * - `'int8-head'`: the body in float32, only the head on the graph's int8 grids (its 1x1 conv,
 *   the running sum and mean of the cumulative pool, the classifier). The drift of plain float
 *   comes almost all from the head's quantized running sum, so this meets the same acceptance
 *   criteria (mean |p - p_ref| 0.020 vs 0.013 on shooting_basketball; float 0.085) at the cost of
 *   float: the default.
 * - `'float'`: plain float32 throughout; the network the int8 graph approximates, which drifts
 *   from the TFLite model's scores over a clip (mostly through the head's quantized running sum).
 */
export type MovinetQuantization = 'float' | 'int8-activations' | 'int8-head';

/** The default of {@link BuildMovinetOptions.quantization}: reference scores at float cost. */
export const DEFAULT_MOVINET_QUANTIZATION: MovinetQuantization = 'int8-head';

/** Options of {@link buildMovinetA0}. */
export interface BuildMovinetOptions {
  /**
   * Default {@link DEFAULT_MOVINET_QUANTIZATION}, or `'float'` for weights whose config is
   * `floatOnly` (pruned variants), which reject the int8 modes.
   */
  readonly quantization?: MovinetQuantization;
}

/**
 * Builds MoViNet-A0-Stream as the TFLite graph computes it, from src/continual modules:
 * stem 3x3/2 conv, 15 bottleneck layers (1x1 expand, spatial depthwise, causal temporal
 * depthwise where the layer has one, 1x1 project, rezero multiplier, residual with an average
 * pool + 1x1 shortcut on the stride-2 layers), then the head (1x1 conv, spatial mean, causal
 * cumulative mean over frames, two 1x1 layers to the logits). ReLU6 everywhere it is fused in
 * the graph. Every conv is causal in time, so the network's delay is 0: one output per frame.
 * In `'int8-activations'` mode a {@link CoFakeQuant} follows each op whose output the graph
 * quantizes (named `<op>_q`), and the head pool keeps its running sum on the graph's grids; in
 * `'int8-head'` mode only the head's do.
 *
 * Pruned variants (layers whose config lists `keptChannels`) build the same way with their
 * narrower inner width; their config is `floatOnly`, so they default to (and require) float.
 *
 * Takes every tensor of `weights` exactly once (asserted), so a weights file with a tensor too
 * many or too few is rejected here rather than computing something else; nothing is left
 * allocated when it throws.
 */
export function buildMovinetA0(
  spec: MovinetSpec,
  weights: LoadedWeights,
  options: BuildMovinetOptions = {},
): CoSequential {
  const mode = options.quantization ?? (spec.floatOnly ? 'float' : DEFAULT_MOVINET_QUANTIZATION);
  if (mode !== 'float' && mode !== 'int8-activations' && mode !== 'int8-head') {
    throw new Error(
      `MoViNet: quantization must be 'float', 'int8-activations' or 'int8-head', got '${mode}'.`,
    );
  }
  if (spec.floatOnly && mode !== 'float') {
    // The int8 grids in the config were measured on the dense graph's activations.
    throw new Error(
      "MoViNet: these weights run in 'float' mode only (a pruned variant: the dense graph's int8 grids do not fit it).",
    );
  }
  const b = new Builder(weights, mode === 'int8-activations');
  try {
    b.quant('input_q', spec.inputQuantization);
    b.add(spatialConv('stem', spec.stem, weights, 'stem'));
    b.quant('stem_q', spec.stem.outputQuantization, spec.stem.activation);
    for (const layer of spec.layers) b.add(bottleneck(layer, weights, b.int8));
    head(b, spec, mode !== 'float');
    weights.assertAllUsed();
    return new CoSequential('movinet_a0', b.modules);
  } catch (e) {
    b.dispose();
    throw e;
  }
}

/** Collects modules in order, so that a failure part-way disposes what was built. */
class Builder {
  readonly modules: CoModule[] = [];

  constructor(
    readonly weights: LoadedWeights,
    readonly int8: boolean,
  ) {}

  add(...modules: CoModule[]): void {
    this.modules.push(...modules);
  }

  /** A fake quantization to `q` of an op's output, in int8 mode only. */
  quant(name: string, q: ActivationQuantization, act: 'relu6' | 'none' = 'none'): void {
    if (this.int8) this.add(fakeQuant(name, q, act));
  }

  dispose(): void {
    for (const m of this.modules) m.dispose();
  }
}

/** A fake quantization of an op's output; a ReLU6 output is known to lie in [0, 6]. */
function fakeQuant(name: string, q: ActivationQuantization, act: 'relu6' | 'none'): CoFakeQuant {
  return new CoFakeQuant({ name, ...q, ...(act === 'relu6' ? { inputRange: [0, 6] } : {}) });
}

/** Builds a sequence of modules; disposes the ones built so far if one of them throws. */
function sequence(name: string, build: (add: (m: CoModule) => void) => void): CoSequential {
  const built: CoModule[] = [];
  try {
    build((m) => built.push(m));
    return new CoSequential(name, built);
  } catch (e) {
    for (const m of built) m.dispose();
    throw e;
  }
}

/** Takes a kernel and a bias and makes tensors of them; creates none unless both are there. */
function kernelAndBias(
  weights: LoadedWeights,
  prefix: string,
  kernelShape: readonly number[],
  biasShape: readonly number[],
): [tf.Tensor, tf.Tensor1D] {
  const kernel = weights.take(`${prefix}/kernel`, kernelShape);
  const bias = weights.take(`${prefix}/bias`, biasShape);
  return [tf.tensor(kernel.data, [...kernelShape], 'float32'), tf.tensor1d(bias.data, 'float32')];
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
  const [kernel, bias] = kernelAndBias(
    weights,
    prefix,
    [1, kh, kw, inPerGroup, spec.outChannels],
    [spec.outChannels],
  );
  try {
    // CoConv3d owns the tensors it is given.
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
      kernel,
      bias,
    });
  } catch (e) {
    tf.dispose([kernel, bias]);
    throw e;
  }
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
  const [kernel, bias] = kernelAndBias(weights, prefix, kernelShape, [outChannels]);
  try {
    // CoPointwiseConv clones what it is given.
    return new CoPointwiseConv({ name, inChannels, outChannels, activation: act, kernel, bias });
  } finally {
    tf.dispose([kernel, bias]);
  }
}

function temporalConv(
  layer: MovinetLayerSpec,
  spec: MovinetTemporalSpec,
  weights: LoadedWeights,
  prefix: string,
): CoConv3d {
  const c = layer.expandChannels;
  const kt = spec.kernel;
  const [kernel, bias] = kernelAndBias(weights, prefix, [kt, 1, 1, 1, c], [c]);
  try {
    return new CoConv3d({
      name: 'temporal',
      inChannels: c,
      outChannels: c,
      kernelSize: [kt, 1, 1],
      temporalPadding: 'causal',
      groups: c,
      activation: spec.activation === 'relu6' ? 'relu6' : 'linear',
      kernel,
      bias,
    });
  } catch (e) {
    tf.dispose([kernel, bias]);
    throw e;
  }
}

function sameGrid(a: ActivationQuantization, b: ActivationQuantization): boolean {
  return a.scale === b.scale && a.zeroPoint === b.zeroPoint;
}

function bottleneck(layer: MovinetLayerSpec, weights: LoadedWeights, int8: boolean): CoModule {
  const p = layer.name;
  const q = (
    add: (m: CoModule) => void,
    name: string,
    quant: ActivationQuantization,
    act: 'relu6' | 'none' = 'none',
  ) => {
    if (int8) add(fakeQuant(name, quant, act));
  };
  const temporal = layer.temporal;
  // The temporal conv buffers its input frames (the quantized spatial outputs) as they are; the
  // graph stores them on the buffer's grid, so the two grids must be the same.
  if (int8 && temporal !== null) {
    if (!sameGrid(temporal.bufferQuantization, layer.spatial.outputQuantization)) {
      throw new Error(
        `MoViNet config: ${p} stores its stream buffer on another int8 grid than the spatial conv's output.`,
      );
    }
  }
  const main = sequence('main', (add) => {
    add(
      pointwise(
        'expand',
        layer.inChannels,
        layer.expandChannels,
        activation(layer.expand),
        weights,
        `${p}/expand`,
      ),
    );
    q(add, 'expand_q', layer.expand.outputQuantization, layer.expand.activation);
    add(spatialConv('spatial', layer.spatial, weights, `${p}/spatial`));
    q(add, 'spatial_q', layer.spatial.outputQuantization, layer.spatial.activation);
    if (temporal !== null) {
      add(temporalConv(layer, temporal, weights, `${p}/temporal`));
      q(add, 'temporal_q', temporal.outputQuantization, temporal.activation);
    }
    add(
      pointwise(
        'project',
        layer.expandChannels,
        layer.outChannels,
        activation(layer.project),
        weights,
        `${p}/project`,
      ),
    );
    q(add, 'project_q', layer.project.outputQuantization, layer.project.activation);
    add(rezero(weights, `${p}/rezero`, layer.outChannels));
    q(add, 'rezero_q', layer.rezeroQuantization);
  });
  let shortcut: CoSequential | undefined;
  try {
    if (layer.shortcut !== null) {
      const { pool, conv } = layer.shortcut;
      shortcut = sequence('shortcut', (add) => {
        add(
          new CoAvgPool3d({
            name: 'pool',
            kernelSize: [1, pool.kernel[0], pool.kernel[1]],
            stride: [1, pool.stride[0], pool.stride[1]],
            spatialPadding: pool.padding === 'SAME' ? 'same' : 'valid',
            temporalPadding: 'causal',
          }),
        );
        if (int8) {
          // TFLite averages the int8 values and rounds halves away from zero.
          add(
            new CoFakeQuant({
              name: 'pool_q',
              ...pool.outputQuantization,
              rounding: 'half-away-int8',
            }),
          );
        }
        add(
          pointwise(
            'conv',
            layer.inChannels,
            layer.outChannels,
            activation(conv),
            weights,
            `${p}/shortcut`,
          ),
        );
        q(add, 'conv_q', conv.outputQuantization, conv.activation);
      });
    }
  } catch (e) {
    main.dispose();
    throw e;
  }
  const options = shortcut === undefined ? {} : { shortcut };
  try {
    if (!int8) return coResidual(p, main, options);
    // The graph's ADD writes its own int8 grid: the residual sum is quantized once more.
    return new CoSequential(p, [
      coResidual('residual', main, options),
      new CoFakeQuant({ name: 'residual_q', ...layer.residualQuantization }),
    ]);
  } catch (e) {
    main.dispose();
    shortcut?.dispose();
    throw e;
  }
}

function rezero(weights: LoadedWeights, name: string, channels: number): CoScale {
  const scale = weights.take(name, [channels]).data;
  return new CoScale({ name: 'rezero', scale: Float32Array.from(scale) }); // CoScale copies it.
}

function head(b: Builder, spec: MovinetSpec, int8: boolean): void {
  const quant = (name: string, q: ActivationQuantization, act: 'relu6' | 'none' = 'none') => {
    if (int8) b.add(fakeQuant(name, q, act));
  };
  const last = spec.layers[spec.layers.length - 1];
  if (last === undefined) throw new Error('MoViNet config: no layers.');
  const h = spec.head;
  const w = b.weights;
  b.add(pointwise('head_conv', last.outChannels, h.channels, 'relu6', w, 'head/conv'));
  quant('head_conv_q', h.convQuantization, 'relu6');
  b.add(
    int8
      ? new CoQuantizedCumulativeAvgPool({ name: 'head_pool', quantization: h.pool })
      : new CoCumulativeAvgPool({ name: 'head_pool' }),
  );
  const hidden = [h.channels, h.hiddenChannels];
  b.add(
    pointwise(
      'head_hidden',
      h.channels,
      h.hiddenChannels,
      'relu6',
      w,
      'head/classifier/hidden',
      hidden,
    ),
  );
  quant('head_hidden_q', h.hiddenQuantization, 'relu6');
  const logits = [h.hiddenChannels, spec.numClasses];
  b.add(
    pointwise(
      'head_logits',
      h.hiddenChannels,
      spec.numClasses,
      'linear',
      w,
      'head/classifier/logits',
      logits,
    ),
  );
  quant('head_logits_q', h.logitsQuantization);
}
