/**
 * MoViNet-A0-Stream weights as plain typed arrays by name (the names and layouts of the committed
 * manifest, see its `config.conventions`), so that pruning and adapter fusion are pure functions
 * on arrays, and a network can be built from them without writing shards first.
 */
import type { MovinetLayerSpec, MovinetSpec } from '../movinet/movinet-config';
import type { LoadedWeights, WeightTensor } from '../weights/load-weights';
import type { WeightsManifest } from '../weights/manifest';
import { WEIGHTS_FORMAT, WEIGHTS_VERSION } from '../weights/manifest';

/** One float tensor: row-major data of `shape`. */
export interface PlainTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Tensors by name, in the order the builder takes them. */
export type TensorMap = ReadonlyMap<string, PlainTensor>;

/** Name and shape of one tensor the builder takes. */
export interface TensorSlot {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The tensors of one bottleneck layer, in the builder's order. */
export function layerTensorSlots(layer: MovinetLayerSpec): TensorSlot[] {
  const p = layer.name;
  const k = layer.expandChannels;
  const [kh, kw] = layer.spatial.kernel;
  const slots: TensorSlot[] = [
    { name: `${p}/expand/kernel`, shape: [1, 1, 1, layer.inChannels, k] },
    { name: `${p}/expand/bias`, shape: [k] },
    { name: `${p}/spatial/kernel`, shape: [1, kh, kw, 1, k] },
    { name: `${p}/spatial/bias`, shape: [k] },
  ];
  if (layer.temporal !== null) {
    slots.push(
      { name: `${p}/temporal/kernel`, shape: [layer.temporal.kernel, 1, 1, 1, k] },
      { name: `${p}/temporal/bias`, shape: [k] },
    );
  }
  slots.push(
    { name: `${p}/project/kernel`, shape: [1, 1, 1, k, layer.outChannels] },
    { name: `${p}/project/bias`, shape: [layer.outChannels] },
    { name: `${p}/rezero`, shape: [layer.outChannels] },
  );
  if (layer.shortcut !== null) {
    slots.push(
      { name: `${p}/shortcut/kernel`, shape: [1, 1, 1, layer.inChannels, layer.outChannels] },
      { name: `${p}/shortcut/bias`, shape: [layer.outChannels] },
    );
  }
  return slots;
}

/** Every tensor of a MoViNet spec (stem, layers, head), in the builder's order. */
export function movinetTensorSlots(spec: MovinetSpec): TensorSlot[] {
  const [kh, kw] = spec.stem.kernel;
  const last = spec.layers[spec.layers.length - 1];
  if (last === undefined) throw new Error('MoViNet spec has no layers.');
  const h = spec.head;
  return [
    { name: 'stem/kernel', shape: [1, kh, kw, spec.stem.inChannels, spec.stem.outChannels] },
    { name: 'stem/bias', shape: [spec.stem.outChannels] },
    ...spec.layers.flatMap(layerTensorSlots),
    { name: 'head/conv/kernel', shape: [1, 1, 1, last.outChannels, h.channels] },
    { name: 'head/conv/bias', shape: [h.channels] },
    { name: 'head/classifier/hidden/kernel', shape: [h.channels, h.hiddenChannels] },
    { name: 'head/classifier/hidden/bias', shape: [h.hiddenChannels] },
    { name: 'head/classifier/logits/kernel', shape: [h.hiddenChannels, spec.numClasses] },
    { name: 'head/classifier/logits/bias', shape: [spec.numClasses] },
  ];
}

/** Number of values in a tensor of `shape`. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The float tensors of loaded weights (int32 tensors are rejected: MoViNet has none). */
export function tensorsOf(weights: LoadedWeights): Map<string, PlainTensor> {
  const out = new Map<string, PlainTensor>();
  for (const [name, t] of weights.tensors) {
    if (!(t.data instanceof Float32Array)) throw new Error(`tensor "${name}" is not float data.`);
    out.set(name, { shape: [...t.shape], data: t.data });
  }
  return out;
}

/** Total number of values of a tensor map (the parameter count of a network). */
export function countParams(tensors: TensorMap): number {
  let n = 0;
  for (const t of tensors.values()) n += t.data.length;
  return n;
}

/**
 * Weights held in memory, with the loader's take-once contract ({@link LoadedWeights}), so
 * buildMovinetA0 can build a network from tensors that were pruned or fused here.
 * The manifest has no shards: nothing is downloaded.
 */
export function weightsFromTensors(
  id: string,
  config: WeightsManifest['config'],
  tensors: TensorMap,
): LoadedWeights {
  const manifest: WeightsManifest = {
    format: WEIGHTS_FORMAT,
    version: WEIGHTS_VERSION,
    id,
    architecture: 'movinet-a0-stream',
    config,
    labels: null,
    source: { name: id, description: 'in memory', licence: 'Apache-2.0' },
    tensors: [],
    shards: [],
  };
  const map = new Map<string, WeightTensor>();
  for (const [name, t] of tensors)
    map.set(name, { shape: t.shape, dtype: 'float32', data: t.data });
  const taken = new Set<string>();
  return {
    manifest,
    tensors: map,
    labels: null,
    take(name, expectedShape) {
      const t = map.get(name);
      if (t === undefined) throw new Error(`weights of ${id} have no tensor "${name}"`);
      if (taken.has(name)) throw new Error(`tensor "${name}" of ${id} was taken twice`);
      const same =
        t.shape.length === expectedShape.length && t.shape.every((d, i) => d === expectedShape[i]);
      if (!same) {
        throw new Error(
          `tensor "${name}" of ${id} has shape [${t.shape}], expected [${expectedShape}]`,
        );
      }
      taken.add(name);
      return t;
    },
    assertAllUsed() {
      const unused = [...map.keys()].filter((n) => !taken.has(n));
      if (unused.length > 0)
        throw new Error(`weights of ${id} have unused tensors: ${unused.join(', ')}`);
    },
  };
}
