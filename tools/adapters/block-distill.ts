/**
 * What a pruned MoViNet bottleneck learns while it recovers, and block-local distillation of one
 * block: its trainable parameters are fitted so that, given the student's own input features
 * (the output of the already-trained pruned blocks before it), the block reproduces the dense
 * teacher block's output features, over short clips through the causal temporal convs (clip
 * mode, bottleneck-clip.ts). Adam on the mean squared error; tfjs cpu backend in Node (wasm has
 * no gradients), with the loop-based gradients of cpu-grad-ops.ts.
 *
 * What is trained ({@link AdapterKind}):
 * - `'splora'`: the SPLoRA adapters of the block's four convs (src/models/adapters/splora.ts),
 *   W frozen, fused into the weights at the end;
 * - `'finetune'`: every remaining weight of the four pruned convs (kernels and biases of
 *   expand, spatial, temporal, project), the baseline SPLoRA is compared with;
 * - `'none'`: nothing (pruned only).
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients';
import type { MovinetLayerSpec } from '../../src/models/movinet/movinet-config';
import type { SeededRandom } from '../../src/models/seeded-weights';
import {
  bottleneckClip,
  bottleneckWeights,
  disposeBottleneckWeights,
  type BottleneckWeights,
} from '../../src/models/adapters/bottleneck-clip';
import type { PlainTensor, TensorMap } from '../../src/models/adapters/movinet-tensors';
import {
  bottleneckAdapterParams,
  fuseBottleneckAdapters,
  initBottleneckAdapters,
} from '../../src/models/adapters/splora';
import {
  adaptedWeights,
  adapterTensorList,
  adapterVariables,
  readAdapters,
} from '../../src/models/adapters/splora-tensors';
import { CPU_GRAD_OPS } from './cpu-grad-ops';

/** How a pruned block recovers. */
export type AdapterKind = 'none' | 'splora' | 'finetune';

/** Every kind, for option parsing. */
export const ADAPTER_KINDS: readonly AdapterKind[] = ['none', 'splora', 'finetune'];

/** Parameters fine-tuning learns in a pruned block: its four convs' kernels and biases. */
export function finetuneParams(layer: MovinetLayerSpec): number {
  const k = layer.expandChannels;
  const [kh, kw] = layer.spatial.kernel;
  const temporal = layer.temporal === null ? 0 : layer.temporal.kernel * k + k;
  return (
    layer.inChannels * k +
    k +
    kh * kw * k +
    k +
    temporal +
    k * layer.outChannels +
    layer.outChannels
  );
}

/** The trainable state of one pruned block (variables owned until {@link Trainable.dispose}). */
export interface Trainable {
  readonly layer: MovinetLayerSpec;
  readonly variables: readonly tf.Variable[];
  /** Parameters this kind learns in the block. */
  readonly learnedParams: number;
  /** The block's current weights as tensors (call inside tf.tidy / a gradient closure). */
  weights(): BottleneckWeights;
  /** `tensors` with this block's weights replaced by the trained ones (adapters fused). */
  fused(tensors: TensorMap): Map<string, PlainTensor>;
  dispose(): void;
}

/**
 * The trainable state of a pruned block whose compact weights are in `tensors`. SPLoRA adapters
 * are drawn from `rng` with the paper's initialisation (`initRange` for B and bias updates).
 */
export function createTrainable(
  layer: MovinetLayerSpec,
  tensors: TensorMap,
  kind: AdapterKind,
  rank: number,
  rng: SeededRandom,
  initRange?: number,
): Trainable {
  const frozen = bottleneckWeights(layer, tensors);
  if (kind === 'none') {
    return {
      layer,
      variables: [],
      learnedParams: 0,
      weights: () => frozen,
      fused: (t) => new Map(t),
      dispose: () => disposeBottleneckWeights(frozen),
    };
  }
  if (kind === 'splora') {
    const vars = adapterVariables(initBottleneckAdapters(layer, rank, rng, initRange));
    return {
      layer,
      variables: adapterTensorList(vars) as tf.Variable[],
      learnedParams: bottleneckAdapterParams(layer, rank),
      weights: () => adaptedWeights(layer, frozen, vars),
      fused: (t) => fuseBottleneckAdapters(t, layer, readAdapters(vars)),
      dispose: () => {
        tf.dispose(adapterTensorList(vars));
        disposeBottleneckWeights(frozen);
      },
    };
  }
  // Fine-tuning: the four convs' weights become variables (sharing the frozen tensors' data
  // until the first update replaces it).
  // Unnamed: tfjs variable names must be unique process-wide.
  const v = <T extends tf.Tensor>(t: T) => tf.variable(t, true) as unknown as T;
  const trained: BottleneckWeights = {
    ...frozen,
    expandKernel: v(frozen.expandKernel),
    expandBias: v(frozen.expandBias),
    spatialKernel: v(frozen.spatialKernel),
    spatialBias: v(frozen.spatialBias),
    temporalKernel: frozen.temporalKernel === null ? null : v(frozen.temporalKernel),
    temporalBias: frozen.temporalBias === null ? null : v(frozen.temporalBias),
    projectKernel: v(frozen.projectKernel),
    projectBias: v(frozen.projectBias),
  };
  const parts: [string, tf.Tensor | null][] = [
    ['expand/kernel', trained.expandKernel],
    ['expand/bias', trained.expandBias],
    ['spatial/kernel', trained.spatialKernel],
    ['spatial/bias', trained.spatialBias],
    ['temporal/kernel', trained.temporalKernel],
    ['temporal/bias', trained.temporalBias],
    ['project/kernel', trained.projectKernel],
    ['project/bias', trained.projectBias],
  ];
  const variables = parts.flatMap(([, t]) => (t === null ? [] : [t as tf.Variable]));
  return {
    layer,
    variables,
    learnedParams: finetuneParams(layer),
    weights: () => trained,
    fused: (t) => {
      const out = new Map(t);
      for (const [part, value] of parts) {
        if (value === null) continue;
        const name = `${layer.name}/${part}`;
        const old = t.get(name);
        if (old === undefined) throw new Error(`no tensor "${name}"`);
        out.set(name, { shape: old.shape, data: Float32Array.from(value.dataSync()) });
      }
      return out;
    },
    dispose: () => {
      tf.dispose(variables);
      disposeBottleneckWeights(frozen);
    },
  };
}

/** Relative error sum((f(x) - y)^2) / sum(y^2) over all pairs. */
export function relativeError(
  f: (x: tf.Tensor5D) => tf.Tensor,
  inputs: readonly tf.Tensor5D[],
  targets: readonly tf.Tensor5D[],
): number {
  let err = 0;
  let norm = 0;
  inputs.forEach((x, i) => {
    const y = targets[i];
    if (y === undefined) throw new Error('one target per input');
    const [e, n] = tf.tidy(() => [tf.sum(tf.square(tf.sub(f(x), y))), tf.sum(tf.square(y))]);
    err += e?.dataSync()[0] ?? 0;
    norm += n?.dataSync()[0] ?? 0;
    tf.dispose([e, n]);
  });
  return norm === 0 ? 0 : err / norm;
}

/** Optimiser settings of one training phase. */
export interface PhaseOptions {
  readonly steps: number;
  /** Clips per step. */
  readonly batch: number;
  readonly learningRate: number;
}

/** What {@link trainBlock} measured. */
export interface BlockTrainResult {
  /** Relative error of the block's output against the teacher's over all clips, before and after. */
  readonly relativeErrorBefore: number;
  readonly relativeErrorAfter: number;
  /** Training loss of each step (mean squared error of its batch). */
  readonly losses: readonly number[];
}

/** The block's output on a clip with the trainable's current weights. */
function blockOutput(trainable: Trainable, x: tf.Tensor5D): tf.Tensor {
  return bottleneckClip(trainable.layer, trainable.weights(), x, undefined, CPU_GRAD_OPS);
}

/**
 * Trains one block on `inputs` (student features before it) towards `targets` (teacher
 * features after it), one of each per clip, [1, T, H, W, C]; batches are drawn from `rng`.
 */
export function trainBlock(
  trainable: Trainable,
  inputs: readonly tf.Tensor5D[],
  targets: readonly tf.Tensor5D[],
  options: PhaseOptions,
  rng: SeededRandom,
): BlockTrainResult {
  if (inputs.length === 0 || inputs.length !== targets.length) {
    throw new Error(`trainBlock: ${inputs.length} inputs and ${targets.length} targets.`);
  }
  const f = (x: tf.Tensor5D) => tf.tidy(() => blockOutput(trainable, x));
  const before = relativeError(f, inputs, targets);
  if (trainable.variables.length === 0 || options.steps === 0) {
    return { relativeErrorBefore: before, relativeErrorAfter: before, losses: [] };
  }
  const optimizer = tf.train.adam(options.learningRate);
  const losses: number[] = [];
  try {
    for (let step = 0; step < options.steps; step++) {
      const picks = Array.from({ length: Math.min(options.batch, inputs.length) }, () =>
        Math.floor(rng.uniform() * inputs.length),
      );
      const x = tf.concat(
        picks.map((i) => inputs[i] as tf.Tensor5D),
        0,
      ) as tf.Tensor5D;
      const y = tf.concat(
        picks.map((i) => targets[i] as tf.Tensor5D),
        0,
      );
      const cost = optimizer.minimize(
        () => tf.mean(tf.square(tf.sub(blockOutput(trainable, x), y))) as tf.Scalar,
        true,
        trainable.variables as tf.Variable[],
      );
      losses.push(cost?.dataSync()[0] ?? Number.NaN);
      tf.dispose([x, y, cost ?? []]);
    }
  } finally {
    optimizer.dispose();
  }
  return {
    relativeErrorBefore: before,
    relativeErrorAfter: relativeError(f, inputs, targets),
    losses,
  };
}
