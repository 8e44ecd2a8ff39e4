/**
 * SPLoRA: fusion by hand, initialisation, the learned-parameter formula (tiny spec and
 * MoViNet-A0 at rank 8 and 16), and fused = unfused = adapted-in-graph outputs on the tiny
 * MoViNet, pruned by half (all three backends).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CoModule } from '../../continual/module';
import type { CoSequential } from '../../continual/sequential';
import { expectTensorsCloseAsync, maxAbsDiffAsync } from '../../continual/testing-async';
import { expectNoLeakedTensors, seededClip } from '../../continual/testing';
import { buildMovinetA0 } from '../movinet/movinet-a0';
import { parseMovinetConfig, type MovinetSpec } from '../movinet/movinet-config';
import { loadMovinetConfig } from '../movinet/testing';
import { SeededRandom } from '../seeded-weights';
import { bottleneckClip, bottleneckWeights, disposeBottleneckWeights } from './bottleneck-clip';
import { weightsFromTensors, type PlainTensor } from './movinet-tensors';
import { pruneConfig, pruneTensors } from './prune-movinet';
import { keptCount } from './pruning-plan';
import {
  adapterValueCount,
  bottleneckAdapterParams,
  fuseBottleneckAdapters,
  fuseDepthwise,
  fusePointwise,
  initBottleneckAdapters,
  initDepthwiseAdapter,
  initPointwiseAdapter,
  networkAdapterParams,
  pointwiseAdapterParams,
  spatialCentreTap,
  SPLORA_INIT_RANGE,
  type BottleneckAdapters,
} from './splora';
import {
  adaptedWeights,
  adapterTensorList,
  adapterVariables,
  readAdapters,
  unfusedSploraClip,
} from './splora-tensors';
import { seededMovinetTensors, tinyMovinetConfig, tinyMovinetSpec } from './testing';

const backend = tf.getBackend();
/** Fused vs unfused: the same products regrouped (W x + B (A x) vs (W + B A) x): float32 rounding; webgpu sums in other orders. */
const TOL = backend === 'webgpu' ? 1e-4 : 1e-5;

describe('fusion by hand', () => {
  it('adds (B A)^T to a [din, dout] kernel and delta_b to the bias', () => {
    // A = [1, 2] (rank 1, din 2), B = [3; 4] (dout 2): B A = [[3, 6], [4, 8]] (dout x din),
    // so kernel (i, o) gains (B A)[o, i]: [[3, 4], [6, 8]].
    const adapter = {
      din: 2,
      dout: 2,
      rank: 1,
      a: Float32Array.from([1, 2]),
      b: Float32Array.from([3, 4]),
      bias: Float32Array.from([0.5, -0.5]),
    };
    const fused = fusePointwise(
      Float32Array.from([1, 0, 0, 1]),
      Float32Array.from([1, 1]),
      adapter,
    );
    expect(Array.from(fused.kernel)).toEqual([4, 4, 6, 9]);
    expect(Array.from(fused.bias)).toEqual([1.5, 0.5]);
    // Rank 2: B A = [[1*1 + 2*3, 1*2 + 2*4]] = [[7, 10]] for dout 1.
    const r2 = {
      din: 2,
      dout: 1,
      rank: 2,
      a: Float32Array.from([1, 2, 3, 4]),
      b: Float32Array.from([1, 2]),
      bias: Float32Array.from([0]),
    };
    expect(Array.from(fusePointwise(new Float32Array(2), new Float32Array(1), r2).kernel)).toEqual([
      7, 10,
    ]);
    expect(() => fusePointwise(new Float32Array(3), new Float32Array(2), adapter)).toThrow(
      'a [2, 2] adapter does not fit a kernel of 3 and a bias of 2 values',
    );
  });

  it('adds delta to one tap of a depthwise kernel', () => {
    const adapter = {
      channels: 2,
      delta: Float32Array.from([10, 20]),
      bias: Float32Array.from([1, 2]),
    };
    // 3 taps x 2 channels; tap 1 of channel c at 2 + c.
    const fused = fuseDepthwise(
      Float32Array.from([1, 2, 3, 4, 5, 6]),
      Float32Array.from([0, 0]),
      1,
      adapter,
    );
    expect(Array.from(fused.kernel)).toEqual([1, 2, 13, 24, 5, 6]);
    expect(Array.from(fused.bias)).toEqual([1, 2]);
    expect(
      Array.from(fuseDepthwise(new Float32Array(6), new Float32Array(2), 2, adapter).kernel),
    ).toEqual([0, 0, 0, 0, 10, 20]);
    expect(() => fuseDepthwise(new Float32Array(6), new Float32Array(2), 3, adapter)).toThrow(
      'tap 3 outside the kernel’s 3 taps'.replace('’', "'"),
    );
    expect(() => fuseDepthwise(new Float32Array(5), new Float32Array(2), 0, adapter)).toThrow(
      'a 2-channel adapter does not fit a kernel of 5',
    );
  });

  it('puts the spatial update on the centre tap', () => {
    expect(spatialCentreTap(3, 3)).toBe(4);
    expect(spatialCentreTap(5, 5)).toBe(12);
    expect(spatialCentreTap(1, 1)).toBe(0);
    expect(spatialCentreTap(3, 5)).toBe(7);
  });
});

describe('initialisation', () => {
  it('draws A within 1/sqrt(rank din) and B, biases within initRange, reproducibly', () => {
    const a = initPointwiseAdapter(50, 30, 4, new SeededRandom(1));
    const bound = 1 / Math.sqrt(4 * 50);
    expect(a.a).toHaveLength(200);
    expect(a.b).toHaveLength(120);
    expect(a.bias).toHaveLength(30);
    expect(Math.max(...a.a.map(Math.abs))).toBeLessThanOrEqual(bound);
    // 200 uniform draws reach well past half the bound.
    expect(Math.max(...a.a.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(Math.max(...a.b.map(Math.abs))).toBeLessThanOrEqual(SPLORA_INIT_RANGE);
    expect(Math.max(...a.b.map(Math.abs))).toBeGreaterThan(0.5 * SPLORA_INIT_RANGE);
    expect(Math.max(...a.bias.map(Math.abs))).toBeLessThanOrEqual(SPLORA_INIT_RANGE);
    expect(initPointwiseAdapter(50, 30, 4, new SeededRandom(1))).toEqual(a);
    expect(initPointwiseAdapter(50, 30, 4, new SeededRandom(2)).a).not.toEqual(a.a);
    const d = initDepthwiseAdapter(16, new SeededRandom(3), 0.01);
    expect(Math.max(...d.delta.map(Math.abs))).toBeLessThanOrEqual(0.01);
    expect(Math.max(...d.delta.map(Math.abs))).toBeGreaterThan(0.005);
  });

  it('rejects non-positive sizes, ranks and ranges', () => {
    const rng = new SeededRandom(1);
    expect(() => initPointwiseAdapter(4, 4, 0, rng)).toThrow(
      'rank must be a positive integer, got 0',
    );
    expect(() => initPointwiseAdapter(0, 4, 2, rng)).toThrow(
      'din must be a positive integer, got 0',
    );
    expect(() => initPointwiseAdapter(4, 2.5, 2, rng)).toThrow(
      'dout must be a positive integer, got 2.5',
    );
    expect(() => initPointwiseAdapter(4, 4, 2, rng, 0)).toThrow(
      'initRange must be positive, got 0',
    );
    expect(() => initDepthwiseAdapter(0, rng)).toThrow(
      'channels must be a positive integer, got 0',
    );
    expect(() => initDepthwiseAdapter(3, rng, -1)).toThrow('initRange must be positive, got -1');
  });
});

describe('learned parameters', () => {
  it('follow rank (cin + 2k + cout) + cout + k + 2k per depthwise conv, on the tiny spec', () => {
    const spec = tinyMovinetSpec();
    expect(pointwiseAdapterParams(4, 8, 2)).toBe(2 * 12 + 8);
    // Rank 2: b0_l0 (4, 8, 6, temporal) 32 + 16 + 16 + 34 = 98; b1_l0 (6, 10, 6, temporal)
    // 42 + 20 + 20 + 38 = 120; b2_l0 (6, 7, 6) 33 + 14 + 32 = 79.
    expect(spec.layers.map((l) => bottleneckAdapterParams(l, 2))).toEqual([98, 120, 79]);
    expect(networkAdapterParams(spec, 2)).toBe(297);
    const rng = new SeededRandom(4);
    for (const l of spec.layers) {
      expect(adapterValueCount(initBottleneckAdapters(l, 2, rng))).toBe(
        bottleneckAdapterParams(l, 2),
      );
    }
  });

  describe('on MoViNet-A0', () => {
    let dense: MovinetSpec;
    let half: MovinetSpec;
    beforeAll(async () => {
      const config = await loadMovinetConfig();
      dense = parseMovinetConfig(config);
      const plan = {
        ratio: 0.5,
        criterion: 'l1-expand' as const,
        layers: dense.layers.map((l) => ({
          layer: l.name,
          denseChannels: l.expandChannels,
          kept: Array.from({ length: keptCount(l.expandChannels, 0.5) }, (_, i) => i),
        })),
      };
      half = parseMovinetConfig(pruneConfig(config as never, plan));
    });

    it('at rank 8 and 16, dense and pruned by half (numbers computed independently)', () => {
      expect(networkAdapterParams(dense, 8)).toBe(71_008);
      expect(networkAdapterParams(dense, 16)).toBe(129_120);
      expect(networkAdapterParams(half, 8)).toBe(42_872);
      expect(networkAdapterParams(half, 16)).toBe(78_840);
    });
  });
});

describe('fused and unfused SPLoRA agree', () => {
  const spec = tinyMovinetSpec();
  const config = tinyMovinetConfig();
  const dense = seededMovinetTensors(spec, 9);
  const plan = {
    ratio: 0.5,
    criterion: 'l1-expand' as const,
    layers: spec.layers.map((l) => ({
      layer: l.name,
      denseChannels: l.expandChannels,
      kept: Array.from({ length: keptCount(l.expandChannels, 0.5) }, (_, i) => 2 * i).filter(
        (c) => c < l.expandChannels,
      ),
    })),
  };
  // Keep every other channel (0, 2, 4, ...), padded with the last ones where 2i runs out.
  for (const l of plan.layers) {
    const want = keptCount(l.denseChannels, 0.5);
    for (let c = l.denseChannels - 1; l.kept.length < want; c--)
      if (!l.kept.includes(c)) l.kept.push(c);
    l.kept.sort((a, b) => a - b);
  }
  const compactConfig = pruneConfig(config, plan);
  const compactSpec = parseMovinetConfig(compactConfig);
  const compact = pruneTensors(dense, plan);
  // Large initial updates (0.2), so that the adapters visibly change every output.
  const rng = new SeededRandom(5);
  const adapters: BottleneckAdapters[] = compactSpec.layers.map((l) =>
    initBottleneckAdapters(l, 3, rng, 0.2),
  );

  it('the network built from fused weights = the unfused branches = W + BA in the graph', async () => {
    let fused: Map<string, PlainTensor> = compact;
    compactSpec.layers.forEach((l, i) => {
      fused = fuseBottleneckAdapters(fused, l, adapters[i] as BottleneckAdapters);
    });
    await expectNoLeakedTensors(async () => {
      const network = buildMovinetA0(
        compactSpec,
        weightsFromTensors('tiny', compactConfig, fused),
      ) as CoSequential;
      try {
        for (const [i, layer] of compactSpec.layers.entries()) {
          const size = i === 0 ? 4 : 2;
          const clip = seededClip([1, 5, size, size, layer.inChannels], 60 + i);
          const frozen = bottleneckWeights(layer, compact);
          const vars = adapterVariables(adapters[i] as BottleneckAdapters);
          const builtOut = (network.children[i + 1] as CoModule).forward(clip);
          const unfused = unfusedSploraClip(layer, frozen, vars, clip);
          const inGraph = tf.tidy(() =>
            bottleneckClip(layer, adaptedWeights(layer, frozen, vars), clip),
          );
          const plain = bottleneckClip(layer, frozen, clip);
          await expectTensorsCloseAsync(unfused, builtOut, TOL);
          await expectTensorsCloseAsync(inGraph, builtOut, TOL);
          // The adapters matter: without them the block computes something else.
          expect(await maxAbsDiffAsync(plain, builtOut)).toBeGreaterThan(1e-2);
          // Reading the variables back gives the adapters they were made from (readAdapters
          // reads synchronously, for training in Node; webgpu's sync reads are unreliable).
          if (backend !== 'webgpu') expect(readAdapters(vars)).toEqual(adapters[i]);
          expect(adapterTensorList(vars).reduce((n, t) => n + t.size, 0)).toBe(
            bottleneckAdapterParams(layer, 3),
          );
          tf.dispose([clip, builtOut, unfused, inGraph, plain, ...adapterTensorList(vars)]);
          disposeBottleneckWeights(frozen);
        }
      } finally {
        network.dispose();
      }
    });
  });

  it('leaves every tensor but the adapted ones shared', () => {
    const layer = compactSpec.layers[2];
    if (layer === undefined) throw new Error('layer');
    const out = fuseBottleneckAdapters(compact, layer, adapters[2] as BottleneckAdapters);
    expect(out.get('b2_l0/rezero')).toBe(compact.get('b2_l0/rezero'));
    expect(out.get('b1_l0/expand/kernel')).toBe(compact.get('b1_l0/expand/kernel'));
    expect(out.get('b2_l0/project/kernel')).not.toBe(compact.get('b2_l0/project/kernel'));
    expect(() =>
      fuseBottleneckAdapters(new Map(), layer, adapters[2] as BottleneckAdapters),
    ).toThrow('no tensor "b2_l0/expand/kernel" to fuse into');
    const first = compactSpec.layers[0];
    if (first === undefined) throw new Error('layer');
    expect(() =>
      fuseBottleneckAdapters(compact, first, {
        ...(adapters[0] as BottleneckAdapters),
        temporal: null,
      }),
    ).toThrow('b0_l0 has a temporal conv but no adapter for it');
  });
});
