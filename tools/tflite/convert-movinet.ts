/**
 * Converts the int8 MoViNet-A0-Stream TFLite model into this project's weights format:
 *
 *   npx tsx tools/tflite/convert-movinet.ts [--float16] [--out public/weights/movinet-a0-stream]
 *       [--model <file.tflite>] [--labels <labels.txt>]
 *
 * Weights are dequantized to float32 (or float16 with --float16), named by their place in the
 * network (see movinet-graph.ts) and written with the labels copied in. The output is
 * byte-for-byte reproducible.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodeFloat16 } from '../../src/models/weights/float16';
import type { WeightsManifest } from '../../src/models/weights/manifest';
import { writeWeights, type TensorToWrite } from '../weights/write-weights';
import { convertMovinetGraph, type MovinetGraph } from './movinet-graph';
import { readTflite } from './read-tflite';

/** The repository root (two levels above this file). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where the shared, read-only model files live, relative to the repository root. */
export const SHARED_MODEL_DIR = resolve(REPO_ROOT, '../shared/models/movinet-a0-stream');
/** The model file the converter expects by default. */
export const DEFAULT_MODEL = resolve(SHARED_MODEL_DIR, 'movinet_a0_stream_int8.tflite');
/** Its labels (Kinetics-600, one per line). */
export const DEFAULT_LABELS = resolve(SHARED_MODEL_DIR, 'kinetics600_labels.txt');
/** Default output folder. */
export const DEFAULT_OUT = resolve(REPO_ROOT, 'public/weights/movinet-a0-stream');
/** SHA-256 of the model file this converter was written against (see SOURCE.md). */
export const EXPECTED_MODEL_SHA256 =
  '6125b36e2485eeb5cc1fd6206cf5e5d70235593fbc84610d1dce97fe3aa9c2ac';

/** Options of {@link convertMovinet}. */
export interface ConvertOptions {
  readonly model?: string;
  readonly labels?: string;
  readonly out?: string;
  readonly float16?: boolean;
}

/** What {@link convertMovinet} wrote and measured. */
export interface ConvertResult {
  readonly manifest: WeightsManifest;
  readonly graph: MovinetGraph;
  readonly out: string;
  readonly modelSha256: string;
}

/** Converts the model and writes the weights folder. */
export async function convertMovinet(options: ConvertOptions = {}): Promise<ConvertResult> {
  const modelPath = options.model ?? DEFAULT_MODEL;
  const out = options.out ?? DEFAULT_OUT;
  const bytes = new Uint8Array(await readFile(modelPath));
  const modelSha256 = createHash('sha256').update(bytes).digest('hex');
  const graph = convertMovinetGraph(readTflite(bytes));
  const labelsText = await readFile(options.labels ?? DEFAULT_LABELS, 'utf8');
  const labels = labelsText.split('\n');
  if (labels[labels.length - 1] === '') labels.pop();
  const classes = graph.config['numClasses'];
  if (labels.length !== classes) throw new Error(`${labels.length} labels for ${classes} classes`);

  const dtype = options.float16 === true ? 'float16' : 'float32';
  const tensors: TensorToWrite[] = graph.weights.map((w) => ({
    name: w.name,
    shape: w.shape,
    dtype,
    data: dtype === 'float16' ? encodeFloat16(w.data) : w.data,
  }));
  const manifest = await writeWeights(
    out,
    {
      id: basename(out),
      architecture: 'movinet-a0-stream',
      config: {
        ...graph.config,
        conversion: {
          sourceFile: basename(modelPath),
          sourceSha256: modelSha256,
          weightsDtype: dtype,
          dequantization:
            'int8 per-channel symmetric weights: w = scale[c] * (q - zero_point[c]); int32 biases: b = scale[c] * q',
        },
      },
      labels,
      source: {
        name: 'MoViNet-A0-Stream, Kinetics-600 (The TensorFlow Authors)',
        description:
          `TensorFlow Hub model movinet/a0/stream/kinetics-600/classification/tflite/int8/1 ` +
          `(file ${basename(modelPath)}, sha256 ${modelSha256}, as committed to GitHub ` +
          `tensorflow/flutter-tflite in pull request 165), with its Kinetics-600 label map. ` +
          `Modified: tools/tflite/convert-movinet.ts dequantized the int8 weights to ${dtype} ` +
          `and renamed and re-laid them out for this project.`,
        licence: 'Apache-2.0',
      },
    },
    tensors,
  );
  return { manifest, graph, out, modelSha256 };
}

function parseArgs(argv: readonly string[]): ConvertOptions {
  const options: { -readonly [K in keyof ConvertOptions]: ConvertOptions[K] } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return resolve(v);
    };
    if (arg === '--float16') options.float16 = true;
    else if (arg === '--out') options.out = value();
    else if (arg === '--model') options.model = value();
    else if (arg === '--labels') options.labels = value();
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

async function main(): Promise<void> {
  const result = await convertMovinet(parseArgs(process.argv.slice(2)));
  const { manifest, graph } = result;
  if (result.modelSha256 !== EXPECTED_MODEL_SHA256) {
    console.warn(`warning: model sha256 ${result.modelSha256} differs from the documented file`);
  }
  const params = graph.weights.reduce((a, w) => a + w.data.length, 0);
  const bytes = manifest.shards.reduce((a, s) => a + s.byteLength, 0);
  const a = graph.accounting;
  console.log(`wrote ${result.out}`);
  console.log(`  ${manifest.tensors.length} tensors, ${params} parameters, ${bytes} bytes`);
  console.log(`  shards: ${manifest.shards.map((s) => `${s.file} ${s.byteLength} B`).join(', ')}`);
  console.log(
    `  buffers: ${a.weight} weights (each used once), ${a.structure} structural, ${a.metadata} metadata; ${a.operators} ops visited`,
  );
  console.log(
    `  max bias-scale relative error: ${graph.checks.maxBiasScaleRelError.toExponential(2)}`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
