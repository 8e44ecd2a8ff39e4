import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWeights, type FetchLike } from '../../src/models/weights/load-weights';
import { parseManifest } from '../../src/models/weights/manifest';
import { DEFAULT_MODEL, DEFAULT_OUT, REPO_ROOT, convertMovinet } from './convert-movinet';
import { formatTflite } from './inspect-tflite';
import { readTflite } from './read-tflite';

const COMMITTED = DEFAULT_OUT;

function fileFetch(root: string): FetchLike {
  return async (url) => {
    try {
      return new Response(await readFile(join(root, url.replace(/^\/w\//, ''))));
    } catch {
      return new Response('not found', { status: 404 });
    }
  };
}

describe('committed public/weights/movinet-a0-stream', () => {
  it('has shards whose sizes and sha256 match its manifest, each at most 4 MiB', async () => {
    const manifest = parseManifest(
      JSON.parse(await readFile(join(COMMITTED, 'manifest.json'), 'utf8')),
    );
    expect(manifest.id).toBe('movinet-a0-stream');
    expect(manifest.architecture).toBe('movinet-a0-stream');
    expect(manifest.shards).toHaveLength(3);
    for (const s of manifest.shards) {
      const bytes = await readFile(join(COMMITTED, s.file));
      expect(bytes.length).toBe(s.byteLength);
      expect(bytes.length).toBeLessThanOrEqual(4 * 1024 * 1024);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(s.sha256);
    }
    // 2,724,304 float32 parameters; every tensor is a multiple of 4 bytes, so no padding.
    expect(manifest.shards.reduce((a, s) => a + s.byteLength, 0)).toBe(2_724_304 * 4);
  });

  it('loads with the browser loader: 143 float32 tensors and 600 labels', async () => {
    const w = await loadWeights('/w', { fetchImpl: fileFetch(COMMITTED), cache: false });
    expect(w.tensors.size).toBe(143);
    expect([...w.tensors.values()].every((t) => t.dtype === 'float32')).toBe(true);
    expect(w.labels).toHaveLength(600);
    expect(w.labels?.[0]).toBe('abseiling');
    expect(w.labels?.[11]).toBe('arm wrestling');
    expect(w.take('head/classifier/logits/kernel', [2048, 600]).data).toHaveLength(1_228_800);
    expect(w.manifest.source.licence).toBe('Apache-2.0');
  });
});

const present = existsSync(DEFAULT_MODEL);

// The shared model lives outside the repository (../shared/models/movinet-a0-stream/).
describe.skipIf(!present)('convert-movinet (skipped if the model file is absent)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'movinet-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reproduces the committed files byte for byte', async () => {
    const out = join(dir, 'movinet-a0-stream');
    const result = await convertMovinet({ out });
    expect(result.graph.accounting.weight).toBe(143);
    const files = (await readdir(out)).sort();
    expect(files).toEqual([
      'labels.txt',
      'manifest.json',
      'shard-00.bin',
      'shard-01.bin',
      'shard-02.bin',
    ]);
    for (const f of files) {
      const mine = await readFile(join(out, f));
      const committed = await readFile(join(COMMITTED, f));
      expect(Buffer.compare(mine, committed), f).toBe(0);
    }
    // The labels are copied unchanged.
    const labels = await readFile(join(out, 'labels.txt'));
    expect(createHash('sha256').update(labels).digest('hex')).toBe(
      '8dfca4202520ea8291ce0242ef33b006d0a0772b409663c090a2876bc1978dcf',
    );
  });

  it('writes float16 weights from the command line, equal to float32 within half precision', async () => {
    const out = join(dir, 'movinet-a0-stream-f16');
    const cli = resolve(REPO_ROOT, 'tools/tflite/convert-movinet.ts');
    const { stdout } = await promisify(execFile)('npx', ['tsx', cli, '--float16', '--out', out], {
      cwd: REPO_ROOT,
    });
    expect(stdout).toContain('143 tensors, 2724304 parameters');
    expect(stdout).toContain(
      '143 weights (each used once), 38 structural, 2 metadata; 227 ops visited',
    );
    const half = await loadWeights('/w', { fetchImpl: fileFetch(out), cache: false });
    const full = await loadWeights('/w', { fetchImpl: fileFetch(COMMITTED), cache: false });
    expect(half.manifest.id).toBe('movinet-a0-stream-f16');
    const bytes = half.manifest.shards.reduce((a, s) => a + s.byteLength, 0);
    expect(bytes).toBeLessThan(2_724_304 * 2 + 143 * 2 + 4); // at most 2 bytes of padding each
    let worst = 0;
    for (const [name, t] of full.tensors) {
      const h = half.tensors.get(name);
      expect(h?.dtype).toBe('float16');
      expect(h?.shape).toEqual(t.shape);
      t.data.forEach((v, i) => {
        // float16 keeps 11 significant bits: relative error <= 2^-11 above 2^-14, else 2^-25.
        const err = Math.abs((h?.data[i] ?? Infinity) - v);
        const tol = Math.abs(v) >= 2 ** -14 ? Math.abs(v) * 2 ** -11 : 2 ** -25;
        if (err > tol) worst = Math.max(worst, err / tol);
      });
    }
    expect(worst).toBe(0);
  });

  it('inspect-tflite reproduces the committed graph listing', async () => {
    const text = formatTflite(
      readTflite(new Uint8Array(await readFile(DEFAULT_MODEL))),
      'movinet_a0_stream_int8.tflite',
    );
    expect(text).toBe(await readFile(join(REPO_ROOT, 'tools/tflite/movinet-a0-graph.txt'), 'utf8'));
    expect(text.length).toBeLessThan(200_000);
    expect(text).toContain('ops: RESHAPE 74, CONV_2D 38, DEPTHWISE_CONV_2D 26, ADD 17, MUL 16');
  });
});
