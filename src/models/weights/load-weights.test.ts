import { describe, expect, it } from 'vitest';
import { float32ToFloat16Bits } from './float16';
import {
  WEIGHTS_CACHE_NAME,
  loadWeights,
  type CacheLike,
  type CacheStorageLike,
  type FetchLike,
} from './load-weights';
import { WeightsError, type WeightsErrorKind } from './weights-error';

const BASE = '/weights/tiny';

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Files of a tiny model: 'w' float32 [2,3] = 0.5*i - 1, 'h' float16 [4] = [1, -2, 0.5, 65504],
 * 'n' int32 [5] = [-2, -1, 0, 1, 2^31-1]. Stream of 64 bytes cut into shards of 40 and 24
 * bytes, so 'n' (bytes 36..56) spans both shards.
 */
async function tinyFiles(): Promise<Map<string, Uint8Array | string>> {
  const stream = new Uint8Array(64);
  const view = new DataView(stream.buffer);
  for (let i = 0; i < 6; i++) view.setFloat32(4 * i, 0.5 * i - 1, true);
  [1, -2, 0.5, 65504].forEach((v, i) => view.setUint16(24 + 2 * i, float32ToFloat16Bits(v), true));
  [-2, -1, 0, 1, 2 ** 31 - 1].forEach((v, i) => view.setInt32(36 + 4 * i, v, true));
  const s0 = stream.slice(0, 40);
  const s1 = stream.slice(40);
  const manifest = {
    format: 'continual-video-weights',
    version: 1,
    id: 'tiny',
    architecture: 'tiny',
    config: { layers: 1 },
    labels: 'labels.txt',
    source: { name: 'Tiny', description: 'test data', licence: 'Apache-2.0' },
    tensors: [
      { name: 'w', shape: [2, 3], dtype: 'float32', shard: 0, offset: 0, byteLength: 24 },
      { name: 'h', shape: [4], dtype: 'float16', shard: 0, offset: 24, byteLength: 8 },
      { name: 'n', shape: [5], dtype: 'int32', shard: 0, offset: 36, byteLength: 20 },
    ],
    shards: [
      { file: 'shard-00.bin', byteLength: 40, sha256: await sha256(s0) },
      { file: 'shard-01.bin', byteLength: 24, sha256: await sha256(s1) },
    ],
  };
  return new Map<string, Uint8Array | string>([
    [`${BASE}/manifest.json`, JSON.stringify(manifest)],
    [`${BASE}/shard-00.bin`, s0],
    [`${BASE}/shard-01.bin`, s1],
    [`${BASE}/labels.txt`, 'walking\r\nrunning\n'],
  ]);
}

/** A fetch over in-memory files that streams bodies in `chunk`-byte pieces and logs requests. */
function memoryFetch(files: Map<string, Uint8Array | string>, chunk = 7) {
  const requests: string[] = [];
  const fetchImpl: FetchLike = async (url) => {
    requests.push(url);
    const body = files.get(url);
    if (body === undefined) return new Response('not found', { status: 404 });
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    let pos = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pos >= bytes.length) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.slice(pos, pos + chunk));
        pos += chunk;
      },
    });
    return new Response(stream, { status: 200 });
  };
  return { fetchImpl, requests };
}

/** A Cache Storage in memory, recording which cache names were opened. */
function memoryCaches() {
  const entries = new Map<string, Uint8Array>();
  const opened: string[] = [];
  const cache: CacheLike = {
    async match(url) {
      const b = entries.get(url);
      return b === undefined ? undefined : new Response(b.slice());
    },
    async put(url, response) {
      entries.set(url, new Uint8Array(await response.arrayBuffer()));
    },
    async delete(url) {
      return entries.delete(url);
    },
  };
  const storage: CacheStorageLike = {
    async open(name) {
      opened.push(name);
      return cache;
    },
  };
  return { storage, entries, opened };
}

async function expectWeightsError(
  promise: Promise<unknown>,
  kind: WeightsErrorKind,
  message: RegExp,
): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeightsError);
  expect((error as WeightsError).kind).toBe(kind);
  expect((error as WeightsError).message).toMatch(message);
}

describe('loadWeights', () => {
  it('loads and decodes every tensor, including one spanning two shards', async () => {
    const { fetchImpl } = memoryFetch(await tinyFiles());
    const w = await loadWeights(BASE, { fetchImpl, cache: false });
    expect(w.manifest.id).toBe('tiny');
    expect(w.labels).toEqual(['walking', 'running']);
    const t = w.take('w', [2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(Array.from(t.data)).toEqual([-1, -0.5, 0, 0.5, 1, 1.5]);
    const h = w.take('h', [4]);
    expect(h.dtype).toBe('float16');
    expect(h.data).toBeInstanceOf(Float32Array); // float16 is widened
    expect(Array.from(h.data)).toEqual([1, -2, 0.5, 65504]);
    const n = w.take('n', [5]);
    expect(n.data).toBeInstanceOf(Int32Array);
    expect(Array.from(n.data)).toEqual([-2, -1, 0, 1, 2 ** 31 - 1]);
    expect(() => w.assertAllUsed()).not.toThrow();
  });

  it('accepts a base URL with a trailing slash', async () => {
    const { fetchImpl, requests } = memoryFetch(await tinyFiles());
    await loadWeights(`${BASE}/`, { fetchImpl, cache: false });
    expect(requests).toContain(`${BASE}/manifest.json`);
    expect(requests).toContain(`${BASE}/shard-01.bin`);
  });

  it('reports progress per chunk, monotone, from 0 to the total', async () => {
    const { fetchImpl } = memoryFetch(await tinyFiles(), 5);
    const events: [number, number][] = [];
    await loadWeights(BASE, { fetchImpl, cache: false, onProgress: (l, t) => events.push([l, t]) });
    expect(events[0]).toEqual([0, 64]);
    expect(events[events.length - 1]).toEqual([64, 64]);
    // 40 bytes in 5-byte chunks + 24 bytes in 5-byte chunks = 8 + 5 chunks, plus the first event.
    expect(events).toHaveLength(14);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]?.[0]).toBeGreaterThan(events[i - 1]?.[0] ?? Infinity);
      expect(events[i]?.[1]).toBe(64);
    }
  });

  it('checks shapes in take, and that each tensor is taken once', async () => {
    const { fetchImpl } = memoryFetch(await tinyFiles());
    const w = await loadWeights(BASE, { fetchImpl, cache: false });
    expect(() => w.take('w', [3, 2])).toThrow('tensor "w" of tiny has shape [2,3], expected [3,2]');
    expect(() => w.take('w', [2, 3, 1])).toThrow(/expected \[2,3,1\]/);
    expect(() => w.take('nope', [1])).toThrow('weights of tiny have no tensor "nope"');
    w.take('w', [2, 3]);
    expect(() => w.take('w', [2, 3])).toThrow('tensor "w" of tiny was taken twice');
    expect(() => w.assertAllUsed()).toThrow('weights of tiny have unused tensors: h, n');
    w.take('n', [5]);
    expect(() => w.assertAllUsed()).toThrow(/unused tensors: h$/);
  });

  it('fails with hash-mismatch on a corrupt shard', async () => {
    const files = await tinyFiles();
    const bad = (files.get(`${BASE}/shard-01.bin`) as Uint8Array).slice();
    bad[3] = (bad[3] ?? 0) ^ 1;
    files.set(`${BASE}/shard-01.bin`, bad);
    const { fetchImpl } = memoryFetch(files);
    await expectWeightsError(
      loadWeights(BASE, { fetchImpl, cache: false }),
      'hash-mismatch',
      /shard-01\.bin is corrupt or stale/,
    );
  });

  it('fails with hash-mismatch when the manifest carries a wrong hash', async () => {
    const files = await tinyFiles();
    const m = JSON.parse(files.get(`${BASE}/manifest.json`) as string);
    m.shards[0].sha256 = '0'.repeat(64);
    files.set(`${BASE}/manifest.json`, JSON.stringify(m));
    const { fetchImpl } = memoryFetch(files);
    await expectWeightsError(
      loadWeights(BASE, { fetchImpl, cache: false }),
      'hash-mismatch',
      /shard-00\.bin is corrupt/,
    );
  });

  it('fails with hash-mismatch when a shard is shorter or longer than the manifest says', async () => {
    for (const len of [39, 41]) {
      const files = await tinyFiles();
      const s0 = files.get(`${BASE}/shard-00.bin`) as Uint8Array;
      const changed = new Uint8Array(len);
      changed.set(s0.subarray(0, Math.min(len, 40)));
      files.set(`${BASE}/shard-00.bin`, changed);
      const { fetchImpl } = memoryFetch(files);
      await expectWeightsError(
        loadWeights(BASE, { fetchImpl, cache: false }),
        'hash-mismatch',
        len < 40 ? /has 39 bytes but the manifest expects 40/ : /larger than the manifest says/,
      );
    }
  });

  it('fails with missing-shard, missing-manifest and malformed-manifest', async () => {
    const noShard = await tinyFiles();
    noShard.delete(`${BASE}/shard-01.bin`);
    await expectWeightsError(
      loadWeights(BASE, { fetchImpl: memoryFetch(noShard).fetchImpl, cache: false }),
      'missing-shard',
      /\/weights\/tiny\/shard-01\.bin is missing/,
    );
    const noLabels = await tinyFiles();
    noLabels.delete(`${BASE}/labels.txt`);
    await expectWeightsError(
      loadWeights(BASE, { fetchImpl: memoryFetch(noLabels).fetchImpl, cache: false }),
      'missing-shard',
      /labels file \/weights\/tiny\/labels\.txt is missing/,
    );
    await expectWeightsError(
      loadWeights('/weights/none', { fetchImpl: memoryFetch(noShard).fetchImpl, cache: false }),
      'missing-manifest',
      /No model weights found at \/weights\/none\/manifest\.json/,
    );
    const notJson = await tinyFiles();
    notJson.set(`${BASE}/manifest.json`, '{"format": ');
    await expectWeightsError(
      loadWeights(BASE, { fetchImpl: memoryFetch(notJson).fetchImpl, cache: false }),
      'malformed-manifest',
      /is not valid JSON/,
    );
    const badDtype = await tinyFiles();
    badDtype.set(
      `${BASE}/manifest.json`,
      (badDtype.get(`${BASE}/manifest.json`) as string).replace('"int32"', '"int64"'),
    );
    await expectWeightsError(
      loadWeights(BASE, { fetchImpl: memoryFetch(badDtype).fetchImpl, cache: false }),
      'malformed-manifest',
      /unknown dtype "int64"/,
    );
  });

  it('fails with network on a rejected fetch or a server error', async () => {
    const offline: FetchLike = () => Promise.reject(new TypeError('Failed to fetch'));
    await expectWeightsError(
      loadWeights(BASE, { fetchImpl: offline, cache: false }),
      'network',
      /Could not download \/weights\/tiny\/manifest\.json \(Failed to fetch\)/,
    );
    const files = await tinyFiles();
    const { fetchImpl } = memoryFetch(files);
    const flaky: FetchLike = (url, init) =>
      url.endsWith('shard-00.bin')
        ? Promise.resolve(new Response('busy', { status: 503 }))
        : fetchImpl(url, init);
    await expectWeightsError(
      loadWeights(BASE, { fetchImpl: flaky, cache: false }),
      'network',
      /answered 503 for \/weights\/tiny\/shard-00\.bin/,
    );
  });

  it('stores verified shards in the cache and loads them from it on the next visit', async () => {
    const files = await tinyFiles();
    const caches = memoryCaches();
    const first = memoryFetch(files);
    await loadWeights(BASE, { fetchImpl: first.fetchImpl, cacheStorage: caches.storage });
    expect(caches.opened).toEqual([WEIGHTS_CACHE_NAME]);
    expect([...caches.entries.keys()].sort()).toEqual([
      `${BASE}/shard-00.bin`,
      `${BASE}/shard-01.bin`,
    ]);

    const second = memoryFetch(files);
    const events: number[] = [];
    const w = await loadWeights(BASE, {
      fetchImpl: second.fetchImpl,
      cacheStorage: caches.storage,
      onProgress: (l) => events.push(l),
    });
    expect(second.requests).toEqual([`${BASE}/manifest.json`, `${BASE}/labels.txt`]);
    expect(events[events.length - 1]).toBe(64);
    expect(Array.from(w.take('n', [5]).data)).toEqual([-2, -1, 0, 1, 2 ** 31 - 1]);
  });

  it('evicts a damaged cached shard and downloads it once more', async () => {
    const files = await tinyFiles();
    const caches = memoryCaches();
    await loadWeights(BASE, {
      fetchImpl: memoryFetch(files).fetchImpl,
      cacheStorage: caches.storage,
    });
    const cached = caches.entries.get(`${BASE}/shard-00.bin`) as Uint8Array;
    cached[0] = (cached[0] ?? 0) ^ 0xff;

    const again = memoryFetch(files);
    const w = await loadWeights(BASE, { fetchImpl: again.fetchImpl, cacheStorage: caches.storage });
    expect(again.requests.filter((u) => u.endsWith('.bin'))).toEqual([`${BASE}/shard-00.bin`]);
    expect(Array.from(w.take('w', [2, 3]).data)).toEqual([-1, -0.5, 0, 0.5, 1, 1.5]);
    // The cache now holds the good copy again.
    expect(await sha256(caches.entries.get(`${BASE}/shard-00.bin`) as Uint8Array)).toBe(
      await sha256(files.get(`${BASE}/shard-00.bin`) as Uint8Array),
    );
  });

  it('fails when the refetched shard is still bad, and never caches bad bytes', async () => {
    const files = await tinyFiles();
    const caches = memoryCaches();
    caches.entries.set(`${BASE}/shard-00.bin`, new Uint8Array(40)); // stale copy
    const bad = (files.get(`${BASE}/shard-00.bin`) as Uint8Array).slice();
    bad[0] = (bad[0] ?? 0) ^ 1;
    files.set(`${BASE}/shard-00.bin`, bad);
    await expectWeightsError(
      loadWeights(BASE, { fetchImpl: memoryFetch(files).fetchImpl, cacheStorage: caches.storage }),
      'hash-mismatch',
      /shard-00\.bin is corrupt or stale/,
    );
    expect(caches.entries.has(`${BASE}/shard-00.bin`)).toBe(false);
  });

  it('does not touch the cache when cache is false', async () => {
    const caches = memoryCaches();
    await loadWeights(BASE, {
      fetchImpl: memoryFetch(await tinyFiles()).fetchImpl,
      cache: false,
      cacheStorage: caches.storage,
    });
    expect(caches.opened).toEqual([]);
    expect(caches.entries.size).toBe(0);
  });

  // Node has no Cache Storage; in chromium this checks the loader against the real API.
  it.skipIf(typeof globalThis.caches === 'undefined')(
    'works with the browser Cache Storage (chromium only)',
    async () => {
      const files = await tinyFiles();
      const urls = [`${BASE}/shard-00.bin`, `${BASE}/shard-01.bin`];
      const cache = await caches.open(WEIGHTS_CACHE_NAME);
      try {
        await loadWeights(BASE, { fetchImpl: memoryFetch(files).fetchImpl });
        const stored = await Promise.all(urls.map((u) => cache.match(u)));
        expect(stored.every((r) => r !== undefined)).toBe(true);
        const second = memoryFetch(files);
        const w = await loadWeights(BASE, { fetchImpl: second.fetchImpl });
        expect(second.requests.filter((u) => u.endsWith('.bin'))).toEqual([]);
        expect(Array.from(w.take('h', [4]).data)).toEqual([1, -2, 0.5, 65504]);
      } finally {
        await Promise.all(urls.map((u) => cache.delete(u)));
      }
    },
  );

  it('loads without the cache when opening it fails', async () => {
    const broken: CacheStorageLike = { open: () => Promise.reject(new Error('SecurityError')) };
    const w = await loadWeights(BASE, {
      fetchImpl: memoryFetch(await tinyFiles()).fetchImpl,
      cacheStorage: broken,
    });
    expect(w.tensors.size).toBe(3);
  });
});
