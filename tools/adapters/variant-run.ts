/**
 * One variant from end to end, shared by distill.ts (one variant) and variants.ts (the table):
 * load the dense weights, draw the training set, distil, round to float16 as stored, evaluate
 * against the dense float teacher on the held-out clips, and describe it for the manifest and
 * the report.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CoSequential } from '../../src/continual/sequential';
import { buildMovinetA0 } from '../../src/models/movinet/movinet-a0';
import { parseMovinetConfig, type MovinetSpec } from '../../src/models/movinet/movinet-config';
import { loadWeights } from '../../src/models/weights/load-weights';
import type { JsonValue } from '../../src/models/weights/manifest';
import {
  countParams,
  tensorsOf,
  weightsFromTensors,
  type PlainTensor,
} from '../../src/models/adapters/movinet-tensors';
import type { ExtractedFrames } from '../reference/extract-frames';
import {
  clipFrames,
  EVALUATION_CLIPS,
  HELD_OUT_LABELLED_CLIPS,
  HELD_OUT_TRAIN_CLIPS,
  TRAINING_CLIPS,
  trainingFrames,
} from './clips';
import {
  distillVariant,
  makeTrainingSet,
  type TrainingSet,
  type TrainingSetOptions,
  type VariantOptions,
} from './distill-pipeline';
import { agreement, streamLogits, type Agreement } from './evaluate';
import { roundToFloat16, variantDisplayName, variantId } from './variant-weights';

/** Repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The dense weights folder. */
export const DENSE_DIR = join(ROOT, 'public/weights/movinet-a0-stream');
/** The dense model's id. */
export const DENSE_ID = 'movinet-a0-stream';

/** Everything the variants share: the dense model, the training set, the evaluation. */
export interface RunContext {
  readonly spec: MovinetSpec;
  readonly config: { readonly [key: string]: JsonValue };
  readonly dense: Map<string, PlainTensor>;
  readonly labels: readonly string[];
  readonly set: TrainingSet;
  readonly evalFrames: readonly ExtractedFrames[];
  /** The dense float teacher's per-frame logits of each evaluation clip. */
  readonly teacher: readonly (readonly Float32Array[])[];
  /** The dense network's row (float mode, and how its int8 default agrees with it). */
  readonly denseRow: VariantRow;
  dispose(): void;
}

/** One row of the report. */
export interface VariantRow {
  readonly id: string;
  readonly displayName: string;
  readonly prune: number;
  readonly criterion: string | null;
  readonly adapter: string;
  readonly rank: number | null;
  readonly params: number;
  readonly learnedParams: number;
  /** Multiply-adds and element-wise ops per streaming step at 172x172 (network.flopsPerStep). */
  readonly macsPerStep: number;
  readonly elementwisePerStep: number;
  /** Against the dense float teacher, all held-out frames. */
  readonly top1Agreement: number;
  readonly meanKl: number;
  readonly perClip: Readonly<Record<string, Agreement>>;
  /** Mean ms per streaming step, cpu backend in Node, over all evaluation frames. */
  readonly msPerStep: number;
  /**
   * Median ms per streaming step on TF.js's WASM backend (Node, SIMD, one thread), measured by
   * time-variants.ts per prune ratio: every variant of one ratio has the same shapes.
   */
  readonly wasmMsPerStep?: number;
  readonly trainSeconds: number;
  /**
   * The training budget of this row (absent for the dense row): rows compared with each other
   * (one prune ratio) share it.
   */
  readonly training?: {
    readonly clips: number;
    readonly frames: number;
    readonly size: number;
    readonly blockSteps: number;
    readonly learningRate: number;
  };
}

function log(line: string): void {
  console.error(line);
}

/** Loads the dense model, draws the training set and streams the teacher over the held-out clips. */
export async function createContext(setOptions: TrainingSetOptions): Promise<RunContext> {
  await tf.setBackend('cpu');
  const weights = await loadWeights('/dense', {
    cache: false,
    fetchImpl: async (url) =>
      new Response(await readFile(join(DENSE_DIR, url.slice('/dense/'.length)))),
  });
  const spec = parseMovinetConfig(weights.manifest.config);
  const dense = tensorsOf(weights);
  const network = buildMovinetA0(
    spec,
    weightsFromTensors(DENSE_ID, weights.manifest.config, dense),
    {
      quantization: 'float',
    },
  ) as CoSequential;
  log(
    `decoding ${TRAINING_CLIPS.length} training clips and ${EVALUATION_CLIPS.length} held-out clips ...`,
  );
  const videos = await trainingFrames();
  const evalFrames = await Promise.all(EVALUATION_CLIPS.map((c) => clipFrames(c)));
  let t0 = performance.now();
  const set = makeTrainingSet(spec, dense, network, videos, setOptions);
  log(
    `training set: ${setOptions.clips} clips of ${setOptions.frames} frames at ${setOptions.size}x${setOptions.size}, ` +
      `teacher features in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  t0 = performance.now();
  const streamed = evalFrames.map((f) => streamLogits(network, f));
  const teacher = streamed.map((s) => s.logits);
  const frames = evalFrames.reduce((n, f) => n + f.shape[0], 0);
  const int8 = buildMovinetA0(spec, weightsFromTensors(DENSE_ID, weights.manifest.config, dense), {
    quantization: 'int8-activations',
  });
  const int8Logits = evalFrames.map((f) => streamLogits(int8, f).logits);
  int8.dispose();
  const input = { height: 172, width: 172, channels: 3 };
  const flops = network.flopsPerStep(input);
  const denseRow: VariantRow = {
    id: DENSE_ID,
    displayName:
      'MoViNet-A0-Stream (dense, float; int8-emulating default in the agreement columns)',
    prune: 0,
    criterion: null,
    adapter: 'dense',
    rank: null,
    params: countParams(dense),
    learnedParams: 0,
    macsPerStep: flops.macs,
    elementwisePerStep: flops.elementwise,
    // The int8-emulating default against the float teacher: the floor any float variant starts from.
    ...agreementColumns(teacher, int8Logits),
    msPerStep: streamed.reduce((n, s) => n + s.msPerStep * s.logits.length, 0) / frames,
    trainSeconds: 0,
  };
  log(`teacher on ${frames} held-out frames in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  network.dispose();
  return {
    spec,
    config: weights.manifest.config,
    dense,
    labels: weights.labels ?? [],
    set,
    evalFrames,
    teacher,
    denseRow,
    dispose: () => set.dispose(),
  };
}

function agreementColumns(
  teacher: readonly (readonly Float32Array[])[],
  student: readonly (readonly Float32Array[])[],
): Pick<VariantRow, 'top1Agreement' | 'meanKl' | 'perClip'> {
  const all = agreement(teacher, student);
  const perClip: Record<string, Agreement> = {};
  EVALUATION_CLIPS.forEach((c, i) => {
    perClip[c] = agreement([teacher[i] ?? []], [student[i] ?? []]);
  });
  return { top1Agreement: all.top1, meanKl: all.meanKl, perClip };
}

/** A distilled variant, rounded as stored, with its report row and manifest config. */
export interface VariantResult {
  readonly row: VariantRow;
  readonly spec: MovinetSpec;
  readonly config: { [key: string]: JsonValue };
  /** Rounded to float16, as the shipped files hold them. */
  readonly tensors: Map<string, PlainTensor>;
}

/** Distils and evaluates one variant. */
export function runVariant(ctx: RunContext, options: VariantOptions): VariantResult {
  const id = variantId(DENSE_ID, options.prune, options.adapter, options.rank);
  const displayName = variantDisplayName(options.prune, options.adapter, options.rank);
  log(`${id}: distilling (${options.adapter}) ...`);
  const v = distillVariant(ctx.spec, ctx.config, ctx.dense, ctx.set, options, log);
  const tensors = roundToFloat16(v.tensors);
  const network = buildMovinetA0(v.spec, weightsFromTensors(id, v.config, tensors));
  const streamed = ctx.evalFrames.map((f) => streamLogits(network, f));
  const frames = streamed.reduce((n, s) => n + s.logits.length, 0);
  const flops = network.flopsPerStep({ height: 172, width: 172, channels: 3 });
  network.dispose();
  const rank = options.adapter === 'splora' ? options.rank : null;
  const row: VariantRow = {
    id,
    displayName,
    prune: options.prune,
    criterion: options.criterion,
    adapter: options.adapter,
    rank,
    params: countParams(tensors),
    learnedParams: v.learnedParams,
    macsPerStep: flops.macs,
    elementwisePerStep: flops.elementwise,
    ...agreementColumns(
      ctx.teacher,
      streamed.map((s) => s.logits),
    ),
    msPerStep: streamed.reduce((n, s) => n + s.msPerStep * s.logits.length, 0) / frames,
    trainSeconds: Math.round(v.seconds),
    training: {
      clips: ctx.set.options.clips,
      frames: ctx.set.options.frames,
      size: ctx.set.options.size,
      blockSteps: options.block.steps,
      learningRate: options.block.learningRate,
    },
  };
  log(
    `${id}: top-1 agreement ${(100 * row.top1Agreement).toFixed(1)} %, mean KL ${row.meanKl.toFixed(4)}, ` +
      `${(row.macsPerStep / 1e6).toFixed(1)} M MACs/step, ${row.msPerStep.toFixed(1)} ms/step, trained in ${row.trainSeconds} s`,
  );
  const config: { [key: string]: JsonValue } = {
    ...v.config,
    variant: {
      baseModel: DENSE_ID,
      displayName,
      pruneRatio: options.prune,
      criterion: options.criterion,
      keptChannels: Object.fromEntries(v.plan.layers.map((l) => [l.layer, l.kept.length])),
      adapter: options.adapter,
      rank,
      learnedParams: v.learnedParams,
      params: row.params,
      seed: options.seed,
      teacher: `${DENSE_ID}, float mode`,
      trainingClips: TRAINING_CLIPS.map((c) => `train/${c}`),
      heldOutClips: [...HELD_OUT_TRAIN_CLIPS.map((c) => `train/${c}`), ...HELD_OUT_LABELLED_CLIPS],
      training: {
        clips: ctx.set.options.clips,
        frames: ctx.set.options.frames,
        size: ctx.set.options.size,
        dataSeed: ctx.set.options.seed,
        augmentation:
          'random window at 1x or 2x speed (frame skipping), square crop 60-100 %, horizontal flip, bilinear resize',
        blockLocal: { ...options.block },
        endToEnd: { ...options.endToEnd, loss: 'mean per-frame KL(teacher || student)' },
        seconds: row.trainSeconds,
      },
      evaluation: {
        top1Agreement: row.top1Agreement,
        meanKl: row.meanKl,
        frames,
        against: `${DENSE_ID}, float mode, streamed at 172x172, 5 fps`,
      },
      weightsDtype: 'float16',
    },
  };
  return { row, spec: v.spec, config, tensors };
}
