/**
 * Compacts MoViNet weights and config to a pruning plan: in each bottleneck, the kept inner
 * channels of the expand 1x1 conv (its output channels), of the spatial and causal temporal
 * depthwise convs (whose stream buffers shrink with them) and of the project 1x1 conv (its input
 * channels). Block inputs and outputs, residual adds, shortcuts, stem and head are untouched, so
 * the compact network computes what the dense one computes with the removed channels'
 * activations at the project conv's input set to zero.
 */
import type { JsonValue } from '../weights/manifest';
import { sizeOf, type PlainTensor, type TensorMap } from './movinet-tensors';
import type { LayerPruning, PruningPlan } from './pruning-plan';

/** The entries of `t` whose index along `axis` is in `indices`, in that order. */
export function gatherAxis(t: PlainTensor, axis: number, indices: readonly number[]): PlainTensor {
  const dim = t.shape[axis];
  if (dim === undefined)
    throw new Error(`gatherAxis: axis ${axis} of a rank-${t.shape.length} tensor.`);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= dim) {
      throw new Error(`gatherAxis: index ${i} outside [0, ${dim}).`);
    }
  }
  const outer = sizeOf(t.shape.slice(0, axis));
  const inner = sizeOf(t.shape.slice(axis + 1));
  const shape = t.shape.map((d, a) => (a === axis ? indices.length : d));
  const data = new Float32Array(sizeOf(shape));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const i of indices) {
      const from = (a * dim + i) * inner;
      data.set(t.data.subarray(from, from + inner), o);
      o += inner;
    }
  }
  return { shape, data };
}

/** Which axis of each inner-width tensor of a bottleneck holds the inner channels. */
const INNER_AXIS: Readonly<Record<string, number>> = {
  'expand/kernel': 4,
  'expand/bias': 0,
  'spatial/kernel': 4,
  'spatial/bias': 0,
  'temporal/kernel': 4,
  'temporal/bias': 0,
  'project/kernel': 3,
};

function byLayer(plan: PruningPlan): Map<string, LayerPruning> {
  const map = new Map<string, LayerPruning>();
  for (const l of plan.layers) {
    if (map.has(l.layer)) throw new Error(`pruning plan lists ${l.layer} twice.`);
    map.set(l.layer, l);
  }
  return map;
}

/**
 * The tensors of the compact network: every tensor of a pruned layer that has the inner width
 * is cut to the kept channels; everything else is shared unchanged (not copied).
 * Throws when a planned layer has no tensors or a tensor's width is not the dense width.
 */
export function pruneTensors(tensors: TensorMap, plan: PruningPlan): Map<string, PlainTensor> {
  const layers = byLayer(plan);
  const seen = new Set<string>();
  const out = new Map<string, PlainTensor>();
  for (const [name, t] of tensors) {
    const slash = name.indexOf('/');
    const pruning = slash < 0 ? undefined : layers.get(name.slice(0, slash));
    const axis = pruning === undefined ? undefined : INNER_AXIS[name.slice(slash + 1)];
    if (pruning === undefined || axis === undefined) {
      out.set(name, t);
      continue;
    }
    if (t.shape[axis] !== pruning.denseChannels) {
      throw new Error(
        `tensor "${name}" has ${t.shape[axis]} inner channels, the plan expects ${pruning.denseChannels}.`,
      );
    }
    seen.add(pruning.layer);
    out.set(name, gatherAxis(t, axis, pruning.kept));
  }
  for (const l of layers.keys()) {
    if (!seen.has(l)) throw new Error(`pruning plan names ${l}, which has no tensors.`);
  }
  return out;
}

type JsonObject = { [key: string]: JsonValue };

function object(value: JsonValue | undefined, where: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`MoViNet config: ${where} must be an object.`);
  }
  return value as JsonObject;
}

/**
 * The config of the compact network: each pruned layer gets expandChannels = kept count, its
 * keptChannels and denseExpandChannels, and the inner width in its expand, spatial, temporal
 * (stream buffer shape) and project entries; the network is marked `floatOnly` (the int8 grids
 * it still carries were measured on the dense graph). Returns a new object.
 */
export function pruneConfig(
  config: { readonly [key: string]: JsonValue },
  plan: PruningPlan,
): JsonObject {
  const out = structuredClone(config) as JsonObject;
  const layersJson = out['layers'];
  if (!Array.isArray(layersJson)) throw new Error('MoViNet config: layers must be an array.');
  const layers = byLayer(plan);
  const seen = new Set<string>();
  for (const [i, raw] of (layersJson as JsonValue[]).entries()) {
    const l = object(raw, `layers[${i}]`);
    const name = l['name'];
    const pruning = typeof name === 'string' ? layers.get(name) : undefined;
    if (pruning === undefined) continue;
    if (l['expandChannels'] !== pruning.denseChannels || l['keptChannels'] !== undefined) {
      throw new Error(
        `MoViNet config: ${pruning.layer} is not a dense layer of ${pruning.denseChannels} inner channels.`,
      );
    }
    seen.add(pruning.layer);
    const k = pruning.kept.length;
    l['expandChannels'] = k;
    l['denseExpandChannels'] = pruning.denseChannels;
    l['keptChannels'] = [...pruning.kept];
    object(l['expand'], `${pruning.layer}.expand`)['outChannels'] = k;
    const spatial = object(l['spatial'], `${pruning.layer}.spatial`);
    spatial['inChannels'] = k;
    spatial['outChannels'] = k;
    spatial['groups'] = k;
    object(l['project'], `${pruning.layer}.project`)['inChannels'] = k;
    const temporal = l['temporal'];
    if (temporal !== null && temporal !== undefined) {
      const t = object(temporal, `${pruning.layer}.temporal`);
      const stateShape = t['stateShape'];
      if (Array.isArray(stateShape) && stateShape.length > 0) {
        t['stateShape'] = [...(stateShape as JsonValue[]).slice(0, -1), k];
      }
    }
  }
  for (const l of layers.keys()) {
    if (!seen.has(l)) throw new Error(`pruning plan names ${l}, which the config does not have.`);
  }
  out['floatOnly'] = true;
  return out;
}
