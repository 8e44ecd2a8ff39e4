/**
 * The weights format of this project: `manifest.json` plus binary shards, both under
 * `public/weights/<id>/`. Shards are little-endian and, read one after another, form one byte
 * stream; a tensor starts at `offset` inside shard `shard` (4-byte aligned) and may run on into
 * the following shards when it is larger than what is left of its shard (as in TF.js weight
 * groups; MoViNet's 2048x600 float32 classifier alone is 4.9 MB, more than one 4 MiB shard).
 */
import { WeightsError } from './weights-error';

/** The `format` string every manifest carries. */
export const WEIGHTS_FORMAT = 'continual-video-weights';
/** The manifest version this code reads and writes. */
export const WEIGHTS_VERSION = 1;
/** Largest shard the writer produces (4 MiB): small enough for per-file caching and progress. */
export const MAX_SHARD_BYTES = 4 * 1024 * 1024;

/** Element types a tensor can be stored as. */
export type WeightsDtype = 'float32' | 'float16' | 'int32';

/** Bytes per element of each stored dtype. */
export const DTYPE_BYTES: Readonly<Record<WeightsDtype, number>> = {
  float32: 4,
  float16: 2,
  int32: 4,
};

/** Any JSON value (the architecture-specific `config`). */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Where the weights come from; shown in the app's about box and required for attribution. */
export interface WeightsSource {
  /** Human-readable name of the original model, e.g. "MoViNet-A0-Stream (Kinetics-600)". */
  readonly name: string;
  /** Origin and conversion steps, in words (no URLs: the app must not link out by accident). */
  readonly description: string;
  /** SPDX licence identifier of the weights, e.g. "Apache-2.0". */
  readonly licence: string;
}

/** One tensor's place in the shards. */
export interface TensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: WeightsDtype;
  /** Index into `shards` of the shard where the tensor starts. */
  readonly shard: number;
  /** Byte offset inside that shard; a multiple of 4. */
  readonly offset: number;
  /** product(shape) * bytes per element. */
  readonly byteLength: number;
}

/** One binary shard file. */
export interface ShardEntry {
  /** File name relative to the manifest (no directories). */
  readonly file: string;
  readonly byteLength: number;
  /** Lower-case hex SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** A parsed, validated manifest.json. */
export interface WeightsManifest {
  readonly format: typeof WEIGHTS_FORMAT;
  readonly version: typeof WEIGHTS_VERSION;
  /** Model id; also the folder name under public/weights/. */
  readonly id: string;
  /** Which model builder understands these tensors, e.g. "movinet-a0-stream". */
  readonly architecture: string;
  /** Architecture-specific settings the model builder reads (strides, sizes, ...). */
  readonly config: { readonly [key: string]: JsonValue };
  /** File name of the labels (one per line), or null when the model has none. */
  readonly labels: string | null;
  readonly source: WeightsSource;
  readonly tensors: readonly TensorEntry[];
  readonly shards: readonly ShardEntry[];
}

// A file name without directories, so a manifest cannot point outside its folder.
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ID = /^[a-z0-9][a-z0-9._-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;
const DTYPES: readonly WeightsDtype[] = ['float32', 'float16', 'int32'];

function fail(message: string): never {
  throw new WeightsError('malformed-manifest', `The weights manifest is invalid: ${message}.`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (!isRecord(value)) fail(`${where} must be an object`);
  return value;
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(`${where} has an unknown field "${key}"`);
  }
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(`${where} must be a non-empty string`);
  return value;
}

function fileName(value: unknown, where: string): string {
  const name = text(value, where);
  if (!FILE_NAME.test(name)) fail(`${where} "${name}" must be a plain file name`);
  return name;
}

function count(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(`${where} must be a non-negative integer`);
  }
  return value;
}

function isJson(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1));
  if (isRecord(value)) return Object.values(value).every((v) => isJson(v, depth + 1));
  return false;
}

function parseSource(value: unknown): WeightsSource {
  const s = record(value, 'source');
  onlyKeys(s, ['name', 'description', 'licence'], 'source');
  const description = text(s['description'], 'source.description');
  if (/https?:\/\//i.test(description)) fail('source.description must not contain URLs');
  return {
    name: text(s['name'], 'source.name'),
    description,
    licence: text(s['licence'], 'source.licence'),
  };
}

function parseShard(value: unknown, i: number): ShardEntry {
  const where = `shards[${i}]`;
  const s = record(value, where);
  onlyKeys(s, ['file', 'byteLength', 'sha256'], where);
  const byteLength = count(s['byteLength'], `${where}.byteLength`);
  if (byteLength === 0) fail(`${where}.byteLength must be positive`);
  const sha256 = s['sha256'];
  if (typeof sha256 !== 'string' || !SHA256.test(sha256)) {
    fail(`${where}.sha256 must be 64 lower-case hex digits`);
  }
  return { file: fileName(s['file'], `${where}.file`), byteLength, sha256 };
}

function parseTensor(value: unknown, i: number, shards: readonly ShardEntry[]): TensorEntry {
  const s = record(value, `tensors[${i}]`);
  const name = text(s['name'], `tensors[${i}].name`);
  const where = `tensor "${name}"`;
  onlyKeys(s, ['name', 'shape', 'dtype', 'shard', 'offset', 'byteLength'], where);
  const rawShape = s['shape'];
  if (!Array.isArray(rawShape)) fail(`${where}: shape must be an array`);
  const shape = rawShape.map((d, k) => count(d, `${where}: shape[${k}]`));
  const dtype = s['dtype'];
  if (typeof dtype !== 'string' || !(DTYPES as readonly string[]).includes(dtype)) {
    fail(`${where}: unknown dtype ${JSON.stringify(dtype)} (expected ${DTYPES.join(', ')})`);
  }
  const shard = count(s['shard'], `${where}: shard`);
  if (shard >= shards.length) fail(`${where}: shard ${shard} does not exist`);
  const offset = count(s['offset'], `${where}: offset`);
  if (offset % 4 !== 0) fail(`${where}: offset ${offset} is not a multiple of 4`);
  const byteLength = count(s['byteLength'], `${where}: byteLength`);
  const expected = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype as WeightsDtype];
  if (byteLength !== expected) {
    fail(`${where}: byteLength ${byteLength} does not match shape [${shape}] of ${dtype}`);
  }
  return { name, shape, dtype: dtype as WeightsDtype, shard, offset, byteLength };
}

/** Byte position of each shard's start in the stream of all shards, plus the total at the end. */
export function shardStarts(shards: readonly ShardEntry[]): number[] {
  const starts = [0];
  for (const s of shards) starts.push((starts[starts.length - 1] ?? 0) + s.byteLength);
  return starts;
}

/** Checks that every tensor starts inside its shard, ends inside the data, and none overlap. */
function checkLayout(tensors: readonly TensorEntry[], shards: readonly ShardEntry[]): void {
  const starts = shardStarts(shards);
  const total = starts[shards.length] ?? 0;
  const ranges = tensors.map((t) => {
    const shardBytes = shards[t.shard]?.byteLength ?? 0;
    if (t.offset >= shardBytes && t.byteLength > 0) {
      fail(`tensor "${t.name}" starts at ${t.offset}, outside shard ${t.shard} (${shardBytes} B)`);
    }
    const start = (starts[t.shard] ?? 0) + t.offset;
    if (start + t.byteLength > total) {
      fail(
        `tensor "${t.name}" ends at byte ${start + t.byteLength}, past the shards' end ${total}`,
      );
    }
    return { name: t.name, start, end: start + t.byteLength };
  });
  ranges.sort((a, b) => a.start - b.start || a.end - b.end);
  // Sweep by start, keeping the range that reaches furthest: any later start before its end overlaps.
  let furthest: { name: string; end: number } | null = null;
  for (const r of ranges) {
    if (r.end === r.start) continue; // an empty tensor occupies no bytes
    if (furthest !== null && r.start < furthest.end) {
      fail(`tensors "${furthest.name}" and "${r.name}" overlap`);
    }
    if (furthest === null || r.end > furthest.end) furthest = { name: r.name, end: r.end };
  }
}

/**
 * Validates an untrusted manifest (parsed JSON) and returns it typed. Throws a WeightsError of
 * kind 'malformed-manifest' naming the first problem: wrong types, unknown fields or dtypes, a
 * byteLength that does not match the shape, duplicate tensor or shard names, a tensor outside
 * the shards, or two tensors that overlap.
 */
export function parseManifest(json: unknown): WeightsManifest {
  const m = record(json, 'the manifest');
  onlyKeys(
    m,
    ['format', 'version', 'id', 'architecture', 'config', 'labels', 'source', 'tensors', 'shards'],
    'the manifest',
  );
  if (m['format'] !== WEIGHTS_FORMAT) fail(`format must be "${WEIGHTS_FORMAT}"`);
  if (m['version'] !== WEIGHTS_VERSION) {
    fail(`version ${JSON.stringify(m['version'])} is not supported (expected ${WEIGHTS_VERSION})`);
  }
  const id = text(m['id'], 'id');
  if (!ID.test(id)) fail(`id "${id}" must be lower-case letters, digits, '.', '_' or '-'`);
  const architecture = text(m['architecture'], 'architecture');
  const config = record(m['config'], 'config');
  if (!isJson(config)) fail('config must hold only JSON values (finite numbers)');
  const labels = m['labels'] === null ? null : fileName(m['labels'], 'labels');
  const source = parseSource(m['source']);

  const rawShards = m['shards'];
  if (!Array.isArray(rawShards) || rawShards.length === 0) fail('shards must be a non-empty array');
  const shards = rawShards.map(parseShard);
  const files = new Set<string>();
  for (const s of shards) {
    if (files.has(s.file)) fail(`shard file "${s.file}" is listed twice`);
    files.add(s.file);
  }
  if (labels !== null && files.has(labels)) fail(`labels "${labels}" is also a shard`);

  const rawTensors = m['tensors'];
  if (!Array.isArray(rawTensors) || rawTensors.length === 0) {
    fail('tensors must be a non-empty array');
  }
  const tensors = rawTensors.map((t, i) => parseTensor(t, i, shards));
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) fail(`tensor name "${t.name}" is used twice`);
    names.add(t.name);
  }
  checkLayout(tensors, shards);
  return {
    format: WEIGHTS_FORMAT,
    version: WEIGHTS_VERSION,
    id,
    architecture,
    config: config as { readonly [key: string]: JsonValue },
    labels,
    source,
    tensors,
    shards,
  };
}
