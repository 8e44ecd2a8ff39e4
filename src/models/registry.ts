import * as tf from '@tensorflow/tfjs-core';
import type { ActionModel } from './action-model';
import { ContinualActionModel } from './continual-action-model';
import { buildMovinetA0 } from './movinet/movinet-a0';
import { parseMovinetConfig } from './movinet/movinet-config';
import { parseVariantInfo } from './adapters/variant-info';
import { loadCoX3dModel } from './x3d/cox3d-registry';
import { loadSlowFastModel } from './slowfast/slowfast-model';
import { loadWeights, type LoadWeightsOptions } from './weights/load-weights';

/** Loading progress: weight bytes, then kernel warm-up steps. */
export interface ModelProgress {
  readonly phase: 'weights' | 'warmup';
  readonly loaded: number;
  readonly total: number;
}

/** Options of {@link createModel}. */
export interface CreateModelOptions {
  /** Base URL of the weights folders (default: `<page base>/weights`). */
  readonly weightsBaseUrl?: string;
  /** A variant id (dense by default); see the adapters work. */
  readonly variant?: string;
  /** Progress while weights load and kernels warm up. */
  readonly onProgress?: (progress: ModelProgress) => void;
  /** Passed to the weights loader (fetch replacement, cache switch). */
  readonly loader?: Omit<LoadWeightsOptions, 'onProgress'>;
  /** Warm-up steps run (and discarded) before the model is returned; default 2. */
  readonly warmupSteps?: number;
}

export { DEFAULT_MODEL_ID, MODEL_ENTRIES, type ModelEntry } from './model-entries';
import { DENSE_VARIANT, MODEL_ENTRIES, type ModelVariantEntry } from './model-entries';

function defaultWeightsBase(): string {
  const base = (import.meta as { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/';
  return `${base.replace(/\/+$/, '')}/weights`;
}

/**
 * Creates a model by registry id with its weights loaded, checked and warmed up.
 * Throws a WeightsError for weights problems and an Error for an unknown id.
 */
export async function createModel(
  id: string,
  options: CreateModelOptions = {},
): Promise<ActionModel> {
  const base = options.weightsBaseUrl ?? defaultWeightsBase();
  switch (id) {
    case 'movinet-a0-stream': {
      const variant = findVariant(id, options.variant);
      const folder = variant === null ? id : `${id}-${variant.id}`;
      const weights = await loadWeights(`${base.replace(/\/+$/, '')}/${folder}`, {
        ...options.loader,
        onProgress: (loaded, total) => options.onProgress?.({ phase: 'weights', loaded, total }),
      });
      const spec = parseMovinetConfig(weights.manifest.config);
      const labels = weights.labels;
      if (labels === null || labels.length !== spec.numClasses) {
        throw new Error(`${id}: expected ${spec.numClasses} labels with the weights.`);
      }
      const variantInfo = parseVariantInfo(weights.manifest.config);
      if (variant !== null && variantInfo?.baseModel !== id) {
        throw new Error(`${folder}: its manifest does not describe a variant of ${id}.`);
      }
      const network = buildMovinetA0(spec, weights);
      const [height, width, channels] = spec.frameShape;
      const model = new ContinualActionModel(
        {
          id,
          displayName:
            variant === null ? 'MoViNet-A0-Stream' : `MoViNet-A0-Stream, ${variant.displayName}`,
          labels,
          input: { height, width, channels },
          frameRate: spec.fps,
          clipLength: 8,
          twinLength: 8,
          trained: true,
          params: [...weights.tensors.values()].reduce((n, t) => n + t.data.length, 0),
          description:
            variant === null
              ? 'MoViNet-A0-Stream trained on Kinetics-600 (TensorFlow Authors, Apache-2.0), converted from its int8 TFLite export and run on our continual engine: the body in float32, the head (and its running mean over frames) on the int8 grids of the original, which keeps the original model’s scores.'
              : `MoViNet-A0-Stream (Kinetics-600, TensorFlow Authors, Apache-2.0), ${variant.displayName}: inner channels pruned, accuracy recovered by distillation from the dense model, run in float32.`,
          ...(variantInfo !== null && variant !== null ? { variant: variantInfo } : {}),
        },
        network,
      );
      warmUp(model, options);
      return model;
    }
    case 'cox3d-xs':
    case 'cox3d-s':
    case 'cox3d-m':
    case 'cox3d-l': {
      findVariant(id, options.variant); // none exist: throws for anything but dense
      // Seeded weights: only the Kinetics-400 labels are downloaded.
      const model = await loadCoX3dModel(id, base, options.loader?.fetchImpl);
      warmUp(model, options);
      return model;
    }
    case 'coslow-small':
    case 'coslowfast-small': {
      findVariant(id, options.variant); // none exist: throws for anything but dense
      // Seeded weights too: only the Kinetics-400 labels are downloaded.
      const model = await loadSlowFastModel(id, base, options.loader?.fetchImpl);
      warmUp(model, options);
      return model;
    }
    default:
      throw new Error(
        `Unknown model "${id}". Known models: ${MODEL_ENTRIES.map((m) => m.id).join(', ')}.`,
      );
  }
}

/**
 * The variant `variant` of model `id`: null for the dense model (no variant, or 'dense');
 * throws a sentence naming the variants there are for an unknown one.
 */
function findVariant(id: string, variant: string | undefined): ModelVariantEntry | null {
  if (variant === undefined || variant === DENSE_VARIANT) return null;
  const variants = MODEL_ENTRIES.find((m) => m.id === id)?.variants ?? [];
  const found = variants.find((v) => v.id === variant);
  if (found === undefined) {
    const known = [DENSE_VARIANT, ...variants.map((v) => v.id)].join(', ');
    throw new Error(`${id} has no variant "${variant}". Its variants: ${known}.`);
  }
  return found;
}

/** Runs a few steps on a blank frame so shaders compile / kernels load before the first real frame. */
function warmUp(model: ActionModel, options: CreateModelOptions): void {
  const steps = options.warmupSteps ?? 2;
  const { height, width, channels } = model.info.input;
  for (let i = 0; i < steps; i++) {
    const blank = tf.zeros([1, height, width, channels]) as tf.Tensor4D;
    const logits = model.step(blank);
    logits?.dataSync();
    tf.dispose([blank, logits ?? []]);
    options.onProgress?.({ phase: 'warmup', loaded: i + 1, total: steps });
  }
  model.resetState();
}
