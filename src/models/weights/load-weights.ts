/**
 * Loads converted weights (manifest.json + shards) in the browser or in Node 20+: fetches the
 * manifest, streams every shard with progress, checks each shard's SHA-256 before any tensor
 * is created, and keeps verified shards in Cache Storage so a second visit needs no download.
 * It either returns every tensor or throws a WeightsError: never half-loaded weights.
 */
import { decodeFloat16 } from './float16';
import {
  parseManifest,
  shardStarts,
  type ShardEntry,
  type WeightsDtype,
  type WeightsManifest,
} from './manifest';
import { WeightsError } from './weights-error';

/** Name of the Cache Storage cache holding verified shards (bump on a format change). */
export const WEIGHTS_CACHE_NAME = 'continual-video-weights-v1';

/** The part of the Fetch API the loader uses (so tests can serve files from memory or disk). */
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

/** The part of a Cache the loader uses. */
export interface CacheLike {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
  delete(url: string): Promise<boolean>;
}

/** The part of CacheStorage the loader uses. */
export interface CacheStorageLike {
  open(name: string): Promise<CacheLike>;
}

/** Options of {@link loadWeights}. */
export interface LoadWeightsOptions {
  /** Called after every received chunk with bytes of shards so far; never decreases. */
  onProgress?: (loadedBytes: number, totalBytes: number) => void;
  /** Set to false to neither read nor write Cache Storage. Default: use it when available. */
  cache?: boolean;
  /** Replaces globalThis.fetch. */
  fetchImpl?: FetchLike;
  /** Replaces globalThis.caches (tests; environments with their own cache). */
  cacheStorage?: CacheStorageLike;
}

/** A decoded tensor: plain typed array, float16 already widened to float32. */
export interface WeightTensor {
  readonly shape: readonly number[];
  /** The dtype as stored in the shards. */
  readonly dtype: WeightsDtype;
  readonly data: Float32Array | Int32Array;
}

/** Everything a model builder needs from a weights folder. */
export interface LoadedWeights {
  readonly manifest: WeightsManifest;
  readonly tensors: ReadonlyMap<string, WeightTensor>;
  /** Labels, one per class, or null when the manifest names no labels file. */
  readonly labels: readonly string[] | null;
  /**
   * The tensor called `name`, checked against `expectedShape`. Each tensor can be taken once,
   * so a builder that takes everything and then calls {@link assertAllUsed} has used each
   * tensor exactly once.
   */
  take(name: string, expectedShape: readonly number[]): WeightTensor;
  /** Throws listing the tensors nobody took. */
  assertAllUsed(): void;
}

function joinUrl(base: string, file: string): string {
  return `${base.replace(/\/+$/, '')}/${file}`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function request(fetchImpl: FetchLike, url: string, signal?: AbortSignal): Promise<Response> {
  try {
    return await fetchImpl(url, signal === undefined ? {} : { signal });
  } catch (e) {
    throw new WeightsError(
      'network',
      `Could not download ${url} (${errorText(e)}). Check your connection and reload the page.`,
      { cause: e },
    );
  }
}

function statusError(url: string, response: Response, what: 'manifest' | 'file'): WeightsError {
  if (response.status === 404) {
    return what === 'manifest'
      ? new WeightsError(
          'missing-manifest',
          `No model weights found at ${url}. Convert the model first (see the README) or check its id.`,
        )
      : new WeightsError(
          'missing-shard',
          `The weights file ${url} is missing on the server. Re-run the converter and redeploy.`,
        );
  }
  return new WeightsError(
    'network',
    `The server answered ${response.status} for ${url}. Try again later.`,
  );
}

/** Hex SHA-256 of `bytes` with WebCrypto (available in browsers' secure contexts and Node 20). */
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    throw new WeightsError(
      'unsupported',
      'This page cannot verify downloads (crypto.subtle is missing). Open it over https or localhost.',
    );
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Reads a response body into exactly `expected` bytes, calling `onBytes` per chunk. */
async function readBody(
  response: Response,
  expected: number,
  url: string,
  onBytes: (received: number) => void,
): Promise<Uint8Array> {
  const out = new Uint8Array(expected);
  let received = 0;
  const tooLong = () =>
    new WeightsError(
      'hash-mismatch',
      `The weights file ${url} is larger than the manifest says (${expected} bytes); it is corrupt or stale. Reload, or re-run the converter.`,
    );
  try {
    if (response.body === null) {
      const all = new Uint8Array(await response.arrayBuffer());
      if (all.length > expected) throw tooLong();
      out.set(all);
      received = all.length;
      onBytes(received);
    } else {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (received + value.length > expected) {
          await reader.cancel().catch(() => undefined);
          throw tooLong();
        }
        out.set(value, received);
        received += value.length;
        onBytes(received);
      }
    }
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(
      'network',
      `The download of ${url} broke off (${errorText(e)}). Check your connection and reload.`,
      { cause: e },
    );
  }
  if (received !== expected) {
    throw new WeightsError(
      'hash-mismatch',
      `The weights file ${url} has ${received} bytes but the manifest expects ${expected}; it is corrupt or stale. Reload, or re-run the converter.`,
    );
  }
  return out;
}

async function openCache(options: LoadWeightsOptions): Promise<CacheLike | null> {
  if (options.cache === false) return null;
  const storage =
    options.cacheStorage ??
    (globalThis as { caches?: CacheStorageLike }).caches ??
    (null as CacheStorageLike | null);
  if (storage === null) return null;
  try {
    return await storage.open(WEIGHTS_CACHE_NAME);
  } catch {
    return null; // e.g. private browsing: load without the cache rather than fail
  }
}

/** Verified bytes of one shard, from the cache when it holds a good copy, else the network. */
async function loadShard(
  shard: ShardEntry,
  url: string,
  fetchImpl: FetchLike,
  cache: CacheLike | null,
  signal: AbortSignal,
  onBytes: (received: number) => void,
): Promise<Uint8Array> {
  if (cache !== null) {
    const hit = await cache.match(url).catch(() => undefined);
    if (hit !== undefined) {
      const bytes = new Uint8Array(await hit.arrayBuffer().catch(() => new ArrayBuffer(0)));
      if (bytes.length === shard.byteLength && (await sha256Hex(bytes)) === shard.sha256) {
        onBytes(bytes.length);
        return bytes;
      }
      // A stale or damaged copy: drop it and download once more.
      await cache.delete(url).catch(() => false);
    }
  }
  const response = await request(fetchImpl, url, signal);
  if (!response.ok) throw statusError(url, response, 'file');
  const bytes = await readBody(response, shard.byteLength, url, onBytes);
  const actual = await sha256Hex(bytes);
  if (actual !== shard.sha256) {
    throw new WeightsError(
      'hash-mismatch',
      `The weights file ${url} is corrupt or stale (its SHA-256 does not match the manifest). Reload, or re-run the converter.`,
    );
  }
  if (cache !== null) {
    const copy = new Response(bytes.slice().buffer, {
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    await cache.put(url, copy).catch(() => undefined); // a full quota must not fail the load
  }
  return bytes;
}

async function loadManifest(fetchImpl: FetchLike, url: string): Promise<WeightsManifest> {
  const response = await request(fetchImpl, url);
  if (!response.ok) throw statusError(url, response, 'manifest');
  let json: unknown;
  try {
    json = JSON.parse(await response.text());
  } catch (e) {
    throw new WeightsError(
      'malformed-manifest',
      `The weights manifest ${url} is not valid JSON. Re-run the converter.`,
      { cause: e },
    );
  }
  return parseManifest(json);
}

async function loadLabels(fetchImpl: FetchLike, url: string): Promise<string[]> {
  const response = await request(fetchImpl, url);
  if (!response.ok) {
    if (response.status === 404) {
      throw new WeightsError(
        'missing-shard',
        `The labels file ${url} is missing on the server. Re-run the converter and redeploy.`,
      );
    }
    throw statusError(url, response, 'file');
  }
  const lines = (await response.text()).split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop(); // the file ends with a newline
  return lines;
}

/** Decodes one tensor from the concatenated shards. */
function decodeTensor(
  all: Uint8Array,
  start: number,
  byteLength: number,
  dtype: WeightsDtype,
): Float32Array | Int32Array {
  const view = new DataView(all.buffer, all.byteOffset + start, byteLength);
  switch (dtype) {
    case 'float32': {
      const out = new Float32Array(byteLength / 4);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(byteLength / 4);
      for (let i = 0; i < out.length; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
    case 'float16': {
      const bits = new Uint16Array(byteLength / 2);
      for (let i = 0; i < bits.length; i++) bits[i] = view.getUint16(2 * i, true);
      return decodeFloat16(bits);
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function makeLoaded(
  manifest: WeightsManifest,
  tensors: Map<string, WeightTensor>,
  labels: readonly string[] | null,
): LoadedWeights {
  const taken = new Set<string>();
  return {
    manifest,
    tensors,
    labels,
    take(name, expectedShape) {
      const t = tensors.get(name);
      if (t === undefined) throw new Error(`weights of ${manifest.id} have no tensor "${name}"`);
      if (taken.has(name)) throw new Error(`tensor "${name}" of ${manifest.id} was taken twice`);
      if (!sameShape(t.shape, expectedShape)) {
        throw new Error(
          `tensor "${name}" of ${manifest.id} has shape [${t.shape}], expected [${expectedShape}]`,
        );
      }
      taken.add(name);
      return t;
    },
    assertAllUsed() {
      const unused = [...tensors.keys()].filter((n) => !taken.has(n));
      if (unused.length > 0) {
        throw new Error(`weights of ${manifest.id} have unused tensors: ${unused.join(', ')}`);
      }
    },
  };
}

/**
 * Loads the weights at `baseUrl` (the folder holding manifest.json). Shards are downloaded in
 * parallel; the first failure aborts the others. Throws a WeightsError whose message can be
 * shown to the user.
 */
export async function loadWeights(
  baseUrl: string,
  options: LoadWeightsOptions = {},
): Promise<LoadedWeights> {
  const fetchImpl: FetchLike =
    options.fetchImpl ?? ((url, init) => globalThis.fetch(url, init as RequestInit));
  const manifest = await loadManifest(fetchImpl, joinUrl(baseUrl, 'manifest.json'));
  const starts = shardStarts(manifest.shards);
  const total = starts[manifest.shards.length] ?? 0;

  // Progress per shard is the most ever received for it, so a refetch never moves the bar back.
  const perShard = manifest.shards.map(() => 0);
  let reported = 0;
  const report = (i: number, received: number) => {
    perShard[i] = Math.max(perShard[i] ?? 0, received);
    const loaded = perShard.reduce((a, b) => a + b, 0);
    if (loaded > reported) {
      reported = loaded;
      options.onProgress?.(loaded, total);
    }
  };
  options.onProgress?.(0, total);

  const cache = await openCache(options);
  const abort = new AbortController();
  let shardBytes: Uint8Array[];
  try {
    shardBytes = await Promise.all(
      manifest.shards.map((s, i) =>
        loadShard(s, joinUrl(baseUrl, s.file), fetchImpl, cache, abort.signal, (n) => report(i, n)),
      ),
    );
  } catch (e) {
    abort.abort();
    throw e;
  }
  const labels =
    manifest.labels === null
      ? null
      : await loadLabels(fetchImpl, joinUrl(baseUrl, manifest.labels));

  // Only now, with every shard verified, are tensors created.
  const all = new Uint8Array(total);
  shardBytes.forEach((bytes, i) => all.set(bytes, starts[i] ?? 0));
  const tensors = new Map<string, WeightTensor>();
  for (const t of manifest.tensors) {
    const start = (starts[t.shard] ?? 0) + t.offset;
    tensors.set(t.name, {
      shape: t.shape,
      dtype: t.dtype,
      data: decodeTensor(all, start, t.byteLength, t.dtype),
    });
  }
  return makeLoaded(manifest, tensors, labels);
}
