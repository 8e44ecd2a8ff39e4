/**
 * The writer round trip of a pruned variant: a tiny pruned, adapted network written with
 * writeVariant and read back by the app's loader builds a network that computes what the
 * in-memory one computes with the stored (float16) values; ids and names of variants.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectTensorsClose, seededClip } from '../../src/continual/testing';
import { buildMovinetA0 } from '../../src/models/movinet/movinet-a0';
import { parseMovinetConfig } from '../../src/models/movinet/movinet-config';
import { SeededRandom } from '../../src/models/seeded-weights';
import { loadWeights } from '../../src/models/weights/load-weights';
import { weightsFromTensors, type PlainTensor } from '../../src/models/adapters/movinet-tensors';
import { pruneConfig, pruneTensors } from '../../src/models/adapters/prune-movinet';
import { keptCount } from '../../src/models/adapters/pruning-plan';
import { fuseBottleneckAdapters, initBottleneckAdapters } from '../../src/models/adapters/splora';
import {
  seededMovinetTensors,
  tinyMovinetConfig,
  tinyMovinetSpec,
} from '../../src/models/adapters/testing';
import { parseVariantInfo } from '../../src/models/adapters/variant-info';
import { roundToFloat16, variantDisplayName, variantId, writeVariant } from './variant-weights';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('variant ids and names', () => {
  it('name the prune ratio and the recovery', () => {
    expect(variantId('movinet-a0-stream', 0.5, 'splora', 16)).toBe(
      'movinet-a0-stream-p50-splora16',
    );
    expect(variantId('movinet-a0-stream', 0.3, 'finetune', 16)).toBe('movinet-a0-stream-p30-ft');
    expect(variantId('movinet-a0-stream', 0.7, 'none', 8)).toBe('movinet-a0-stream-p70');
    expect(variantDisplayName(0.5, 'splora', 8)).toBe('MoViNet-A0-Stream, 50 % pruned + SPLoRA r8');
    expect(variantDisplayName(0.3, 'finetune', 8)).toBe(
      'MoViNet-A0-Stream, 30 % pruned + fine-tuned',
    );
    expect(variantDisplayName(0.7, 'none', 8)).toBe('MoViNet-A0-Stream, 70 % pruned (no recovery)');
  });

  it('rounds values to float16 as stored', () => {
    const t = new Map<string, PlainTensor>([
      ['x', { shape: [3], data: Float32Array.from([1, 0.1, 65504]) }],
    ]);
    expect(Array.from(roundToFloat16(t).get('x')?.data ?? [])).toEqual([1, 0.0999755859375, 65504]);
  });
});

describe('writeVariant', () => {
  it('writes a pruned config and float16 tensors that load and build to the same network', async () => {
    const spec = tinyMovinetSpec();
    const plan = {
      ratio: 0.5,
      criterion: 'l1-expand' as const,
      layers: spec.layers.map((l) => ({
        layer: l.name,
        denseChannels: l.expandChannels,
        kept: Array.from(
          { length: keptCount(l.expandChannels, 0.5) },
          (_, i) => l.expandChannels - 1 - i,
        ).reverse(),
      })),
    };
    const config = {
      ...pruneConfig(tinyMovinetConfig(), plan),
      variant: {
        baseModel: 'tiny',
        displayName: 'tiny, 50 % pruned + SPLoRA r2',
        pruneRatio: 0.5,
        criterion: 'l1-expand',
        adapter: 'splora',
        rank: 2,
        learnedParams: 123,
        params: 456,
      },
    };
    const compactSpec = parseMovinetConfig(config);
    let tensors: Map<string, PlainTensor> = pruneTensors(seededMovinetTensors(spec, 4), plan);
    const rng = new SeededRandom(9);
    for (const l of compactSpec.layers)
      tensors = fuseBottleneckAdapters(tensors, l, initBottleneckAdapters(l, 2, rng, 0.1));
    const dir = await mkdtemp(join(tmpdir(), 'variant-'));
    dirs.push(dir);
    const labels = ['a', 'b', 'c', 'd', 'e'];
    const manifest = await writeVariant(
      dir,
      'tiny-p50-splora2',
      compactSpec,
      config,
      tensors,
      labels,
      'test',
      null,
    );
    expect(manifest.tensors.every((t) => t.dtype === 'float16')).toBe(true);
    expect(manifest.tensors.map((t) => t.name)[4]).toBe('b0_l0/spatial/kernel');

    const loaded = await loadWeights('/w', {
      cache: false,
      fetchImpl: async (url) => new Response(await readFile(join(dir, url.slice(3)))),
    });
    expect(loaded.labels).toEqual(labels);
    const s = parseMovinetConfig(loaded.manifest.config);
    expect(s.floatOnly).toBe(true);
    expect(s.layers.map((l) => l.keptChannels)).toEqual(plan.layers.map((l) => l.kept));
    expect(parseVariantInfo(loaded.manifest.config)?.displayName).toBe(
      'tiny, 50 % pruned + SPLoRA r2',
    );
    const fromDisk = buildMovinetA0(s, loaded);
    const inMemory = buildMovinetA0(
      compactSpec,
      weightsFromTensors('mem', config, roundToFloat16(tensors)),
    );
    const clip = seededClip([1, 4, 8, 8, 3], 2);
    const a = fromDisk.forward(clip);
    const b = inMemory.forward(clip);
    // The same float16-rounded values in the same ops.
    expectTensorsClose(a, b, 1e-6);
    tf.dispose([clip, a, b]);
    fromDisk.dispose();
    inMemory.dispose();
  });

  it('refuses tensors that do not match the config', async () => {
    const spec = tinyMovinetSpec();
    const tensors = seededMovinetTensors(spec, 4);
    const dir = await mkdtemp(join(tmpdir(), 'variant-'));
    dirs.push(dir);
    const extra = new Map(tensors).set('head/extra', { shape: [1], data: new Float32Array(1) });
    await expect(
      writeVariant(dir, 't', spec, tinyMovinetConfig(), extra, [], 'x', null),
    ).rejects.toThrow('variant t has 1 tensors the config does not use');
    const wrong = new Map(tensors).set('stem/bias', { shape: [5], data: new Float32Array(5) });
    await expect(
      writeVariant(dir, 't', spec, tinyMovinetConfig(), wrong, [], 'x', null),
    ).rejects.toThrow('variant t: tensor "stem/bias" is [5], the config needs [4]');
    const missing = new Map(tensors);
    missing.delete('stem/bias');
    await expect(
      writeVariant(dir, 't', spec, tinyMovinetConfig(), missing, [], 'x', null),
    ).rejects.toThrow('variant t has no tensor "stem/bias"');
  });
});
