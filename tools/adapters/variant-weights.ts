/**
 * Writes a pruned (and adapted) MoViNet variant in the project's weight format
 * (tools/weights/write-weights.ts): the compact tensors in the builder's order, stored as
 * float16 (halving the download; the loader widens them to float32), the labels, the model's
 * licence and the training data's credits, and a manifest whose config is the pruned config
 * (per-layer kept channels, floatOnly) plus a `variant` block describing how it was made.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue, WeightsManifest } from '../../src/models/weights/manifest';
import type { MovinetSpec } from '../../src/models/movinet/movinet-config';
import { decodeFloat16, encodeFloat16 } from '../../src/models/weights/float16';
import {
  movinetTensorSlots,
  type PlainTensor,
  type TensorMap,
} from '../../src/models/adapters/movinet-tensors';
import type { AdapterKind } from './block-distill';
import { writeWeights, type TensorToWrite } from '../weights/write-weights';

/** Registry id of a variant, e.g. movinet-a0-stream-p50-splora16, -p30-ft, -p70 (pruned only). */
export function variantId(base: string, prune: number, adapter: AdapterKind, rank: number): string {
  const p = `p${Math.round(prune * 100)}`;
  const suffix = adapter === 'splora' ? `-splora${rank}` : adapter === 'finetune' ? '-ft' : '';
  return `${base}-${p}${suffix}`;
}

/** Display name of a variant, e.g. "MoViNet-A0-Stream, 50 % pruned + SPLoRA r16". */
export function variantDisplayName(prune: number, adapter: AdapterKind, rank: number): string {
  const how =
    adapter === 'splora'
      ? ` + SPLoRA r${rank}`
      : adapter === 'finetune'
        ? ' + fine-tuned'
        : ' (no recovery)';
  return `MoViNet-A0-Stream, ${Math.round(prune * 100)} % pruned${how}`;
}

/** The tensors as they will be stored: every value rounded to float16 and back. */
export function roundToFloat16(tensors: TensorMap): Map<string, PlainTensor> {
  const out = new Map<string, PlainTensor>();
  for (const [name, t] of tensors)
    out.set(name, { shape: t.shape, data: decodeFloat16(encodeFloat16(t.data)) });
  return out;
}

/** Files copied next to the weights: the model's licence, and the training clips' licences. */
export interface VariantFiles {
  /** The dense model's LICENSE. */
  readonly modelLicence: string;
  /** Licence texts of the training clips' sources, copied under their own names. */
  readonly dataLicences: readonly string[];
  /** Text of TRAINING-DATA.txt: where the distillation clips come from. */
  readonly dataCredits: string;
}

/**
 * Writes the variant to `dir`: shards + manifest.json + labels.txt (write-weights.ts), LICENSE,
 * the data licences and TRAINING-DATA.txt. Returns the manifest.
 */
export async function writeVariant(
  dir: string,
  id: string,
  spec: MovinetSpec,
  config: { readonly [key: string]: JsonValue },
  tensors: TensorMap,
  labels: readonly string[],
  sourceDescription: string,
  files: VariantFiles | null,
): Promise<WeightsManifest> {
  const toWrite: TensorToWrite[] = movinetTensorSlots(spec).map(({ name, shape }) => {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`variant ${id} has no tensor "${name}"`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(
        `variant ${id}: tensor "${name}" is [${t.shape}], the config needs [${shape}]`,
      );
    }
    return { name, shape, dtype: 'float16', data: encodeFloat16(t.data) };
  });
  if (toWrite.length !== tensors.size) {
    throw new Error(
      `variant ${id} has ${tensors.size - toWrite.length} tensors the config does not use`,
    );
  }
  await mkdir(dir, { recursive: true });
  const manifest = await writeWeights(
    dir,
    {
      id,
      architecture: 'movinet-a0-stream',
      config,
      labels,
      source: {
        name: 'MoViNet-A0-Stream, Kinetics-600 (The TensorFlow Authors), channel-pruned variant',
        description: sourceDescription,
        licence: 'Apache-2.0',
      },
    },
    toWrite,
  );
  if (files !== null) {
    // Read and write rather than copy: the sources are read-only, the copies must not be.
    await writeFile(join(dir, 'LICENSE'), await readFile(files.modelLicence));
    for (const f of files.dataLicences) {
      await writeFile(join(dir, f.split('/').at(-1) ?? f), await readFile(f));
    }
    await writeFile(join(dir, 'TRAINING-DATA.txt'), files.dataCredits);
  }
  return manifest;
}
