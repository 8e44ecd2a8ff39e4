/**
 * Writes weights in the project's format (see src/models/weights/manifest.ts): tensors packed
 * in order, each 4-byte aligned, into little-endian shards of at most 4 MiB, plus manifest.json
 * with each shard's SHA-256. The output depends only on the inputs, so re-running a converter
 * reproduces the same bytes.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DTYPE_BYTES,
  MAX_SHARD_BYTES,
  WEIGHTS_FORMAT,
  WEIGHTS_VERSION,
  parseManifest,
  type JsonValue,
  type ShardEntry,
  type TensorEntry,
  type WeightsDtype,
  type WeightsManifest,
  type WeightsSource,
} from '../../src/models/weights/manifest';

/** A tensor to write; float16 data are raw half-precision bit patterns. */
export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: WeightsDtype;
  readonly data: Float32Array | Uint16Array | Int32Array;
}

/** Everything in the manifest except the tensor and shard tables. */
export interface WeightsMeta {
  readonly id: string;
  readonly architecture: string;
  readonly config: { readonly [key: string]: JsonValue };
  /** Labels, one per class; written as labels.txt (LF, final newline). */
  readonly labels?: readonly string[];
  readonly source: WeightsSource;
}

/** Options of {@link writeWeights}. */
export interface WriteWeightsOptions {
  /** Shard size limit in bytes (a multiple of 4); default 4 MiB. */
  readonly maxShardBytes?: number;
}

/** Name of the labels file the writer creates. */
export const LABELS_FILE = 'labels.txt';
const SHARD_FILE = /^shard-\d+\.bin$/;

/**
 * JSON with two-space indents like JSON.stringify(v, null, 2), but arrays of numbers, strings
 * and booleans on one line, so shapes and strides stay readable in the committed manifest.
 */
export function formatJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) {
      return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    }
    const inner = `${indent}  `;
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    const body = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`);
    return `{\n${body.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

function shardName(i: number): string {
  return `shard-${String(i).padStart(2, '0')}.bin`;
}

function checkTensor(t: TensorToWrite): void {
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== size) {
    throw new Error(`tensor "${t.name}": ${t.data.length} values for shape [${t.shape}]`);
  }
  const ok =
    (t.dtype === 'float32' && t.data instanceof Float32Array) ||
    (t.dtype === 'float16' && t.data instanceof Uint16Array) ||
    (t.dtype === 'int32' && t.data instanceof Int32Array);
  if (!ok) throw new Error(`tensor "${t.name}": ${t.data.constructor.name} is not ${t.dtype} data`);
  if (t.dtype === 'float32' && !(t.data as Float32Array).every(Number.isFinite)) {
    throw new Error(`tensor "${t.name}" has a non-finite value`);
  }
}

/** Little-endian bytes of a tensor, whatever the machine's byte order. */
function tensorBytes(t: TensorToWrite): Uint8Array {
  const bytes = new Uint8Array(t.data.length * DTYPE_BYTES[t.dtype]);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i] ?? 0;
    if (t.dtype === 'float32') view.setFloat32(4 * i, v, true);
    else if (t.dtype === 'int32') view.setInt32(4 * i, v, true);
    else view.setUint16(2 * i, v, true);
  }
  return bytes;
}

/**
 * Writes `tensors` into `dir` (created if needed) as shards + manifest.json (+ labels.txt).
 * Old shard files in `dir` are removed first so none is left over from a larger model.
 * Returns the manifest, already checked by the same validator the loader uses.
 */
export async function writeWeights(
  dir: string,
  meta: WeightsMeta,
  tensors: readonly TensorToWrite[],
  options: WriteWeightsOptions = {},
): Promise<WeightsManifest> {
  const maxShard = options.maxShardBytes ?? MAX_SHARD_BYTES;
  if (!Number.isInteger(maxShard) || maxShard <= 0 || maxShard % 4 !== 0) {
    throw new Error(`maxShardBytes must be a positive multiple of 4, got ${maxShard}`);
  }
  tensors.forEach(checkTensor);
  for (const l of meta.labels ?? []) {
    if (/[\r\n]/.test(l)) throw new Error(`label ${JSON.stringify(l)} contains a line break`);
  }

  // Lay the tensors out in one stream, 4-byte aligned; shards are then cuts of that stream.
  const placed: { t: TensorToWrite; start: number; bytes: Uint8Array }[] = [];
  let end = 0;
  for (const t of tensors) {
    const start = Math.ceil(end / 4) * 4;
    const bytes = tensorBytes(t);
    placed.push({ t, start, bytes });
    end = start + bytes.length;
  }
  const total = Math.ceil(end / 4) * 4;
  if (total === 0) throw new Error('no tensor data to write');
  const stream = new Uint8Array(total);
  for (const p of placed) stream.set(p.bytes, p.start);

  const shardCount = Math.ceil(total / maxShard);
  const shards: ShardEntry[] = [];
  const shardData: Uint8Array[] = [];
  for (let i = 0; i < shardCount; i++) {
    const data = stream.subarray(i * maxShard, Math.min(total, (i + 1) * maxShard));
    shardData.push(data);
    shards.push({
      file: shardName(i),
      byteLength: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    });
  }
  const entries: TensorEntry[] = placed.map(({ t, start, bytes }) => {
    // An empty tensor at the very end would start past the last shard; pin it to its start.
    const shard = Math.min(Math.floor(start / maxShard), shardCount - 1);
    return {
      name: t.name,
      shape: [...t.shape],
      dtype: t.dtype,
      shard,
      offset: start - shard * maxShard,
      byteLength: bytes.length,
    };
  });
  const manifest = parseManifest({
    format: WEIGHTS_FORMAT,
    version: WEIGHTS_VERSION,
    id: meta.id,
    architecture: meta.architecture,
    config: meta.config,
    labels: meta.labels === undefined ? null : LABELS_FILE,
    source: meta.source,
    tensors: entries,
    shards,
  });

  await mkdir(dir, { recursive: true });
  for (const f of await readdir(dir)) {
    if (SHARD_FILE.test(f)) await rm(join(dir, f));
  }
  for (let i = 0; i < shards.length; i++) {
    await writeFile(join(dir, shards[i]?.file ?? ''), shardData[i] ?? new Uint8Array(0));
  }
  if (meta.labels !== undefined) {
    await writeFile(join(dir, LABELS_FILE), meta.labels.map((l) => `${l}\n`).join(''));
  }
  await writeFile(join(dir, 'manifest.json'), `${formatJson(manifest)}\n`);
  return manifest;
}
