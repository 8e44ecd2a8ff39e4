/**
 * From the dense MoViNet-A0-Stream to one pruned variant: a seeded, augmented training set with
 * the dense float teacher's features at every block boundary (and activation statistics),
 * channel scores, the pruning plan with the removed channels' means left in the project biases
 * (mean-compensation.ts), then block-local distillation of each pruned block in order
 * (block-distill.ts), each block seeing the already-trained student's features as its input,
 * and optionally an end-to-end phase on logits (e2e-distill.ts). The teacher is the dense network
 * in float mode (the variants run in float; its int8-emulating default differs from it by the
 * activations' rounding only).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CoModule } from '../../src/continual/module';
import type { CoSequential } from '../../src/continual/sequential';
import type { MovinetSpec } from '../../src/models/movinet/movinet-config';
import { parseMovinetConfig } from '../../src/models/movinet/movinet-config';
import { SeededRandom } from '../../src/models/seeded-weights';
import type { JsonValue } from '../../src/models/weights/manifest';
import {
  bottleneckClip,
  bottleneckWeights,
  disposeBottleneckWeights,
  innerActivations,
} from '../../src/models/adapters/bottleneck-clip';
import {
  activationProjectScores,
  l1ExpandScores,
  type PruningCriterion,
} from '../../src/models/adapters/channel-scores';
import { disposeHeadWeights, headClip, headWeights } from '../../src/models/adapters/head-clip';
import type { PlainTensor, TensorMap } from '../../src/models/adapters/movinet-tensors';
import { compensateRemovedMeans } from '../../src/models/adapters/mean-compensation';
import { pruneConfig, pruneTensors } from '../../src/models/adapters/prune-movinet';
import { planPruning, type PruningPlan } from '../../src/models/adapters/pruning-plan';
import type { ExtractedFrames } from '../reference/extract-frames';
import { applyAugmentation, sampleAugmentation, type Augmentation } from './augment';
import { createTrainable, trainBlock, type AdapterKind, type PhaseOptions } from './block-distill';
import { trainEndToEnd } from './e2e-distill';
import { CPU_GRAD_OPS } from './cpu-grad-ops';

/** How the training set is drawn. */
export interface TrainingSetOptions {
  /** Number of augmented clips. */
  readonly clips: number;
  /** Frames per clip. */
  readonly frames: number;
  /** Side of the (square) training frames; the convs are resolution-agnostic. */
  readonly size: number;
  readonly seed: number;
}

/** Augmented clips and the dense teacher's features on them. */
export interface TrainingSet {
  readonly options: TrainingSetOptions;
  readonly augmentations: readonly Augmentation[];
  /**
   * features[b][c]: teacher features of clip c at block boundary b: b = 0 is the stem's output
   * (the first block's input), b = i + 1 the output of layer i.
   */
  readonly features: readonly (readonly tf.Tensor5D[])[];
  /** Per layer: the dense channels' mean activation at the project conv's input. */
  readonly innerMean: ReadonlyMap<string, Float64Array>;
  /** Per layer: the dense channels' standard deviation there (over frames and pixels). */
  readonly innerStd: ReadonlyMap<string, Float64Array>;
  /** The teacher's per-frame logits of each clip, [1, T, classes]. */
  readonly teacherLogits: readonly tf.Tensor3D[];
  dispose(): void;
}

/**
 * Draws `options.clips` augmented clips from `videos` and runs the dense float network over
 * them block by block. `denseNetwork` is buildMovinetA0(spec, ..., float): its first child is
 * the stem, whose features start the chain.
 */
export function makeTrainingSet(
  spec: MovinetSpec,
  dense: TensorMap,
  denseNetwork: CoSequential,
  videos: readonly ExtractedFrames[],
  options: TrainingSetOptions,
): TrainingSet {
  const rng = new SeededRandom(options.seed);
  const lengths = videos.map((v) => v.shape[0]);
  const side = videos[0]?.shape[1] ?? 0;
  const augmentations = Array.from({ length: options.clips }, () =>
    sampleAugmentation(rng, lengths, side, { frames: options.frames }),
  );
  const stem = denseNetwork.children[0] as CoModule;
  const first = augmentations.map((aug) =>
    tf.tidy(() => {
      const clip = applyAugmentation(videos, aug, options.frames, options.size);
      return stem.forward(clip);
    }),
  );
  const features: tf.Tensor5D[][] = [first];
  const innerMean = new Map<string, Float64Array>();
  const innerStd = new Map<string, Float64Array>();
  for (const layer of spec.layers) {
    const w = bottleneckWeights(layer, dense);
    const inputs = features[features.length - 1] ?? [];
    const k = layer.expandChannels;
    const sums = new Float64Array(k);
    const squares = new Float64Array(k);
    let count = 0;
    features.push(
      inputs.map((x) => {
        const [sum, square] = tf.tidy(() => {
          const inner = tf.reshape(innerActivations(layer, w, x, CPU_GRAD_OPS), [-1, k]);
          count += inner.shape[0];
          return [tf.sum(inner, 0), tf.sum(tf.square(inner), 0)];
        });
        sum?.dataSync().forEach((v: number, c: number) => (sums[c] = (sums[c] ?? 0) + v));
        square?.dataSync().forEach((v: number, c: number) => (squares[c] = (squares[c] ?? 0) + v));
        tf.dispose([sum, square]);
        return bottleneckClip(layer, w, x, undefined, CPU_GRAD_OPS);
      }),
    );
    const mean = sums.map((s) => s / count);
    innerMean.set(layer.name, mean);
    innerStd.set(
      layer.name,
      squares.map((s, c) => Math.sqrt(Math.max(0, s / count - (mean[c] ?? 0) ** 2))),
    );
    disposeBottleneckWeights(w);
  }
  const head = headWeights(spec, dense);
  const teacherLogits = (features[features.length - 1] ?? []).map((x) => headClip(head, x));
  disposeHeadWeights(head);
  return {
    options,
    augmentations,
    features,
    innerMean,
    innerStd,
    teacherLogits,
    dispose: () => {
      features.forEach((f) => tf.dispose(f));
      tf.dispose(teacherLogits);
    },
  };
}

/** Channel scores of every layer by a criterion (channel-scores.ts). */
export function channelScores(
  spec: MovinetSpec,
  dense: TensorMap,
  criterion: PruningCriterion,
  innerStd: ReadonlyMap<string, Float64Array>,
): Map<string, Float64Array> {
  const scores = new Map<string, Float64Array>();
  for (const l of spec.layers) {
    const expand = dense.get(`${l.name}/expand/kernel`)?.data ?? new Float32Array(0);
    const project = dense.get(`${l.name}/project/kernel`)?.data ?? new Float32Array(0);
    if (criterion === 'l1-expand') {
      scores.set(l.name, l1ExpandScores(expand, l.inChannels, l.expandChannels));
    } else {
      const std = innerStd.get(l.name);
      if (std === undefined) throw new Error(`no activation statistics for ${l.name}`);
      scores.set(l.name, activationProjectScores(std, project, l.expandChannels, l.outChannels));
    }
  }
  return scores;
}

/** One variant to derive. */
export interface VariantOptions {
  readonly prune: number;
  readonly criterion: PruningCriterion;
  readonly adapter: AdapterKind;
  /** SPLoRA rank (ignored by the other kinds). */
  readonly rank: number;
  /** Seeds the adapters' initialisation and the batches. */
  readonly seed: number;
  /** Block-local phase: steps per block. */
  readonly block: PhaseOptions;
  /** End-to-end phase on logits, after the block-local one. */
  readonly endToEnd: PhaseOptions;
  /** SPLoRA's initial range of B and the bias updates (default 1e-4). */
  readonly initRange?: number;
}

/** Per block: relative error of its output against the teacher's before and after training. */
export interface BlockReport {
  readonly layer: string;
  readonly kept: number;
  readonly dense: number;
  readonly learnedParams: number;
  readonly relativeErrorBefore: number;
  readonly relativeErrorAfter: number;
}

/** A derived variant, adapters fused. */
export interface DistilledVariant {
  readonly plan: PruningPlan;
  readonly spec: MovinetSpec;
  readonly config: { [key: string]: JsonValue };
  readonly tensors: Map<string, PlainTensor>;
  readonly learnedParams: number;
  readonly blocks: readonly BlockReport[];
  /** Mean training KL of the first and last ten end-to-end steps (null without that phase). */
  readonly endToEndKl: { readonly first: number; readonly last: number } | null;
  readonly seconds: number;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Prunes the dense network by `options.prune` with `options.criterion` and recovers it by
 * `options.adapter`: block by block over `set` (each block learning from the trained student's
 * features before it), then end to end on the teacher's logits. Progress goes to `log`.
 */
export function distillVariant(
  spec: MovinetSpec,
  denseConfig: { readonly [key: string]: JsonValue },
  dense: TensorMap,
  set: TrainingSet,
  options: VariantOptions,
  log: (line: string) => void = () => {},
): DistilledVariant {
  const start = performance.now();
  const plan = planPruning(
    spec,
    channelScores(spec, dense, options.criterion, set.innerStd),
    options.prune,
    options.criterion,
  );
  const config = pruneConfig(denseConfig, plan);
  const compactSpec = parseMovinetConfig(config);
  // Removed channels leave their mean behind in the project bias (mean-compensation.ts).
  const compact = compensateRemovedMeans(pruneTensors(dense, plan), dense, plan, set.innerMean);
  const rng = new SeededRandom(options.seed);
  const trainables = compactSpec.layers.map((l) =>
    createTrainable(l, compact, options.adapter, options.rank, rng, options.initRange),
  );
  const head = headWeights(compactSpec, compact);
  try {
    const blocks: BlockReport[] = [];
    let inputs: readonly tf.Tensor5D[] = set.features[0] ?? [];
    for (const [i, trainable] of trainables.entries()) {
      const layer = trainable.layer;
      const t0 = performance.now();
      const result = trainBlock(trainable, inputs, set.features[i + 1] ?? [], options.block, rng);
      blocks.push({
        layer: layer.name,
        kept: layer.expandChannels,
        dense: layer.denseExpandChannels,
        learnedParams: trainable.learnedParams,
        relativeErrorBefore: result.relativeErrorBefore,
        relativeErrorAfter: result.relativeErrorAfter,
      });
      log(
        `  ${layer.name}: ${layer.expandChannels}/${layer.denseExpandChannels} channels, ` +
          `relative error ${result.relativeErrorBefore.toFixed(4)} -> ${result.relativeErrorAfter.toFixed(4)} ` +
          `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
      // The next block learns from what this (trained) block gives, not from the teacher.
      const next = inputs.map((x) =>
        tf.tidy(() => bottleneckClip(layer, trainable.weights(), x, undefined, CPU_GRAD_OPS)),
      );
      if (i > 0) tf.dispose(inputs as tf.Tensor5D[]);
      inputs = next;
    }
    tf.dispose(inputs as tf.Tensor5D[]);
    const losses = trainEndToEnd(
      trainables,
      head,
      set.features[0] ?? [],
      set.teacherLogits,
      options.endToEnd,
      rng,
      log,
    );
    let tensors: Map<string, PlainTensor> = compact;
    for (const t of trainables) tensors = t.fused(tensors);
    return {
      plan,
      spec: compactSpec,
      config,
      tensors,
      learnedParams: trainables.reduce((n, t) => n + t.learnedParams, 0),
      blocks,
      endToEndKl:
        losses.length === 0
          ? null
          : { first: mean(losses.slice(0, 10)), last: mean(losses.slice(-10)) },
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    for (const t of trainables) t.dispose();
    disposeHeadWeights(head);
  }
}
