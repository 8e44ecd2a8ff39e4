import { describe, expect, it } from 'vitest';
import { DTYPE_BYTES, parseManifest, shardStarts } from './manifest';
import { WeightsError } from './weights-error';

const SHA = 'a'.repeat(64);

/** A valid manifest: two shards of 64 and 32 bytes, three tensors, one spanning both shards. */
function valid(): Record<string, unknown> {
  return {
    format: 'continual-video-weights',
    version: 1,
    id: 'tiny-net',
    architecture: 'tiny',
    config: { depth: 2, sizes: [3, 4], nested: { ok: true, none: null } },
    labels: 'labels.txt',
    source: { name: 'Tiny', description: 'made for a test', licence: 'Apache-2.0' },
    tensors: [
      { name: 'a/kernel', shape: [2, 3], dtype: 'float32', shard: 0, offset: 0, byteLength: 24 },
      { name: 'a/bias', shape: [3], dtype: 'float16', shard: 0, offset: 24, byteLength: 6 },
      // Starts at byte 32 of shard 0 and runs 12 bytes into shard 1.
      { name: 'b/kernel', shape: [11], dtype: 'int32', shard: 0, offset: 32, byteLength: 44 },
    ],
    shards: [
      { file: 'shard-00.bin', byteLength: 64, sha256: SHA },
      { file: 'shard-01.bin', byteLength: 32, sha256: SHA.replace(/a/g, 'b') },
    ],
  };
}

type Edit = (m: Record<string, unknown>) => void;

function tensor(m: Record<string, unknown>, i: number): Record<string, unknown> {
  return (m['tensors'] as Record<string, unknown>[])[i] as Record<string, unknown>;
}

function shard(m: Record<string, unknown>, i: number): Record<string, unknown> {
  return (m['shards'] as Record<string, unknown>[])[i] as Record<string, unknown>;
}

function rejects(edit: Edit, message: RegExp): void {
  const m = valid();
  edit(m);
  let error: unknown;
  try {
    parseManifest(m);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(WeightsError);
  expect((error as WeightsError).kind).toBe('malformed-manifest');
  expect((error as WeightsError).message).toMatch(message);
}

describe('parseManifest', () => {
  it('accepts a valid manifest and returns its fields unchanged', () => {
    const m = parseManifest(valid());
    expect(m.id).toBe('tiny-net');
    expect(m.labels).toBe('labels.txt');
    expect(m.config).toEqual({ depth: 2, sizes: [3, 4], nested: { ok: true, none: null } });
    expect(m.tensors.map((t) => t.name)).toEqual(['a/kernel', 'a/bias', 'b/kernel']);
    expect(m.tensors[2]).toEqual({
      name: 'b/kernel',
      shape: [11],
      dtype: 'int32',
      shard: 0,
      offset: 32,
      byteLength: 44,
    });
    expect(m.shards.map((s) => s.byteLength)).toEqual([64, 32]);
  });

  it('accepts labels null, a scalar tensor and an empty tensor', () => {
    const m = valid();
    m['labels'] = null;
    (m['tensors'] as unknown[]).push(
      { name: 'scalar', shape: [], dtype: 'float32', shard: 1, offset: 12, byteLength: 4 },
      { name: 'empty', shape: [0, 5], dtype: 'float32', shard: 1, offset: 16, byteLength: 0 },
    );
    const parsed = parseManifest(m);
    expect(parsed.labels).toBeNull();
    expect(parsed.tensors).toHaveLength(5);
  });

  it('accepts a tensor that ends exactly at the last byte', () => {
    const m = valid();
    (m['tensors'] as unknown[]).push({
      name: 'tail',
      shape: [5],
      dtype: 'float32',
      shard: 1,
      offset: 12,
      byteLength: 20,
    });
    expect(parseManifest(m).tensors).toHaveLength(4);
  });

  it('rejects values that are not manifests', () => {
    for (const bad of [null, 3, 'x', [], undefined]) {
      expect(() => parseManifest(bad)).toThrow(/manifest must be an object/);
    }
  });

  it('rejects a wrong format, version, id or architecture', () => {
    rejects((m) => (m['format'] = 'tfjs-graph-model'), /format must be "continual-video-weights"/);
    rejects((m) => (m['version'] = 2), /version 2 is not supported/);
    rejects((m) => (m['version'] = '1'), /version "1" is not supported/);
    rejects((m) => (m['id'] = 'Tiny Net'), /id "Tiny Net" must be/);
    rejects((m) => (m['id'] = ''), /id must be a non-empty string/);
    rejects((m) => delete m['architecture'], /architecture must be a non-empty string/);
  });

  it('rejects unknown fields at every level', () => {
    rejects((m) => (m['extra'] = 1), /the manifest has an unknown field "extra"/);
    rejects((m) => (tensor(m, 0)['scale'] = 1), /tensor "a\/kernel" has an unknown field "scale"/);
    rejects((m) => (shard(m, 1)['url'] = 'x'), /shards\[1\] has an unknown field "url"/);
    rejects(
      (m) => ((m['source'] as Record<string, unknown>)['url'] = 'x'),
      /source has an unknown field/,
    );
  });

  it('rejects a bad config, labels or source', () => {
    rejects((m) => (m['config'] = [1, 2]), /config must be an object/);
    rejects((m) => (m['config'] = { x: Number.NaN }), /config must hold only JSON values/);
    rejects((m) => (m['config'] = { x: { y: [Infinity] } }), /config must hold only JSON/);
    rejects((m) => (m['labels'] = '../secrets.txt'), /labels "..\/secrets.txt" must be a plain/);
    rejects((m) => (m['labels'] = 'shard-00.bin'), /labels "shard-00.bin" is also a shard/);
    rejects((m) => (m['labels'] = 7), /labels must be a non-empty string/);
    rejects((m) => (m['source'] = 'me'), /source must be an object/);
    rejects(
      (m) => ((m['source'] as Record<string, unknown>)['licence'] = ''),
      /source.licence must be a non-empty string/,
    );
    rejects(
      (m) => ((m['source'] as Record<string, unknown>)['description'] = 'from https://example.com'),
      /must not contain URLs/,
    );
  });

  it('rejects malformed shard tables', () => {
    rejects((m) => (m['shards'] = []), /shards must be a non-empty array/);
    rejects((m) => (m['shards'] = {}), /shards must be a non-empty array/);
    rejects((m) => (shard(m, 0)['sha256'] = SHA.toUpperCase()), /64 lower-case hex/);
    rejects((m) => (shard(m, 0)['sha256'] = 'abc'), /shards\[0\].sha256 must be 64/);
    rejects((m) => (shard(m, 0)['byteLength'] = 0), /shards\[0\].byteLength must be positive/);
    rejects((m) => (shard(m, 0)['byteLength'] = 1.5), /byteLength must be a non-negative int/);
    rejects((m) => (shard(m, 0)['file'] = 'a/b.bin'), /must be a plain file name/);
    rejects((m) => (shard(m, 1)['file'] = 'shard-00.bin'), /"shard-00.bin" is listed twice/);
  });

  it('rejects malformed tensor entries', () => {
    rejects((m) => (m['tensors'] = []), /tensors must be a non-empty array/);
    rejects((m) => (tensor(m, 1)['dtype'] = 'float64'), /unknown dtype "float64"/);
    rejects((m) => (tensor(m, 1)['dtype'] = 'int8'), /unknown dtype "int8"/);
    rejects((m) => (tensor(m, 0)['shape'] = '2x3'), /shape must be an array/);
    rejects((m) => (tensor(m, 0)['shape'] = [2, -3]), /shape\[1\] must be a non-negative/);
    rejects((m) => (tensor(m, 0)['shape'] = [2, 3.5]), /shape\[1\] must be a non-negative/);
    rejects((m) => (tensor(m, 0)['name'] = ''), /tensors\[0\].name must be a non-empty/);
    rejects((m) => (tensor(m, 1)['name'] = 'a/kernel'), /tensor name "a\/kernel" is used twice/);
    rejects((m) => (tensor(m, 0)['shard'] = 2), /shard 2 does not exist/);
    rejects((m) => (tensor(m, 0)['shard'] = -1), /shard must be a non-negative integer/);
    rejects((m) => (tensor(m, 1)['offset'] = 26), /offset 26 is not a multiple of 4/);
  });

  it('rejects a byteLength that does not match shape and dtype', () => {
    // 2x3 float32 is 24 bytes; 3 float16 are 6 bytes.
    rejects((m) => (tensor(m, 0)['byteLength'] = 20), /byteLength 20 does not match shape \[2,3\]/);
    rejects((m) => (tensor(m, 1)['byteLength'] = 12), /byteLength 12 does not match/);
    rejects((m) => (tensor(m, 1)['dtype'] = 'float32'), /byteLength 6 does not match shape/);
  });

  it('rejects tensors outside their shard or past the data', () => {
    rejects((m) => (tensor(m, 0)['offset'] = 64), /starts at 64, outside shard 0 \(64 B\)/);
    rejects((m) => {
      tensor(m, 0)['shard'] = 1;
      tensor(m, 0)['offset'] = 12;
    }, /tensor "a\/kernel" ends at byte 100, past the shards' end 96/);
  });

  it('rejects overlapping tensors, including one inside another', () => {
    rejects((m) => (tensor(m, 1)['offset'] = 20), /"a\/kernel" and "a\/bias" overlap/);
    // 'b/kernel' covers stream bytes 32..76; 'inner' sits at 68..72, inside it.
    rejects((m) => {
      (m['tensors'] as unknown[]).push({
        name: 'inner',
        shape: [1],
        dtype: 'float32',
        shard: 1,
        offset: 4,
        byteLength: 4,
      });
    }, /"b\/kernel" and "inner" overlap/);
  });

  it('returns WeightsError with a sentence the user can read', () => {
    const m = valid();
    m['version'] = 9;
    expect(() => parseManifest(m)).toThrow(
      'The weights manifest is invalid: version 9 is not supported (expected 1).',
    );
  });
});

describe('shardStarts', () => {
  it('gives cumulative starts and the total', () => {
    const m = parseManifest(valid());
    expect(shardStarts(m.shards)).toEqual([0, 64, 96]);
    expect(shardStarts([])).toEqual([0]);
  });

  it('knows the element sizes', () => {
    expect(DTYPE_BYTES).toEqual({ float32: 4, float16: 2, int32: 4 });
  });
});
