/**
 * Structured pruning of MoViNet's inner channels: the compact network (fewer channels) computes
 * what the dense network computes with the removed channels' activations at the project conv's
 * input masked to zero; its config parses, its FLOPs and stream state shrink by hand-computed
 * amounts. On a tiny synthetic MoViNet (all three backends).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { Clip } from '../../continual/module';
import { expectTensorsCloseAsync, maxAbsDiffAsync } from '../../continual/testing-async';
import { expectNoLeakedTensors, seededClip } from '../../continual/testing';
import { buildMovinetA0 } from '../movinet/movinet-a0';
import { parseMovinetConfig } from '../movinet/movinet-config';
import { bottleneckClip, bottleneckWeights, disposeBottleneckWeights } from './bottleneck-clip';
import { l1ExpandScores } from './channel-scores';
import { countParams, type PlainTensor, weightsFromTensors } from './movinet-tensors';
import { gatherAxis, pruneConfig, pruneTensors } from './prune-movinet';
import { planPruning, type PruningPlan } from './pruning-plan';
import { seededMovinetTensors, tinyMovinetConfig, tinyMovinetSpec } from './testing';

const backend = tf.getBackend();
/**
 * Compact vs masked: the same non-zero products summed in the same order (a masked channel adds
 * an exact 0), so only the kernels' blocking can differ: 1e-5 on cpu/wasm; webgpu's shaders
 * reorder float32 sums over the wider dense tensors, 1e-4 there.
 */
const TOL = backend === 'webgpu' ? 1e-4 : 1e-5;

const spec = tinyMovinetSpec();
const config = tinyMovinetConfig();
const dense = seededMovinetTensors(spec, 7);

/** The plan at `ratio` by the L1 criterion (scores from the dense expand kernels). */
function l1Plan(ratio: number): PruningPlan {
  const scores = new Map(
    spec.layers.map((l) => [
      l.name,
      l1ExpandScores(
        dense.get(`${l.name}/expand/kernel`)?.data ?? [],
        l.inChannels,
        l.expandChannels,
      ),
    ]),
  );
  return planPruning(spec, scores, ratio, 'l1-expand');
}

/** The dense tensors with the project kernel's rows of the removed channels zeroed. */
function masked(plan: PruningPlan): Map<string, PlainTensor> {
  const out = new Map(dense);
  for (const l of plan.layers) {
    const name = `${l.layer}/project/kernel`;
    const t = dense.get(name);
    if (t === undefined) throw new Error(name);
    const cout = t.shape[4] ?? 0;
    const data = Float32Array.from(t.data);
    for (let c = 0; c < l.denseChannels; c++) {
      if (!l.kept.includes(c)) data.fill(0, c * cout, (c + 1) * cout);
    }
    out.set(name, { shape: t.shape, data });
  }
  return out;
}

describe('gatherAxis', () => {
  const t: PlainTensor = { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };

  it('keeps the listed entries of an axis, in the listed order', () => {
    expect(gatherAxis(t, 1, [0, 2])).toEqual({
      shape: [2, 2],
      data: Float32Array.from([1, 3, 4, 6]),
    });
    expect(gatherAxis(t, 0, [1])).toEqual({ shape: [1, 3], data: Float32Array.from([4, 5, 6]) });
    expect(gatherAxis(t, 1, [2, 0]).data).toEqual(Float32Array.from([3, 1, 6, 4]));
  });

  it('rejects an index or axis outside the tensor', () => {
    expect(() => gatherAxis(t, 1, [3])).toThrow('index 3 outside [0, 3)');
    expect(() => gatherAxis(t, 1, [-1])).toThrow('index -1 outside [0, 3)');
    expect(() => gatherAxis(t, 2, [0])).toThrow('axis 2 of a rank-2 tensor');
  });
});

describe('pruneTensors and pruneConfig', () => {
  const plan = l1Plan(0.5);

  it('keeps round(k / 2) channels per layer and cuts every inner-width tensor', () => {
    expect(plan.layers.map((l) => l.kept.length)).toEqual([4, 5, 4]);
    const pruned = pruneTensors(dense, plan);
    expect(pruned.get('b0_l0/expand/kernel')?.shape).toEqual([1, 1, 1, 4, 4]);
    expect(pruned.get('b0_l0/spatial/kernel')?.shape).toEqual([1, 3, 3, 1, 4]);
    expect(pruned.get('b0_l0/temporal/kernel')?.shape).toEqual([3, 1, 1, 1, 4]);
    expect(pruned.get('b1_l0/temporal/bias')?.shape).toEqual([5]);
    expect(pruned.get('b2_l0/project/kernel')?.shape).toEqual([1, 1, 1, 4, 6]);
    // The kept channels' values, in order: channel kept[1] of the dense expand bias.
    const kept = plan.layers[0]?.kept ?? [];
    expect(pruned.get('b0_l0/expand/bias')?.data[1]).toBe(
      dense.get('b0_l0/expand/bias')?.data[kept[1] ?? -1],
    );
    // Untouched tensors are shared, not copied.
    expect(pruned.get('b0_l0/project/bias')).toBe(dense.get('b0_l0/project/bias'));
    expect(pruned.get('b0_l0/shortcut/kernel')).toBe(dense.get('b0_l0/shortcut/kernel'));
    expect(pruned.get('head/conv/kernel')).toBe(dense.get('head/conv/kernel'));
    // Removed per layer: (cin + kh*kw + kt + 1 + 1 + 1 + cout) values per channel (expand column and
    // bias, spatial taps and bias, temporal taps and bias, project row).
    // b0_l0: 4 * (4 + 1 + 9 + 1 + 3 + 1 + 6) = 100; b1_l0: 5 * (6 + 1 + 9 + 1 + 2 + 1 + 6) = 130;
    // b2_l0: 3 * (6 + 1 + 25 + 1 + 6) = 117.
    expect(countParams(dense) - countParams(pruned)).toBe(100 + 130 + 117);
  });

  it('writes a config that parses to the compact widths, float only', () => {
    const pruned = pruneConfig(config, plan);
    const s = parseMovinetConfig(pruned);
    expect(s.floatOnly).toBe(true);
    expect(s.layers.map((l) => [l.expandChannels, l.denseExpandChannels])).toEqual([
      [4, 8],
      [5, 10],
      [4, 7],
    ]);
    expect(s.layers.map((l) => l.keptChannels)).toEqual(plan.layers.map((l) => l.kept));
    expect(s.layers[0]?.spatial).toMatchObject({ inChannels: 4, outChannels: 4, groups: 4 });
    expect(s.layers[1]?.project.inChannels).toBe(5);
    const layers = pruned['layers'] as { temporal: { stateShape: number[] } | null }[];
    expect(layers[0]?.temporal?.stateShape).toEqual([1, 2, 2, 2, 4]);
    // The input is not modified.
    expect(parseMovinetConfig(config).floatOnly).toBe(false);
    expect(parseMovinetConfig(config).layers[0]?.keptChannels).toBeNull();
  });

  it('rejects plans that do not fit the weights or the config', () => {
    const layer = plan.layers[0];
    if (layer === undefined) throw new Error('no layer');
    const unknown: PruningPlan = { ...plan, layers: [{ ...layer, layer: 'b9_l9' }] };
    expect(() => pruneTensors(dense, unknown)).toThrow(
      'pruning plan names b9_l9, which has no tensors',
    );
    expect(() => pruneConfig(config, unknown)).toThrow(
      'pruning plan names b9_l9, which the config does not have',
    );
    const wide: PruningPlan = { ...plan, layers: [{ ...layer, denseChannels: 9 }] };
    expect(() => pruneTensors(dense, wide)).toThrow('has 8 inner channels, the plan expects 9');
    expect(() => pruneConfig(config, wide)).toThrow(
      'b0_l0 is not a dense layer of 9 inner channels',
    );
    const twice: PruningPlan = { ...plan, layers: [layer, layer] };
    expect(() => pruneTensors(dense, twice)).toThrow('pruning plan lists b0_l0 twice');
    // Pruning a pruned config again is refused.
    expect(() => pruneConfig(pruneConfig(config, plan), plan)).toThrow('is not a dense layer');
  });
});

describe.each([0.3, 0.5, 0.7])('the compact network at prune ratio %s', (ratio) => {
  const plan = l1Plan(ratio);

  function build(tensors: Map<string, PlainTensor>, cfg: typeof config) {
    const s = parseMovinetConfig(cfg);
    return buildMovinetA0(s, weightsFromTensors('tiny', cfg, tensors), { quantization: 'float' });
  }

  it('equals the dense network with the removed channels masked to zero (stream and clip)', async () => {
    const clip = seededClip([1, 6, 8, 8, 3], 11);
    // Built and disposed inside: the networks' stream state must go with them.
    await expectNoLeakedTensors(async () => {
      const compact = build(pruneTensors(dense, plan), pruneConfig(config, plan));
      const reference = build(masked(plan), config);
      const full = build(new Map(dense), config);
      try {
        const a = compact.forward(clip);
        const b = reference.forward(clip);
        await expectTensorsCloseAsync(a, b, TOL);
        // The masked channels matter: the unmasked dense network differs.
        const c = full.forward(clip);
        expect(await maxAbsDiffAsync(a, c)).toBeGreaterThan(1e-3);
        tf.dispose([a, b, c]);
        for (let t = 0; t < 6; t++) {
          const frame = tf.tidy(() =>
            tf.squeeze(tf.slice(clip, [0, t, 0, 0, 0], [1, 1, 8, 8, 3]), [1]),
          ) as tf.Tensor4D;
          const x = compact.forwardStep(frame);
          const y = reference.forwardStep(frame);
          if (x === null || y === null) throw new Error('MoViNet has delay 0');
          await expectTensorsCloseAsync(x, y, TOL);
          tf.dispose([frame, x, y]);
        }
      } finally {
        compact.dispose();
        reference.dispose();
        full.dispose();
      }
    });
    clip.dispose();
  });

  it('each compact bottleneck equals the dense one with its inner activations masked', async () => {
    const compactTensors = pruneTensors(dense, plan);
    const compactSpec = parseMovinetConfig(pruneConfig(config, plan));
    await expectNoLeakedTensors(async () => {
      for (const [i, layer] of spec.layers.entries()) {
        const pruning = plan.layers[i];
        const compactLayer = compactSpec.layers[i];
        if (pruning === undefined || compactLayer === undefined) throw new Error('layer');
        const cin = layer.inChannels;
        const clip = seededClip([1, 5, 4, 4, cin], 20 + i) as Clip;
        const wd = bottleneckWeights(layer, dense);
        const wc = bottleneckWeights(compactLayer, compactTensors);
        const mask = tf.tensor1d(
          Array.from({ length: layer.expandChannels }, (_, c) =>
            pruning.kept.includes(c) ? 1 : 0,
          ),
        );
        const a = bottleneckClip(compactLayer, wc, clip);
        const b = bottleneckClip(layer, wd, clip, mask);
        await expectTensorsCloseAsync(a, b, TOL);
        tf.dispose([a, b, mask, clip]);
        disposeBottleneckWeights(wd);
        disposeBottleneckWeights(wc);
      }
    });
  });
});

describe('what pruning saves', () => {
  it('removes the hand-computed multiply-adds and stream-buffer bytes', () => {
    const plan = l1Plan(0.5);
    const cfg = pruneConfig(config, plan);
    const compact = buildMovinetA0(
      parseMovinetConfig(cfg),
      weightsFromTensors('tiny', cfg, pruneTensors(dense, plan)),
    );
    const full = buildMovinetA0(spec, weightsFromTensors('tiny', config, dense), {
      quantization: 'float',
    });
    const frame = { height: 8, width: 8, channels: 3 };
    // MACs per removed channel and step: expand (H*W*cin) + spatial (H'*W'*kh*kw) + temporal
    // (H'*W'*kt) + project (H'*W'*cout). b0_l0 (4x4 in, 2x2 out): 64 + 36 + 12 + 24 = 136;
    // b1_l0 (2x2): 24 + 36 + 8 + 24 = 92; b2_l0 (2x2, 5x5, no temporal): 24 + 100 + 24 = 148.
    // Removed channels 4, 5, 3: 4 * 136 + 5 * 92 + 3 * 148 = 1448.
    expect(full.flopsPerStep(frame).macs - compact.flopsPerStep(frame).macs).toBe(1448);
    // Stream buffers (float32): b0_l0 holds 2 frames of 2x2 per channel, b1_l0 1 frame of 2x2:
    // 4 * (2 * 4) * 4 B + 5 * (1 * 4) * 4 B = 128 + 80 = 208 B.
    expect(full.stateBytes(frame) - compact.stateBytes(frame)).toBe(208);
    // A floatOnly config builds in float by default and refuses the int8 emulation.
    expect(() =>
      buildMovinetA0(
        parseMovinetConfig(cfg),
        weightsFromTensors('tiny', cfg, pruneTensors(dense, plan)),
        {
          quantization: 'int8-activations',
        },
      ),
    ).toThrow("these weights run in 'float' mode only");
    compact.dispose();
    full.dispose();
  });
});
