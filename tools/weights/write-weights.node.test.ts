import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeFloat16 } from '../../src/models/weights/float16';
import { loadWeights, type FetchLike } from '../../src/models/weights/load-weights';
import { WeightsError } from '../../src/models/weights/weights-error';
import { seededRandom } from '../../src/continual/testing';
import { writeWeights, type TensorToWrite, type WeightsMeta } from './write-weights';

const META: WeightsMeta = {
  id: 'round-trip',
  architecture: 'test-net',
  config: { stride: [1, 2], activation: 'relu6' },
  labels: ['a', 'b b', 'c'],
  source: { name: 'Test', description: 'random numbers', licence: 'Apache-2.0' },
};

function randomFloats(n: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => rand() * 4 - 2);
}

/** 3 float32 [1,3,3,2] (72 B) + int32 [3] (12 B) + float16 [5] (10 B, padded to 12) + [7,4] (112 B). */
function tensors(): TensorToWrite[] {
  return [
    { name: 'conv/kernel', shape: [1, 3, 3, 2], dtype: 'float32', data: randomFloats(18, 1) },
    { name: 'count', shape: [3], dtype: 'int32', data: Int32Array.from([-7, 0, 2 ** 31 - 1]) },
    { name: 'half', shape: [5], dtype: 'float16', data: encodeFloat16(randomFloats(5, 2)) },
    { name: 'dense/kernel', shape: [7, 4], dtype: 'float32', data: randomFloats(28, 3) },
  ];
}

/** A fetch that serves files of `root` for URLs under `/base`. */
function fileFetch(root: string): FetchLike {
  return async (url) => {
    const rel = url.replace(/^\/base\//, '');
    try {
      return new Response(await readFile(join(root, rel)));
    } catch {
      return new Response('not found', { status: 404 });
    }
  };
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weights-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeWeights + loadWeights', () => {
  it('round-trips float32 and int32 exactly and float16 within half precision', async () => {
    const input = tensors();
    const manifest = await writeWeights(dir, META, input, { maxShardBytes: 64 });
    // 72 + 12 + 12 + 112 = 208 bytes in shards of 64: 64, 64, 64, 16.
    expect(manifest.shards.map((s) => s.byteLength)).toEqual([64, 64, 64, 16]);
    expect(manifest.tensors.map((t) => [t.shard, t.offset, t.byteLength])).toEqual([
      [0, 0, 72], // runs into shard 1
      [1, 8, 12],
      [1, 20, 10],
      [1, 32, 112], // aligned to 4 after the 10-byte float16 tensor; runs to the last shard
    ]);

    const events: number[] = [];
    const w = await loadWeights('/base', {
      fetchImpl: fileFetch(dir),
      cache: false,
      onProgress: (l, t) => {
        expect(t).toBe(208);
        events.push(l);
      },
    });
    expect(events[events.length - 1]).toBe(208);
    expect(w.labels).toEqual(['a', 'b b', 'c']);
    expect(w.manifest.config).toEqual(META.config);
    expect(w.manifest.source).toEqual(META.source);
    expect(Array.from(w.take('conv/kernel', [1, 3, 3, 2]).data)).toEqual(
      Array.from(input[0]?.data ?? []),
    );
    expect(Array.from(w.take('count', [3]).data)).toEqual([-7, 0, 2 ** 31 - 1]);
    expect(Array.from(w.take('dense/kernel', [7, 4]).data)).toEqual(
      Array.from(input[3]?.data ?? []),
    );
    const half = w.take('half', [5]).data;
    const original = randomFloats(5, 2);
    for (let i = 0; i < 5; i++) {
      const v = original[i] ?? 0;
      // Values in [-2, 2) are normal halves: relative rounding error <= 2^-11.
      expect(Math.abs((half[i] ?? 0) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
      expect(half[i]).not.toBe(v); // it really went through float16
    }
    w.assertAllUsed();
  });

  it('writes shards whose sha256 and size match the manifest, and labels with LF', async () => {
    const manifest = await writeWeights(dir, META, tensors(), { maxShardBytes: 64 });
    for (const s of manifest.shards) {
      const bytes = await readFile(join(dir, s.file));
      expect(bytes.length).toBe(s.byteLength);
      expect(bytes.length).toBeLessThanOrEqual(64);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(s.sha256);
    }
    expect(await readFile(join(dir, 'labels.txt'), 'utf8')).toBe('a\nb b\nc\n');
    const onDisk = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(onDisk).toEqual(manifest);
    expect(onDisk.labels).toBe('labels.txt');
  });

  it('writes little-endian bytes at the manifest offsets', async () => {
    const one: TensorToWrite[] = [
      { name: 'x', shape: [2], dtype: 'float32', data: Float32Array.from([1, -2]) },
      { name: 'y', shape: [1], dtype: 'int32', data: Int32Array.from([0x01020304]) },
      { name: 'z', shape: [1], dtype: 'float16', data: Uint16Array.from([0x3c00]) },
    ];
    const { labels: _labels, ...noLabels } = META;
    const m = await writeWeights(dir, noLabels, one);
    expect(m.labels).toBeNull();
    expect(await readdir(dir)).toEqual(['manifest.json', 'shard-00.bin']);
    const bytes = await readFile(join(dir, 'shard-00.bin'));
    expect(Array.from(bytes)).toEqual([
      0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 4, 3, 2, 1, 0x00, 0x3c, 0, 0,
    ]);
  });

  it('is deterministic and removes stale shards of an earlier, larger write', async () => {
    await writeWeights(dir, META, tensors(), { maxShardBytes: 16 });
    expect((await readdir(dir)).filter((f) => f.endsWith('.bin'))).toHaveLength(13);
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    const m1 = await writeWeights(dir, META, tensors(), { maxShardBytes: 64 });
    const files1 = (await readdir(dir)).sort();
    expect(files1).toEqual([
      'labels.txt',
      'manifest.json',
      'notes.txt',
      'shard-00.bin',
      'shard-01.bin',
      'shard-02.bin',
      'shard-03.bin',
    ]);
    const bytes1 = await Promise.all(files1.map((f) => readFile(join(dir, f))));
    const m2 = await writeWeights(dir, META, tensors(), { maxShardBytes: 64 });
    const bytes2 = await Promise.all(files1.map((f) => readFile(join(dir, f))));
    expect(m2).toEqual(m1);
    bytes1.forEach((b, i) => expect(Buffer.compare(b, bytes2[i] as Buffer)).toBe(0));
  });

  it('detects a shard corrupted on disk when loading', async () => {
    const m = await writeWeights(dir, META, tensors(), { maxShardBytes: 64 });
    const file = join(dir, m.shards[2]?.file ?? '');
    const bytes = await readFile(file);
    bytes[10] = (bytes[10] ?? 0) ^ 0x40;
    await writeFile(file, bytes);
    const error = await loadWeights('/base', { fetchImpl: fileFetch(dir), cache: false }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WeightsError);
    expect((error as WeightsError).kind).toBe('hash-mismatch');
    expect((error as WeightsError).message).toContain('shard-02.bin');
  });

  it('detects a deleted shard when loading', async () => {
    await writeWeights(dir, META, tensors(), { maxShardBytes: 64 });
    await rm(join(dir, 'shard-01.bin'));
    const error = await loadWeights('/base', { fetchImpl: fileFetch(dir), cache: false }).catch(
      (e: unknown) => e,
    );
    expect((error as WeightsError).kind).toBe('missing-shard');
  });

  it('rejects bad input before writing anything', async () => {
    const bad = (t: Partial<TensorToWrite>): TensorToWrite[] => [
      { ...(tensors()[0] as TensorToWrite), ...t },
    ];
    await expect(writeWeights(dir, META, bad({ shape: [1, 3, 3, 3] }))).rejects.toThrow(
      'tensor "conv/kernel": 18 values for shape [1,3,3,3]',
    );
    await expect(writeWeights(dir, META, bad({ dtype: 'int32' }))).rejects.toThrow(
      'Float32Array is not int32 data',
    );
    await expect(writeWeights(dir, META, bad({ dtype: 'float16' }))).rejects.toThrow(
      'is not float16 data',
    );
    const nan = randomFloats(18, 1);
    nan[4] = Number.NaN;
    await expect(writeWeights(dir, META, bad({ data: nan }))).rejects.toThrow('non-finite');
    await expect(writeWeights(dir, META, tensors(), { maxShardBytes: 30 })).rejects.toThrow(
      'maxShardBytes must be a positive multiple of 4, got 30',
    );
    await expect(writeWeights(dir, { ...META, labels: ['a\nb'] }, tensors())).rejects.toThrow(
      'contains a line break',
    );
    await expect(writeWeights(dir, { ...META, id: 'Bad Id' }, tensors())).rejects.toThrow(
      /id "Bad Id"/,
    );
    await expect(
      writeWeights(dir, META, [...tensors(), tensors()[1] as TensorToWrite]),
    ).rejects.toThrow('tensor name "count" is used twice');
    expect(await readdir(dir)).toEqual([]);
  });
});
