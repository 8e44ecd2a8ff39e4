/**
 * Test helpers for the adapters (imported by *.test.ts only): a tiny synthetic MoViNet config of
 * the committed manifest's format (three bottlenecks covering the shapes the real network has:
 * stride 2 with a pool + conv shortcut, temporal kernels 3 and 2, none, a 5x5 depthwise), and
 * seeded weights for it, so equivalences can be checked on every backend in milliseconds.
 */
import type { JsonValue } from '../weights/manifest';
import { SeededRandom } from '../seeded-weights';
import { parseMovinetConfig, type MovinetSpec } from '../movinet/movinet-config';
import { movinetTensorSlots, sizeOf, type PlainTensor } from './movinet-tensors';

type Json = { [key: string]: JsonValue };

const GRID: Json = { scale: 6 / 255, zeroPoint: -128 };

function op(
  kernel: number,
  stride: number,
  inChannels: number,
  outChannels: number,
  activation: 'relu6' | 'none',
  groups = 1,
): Json {
  return {
    kernel: [kernel, kernel],
    stride: [stride, stride],
    padding: 'SAME',
    activation,
    inChannels,
    outChannels,
    groups,
    outputQuantization: GRID,
  };
}

function layer(
  name: string,
  cin: number,
  k: number,
  cout: number,
  spatial: [number, number],
  temporal: number | null,
): Json {
  const [ks, stride] = spatial;
  return {
    name,
    inChannels: cin,
    expandChannels: k,
    outChannels: cout,
    expand: op(1, 1, cin, k, 'relu6'),
    spatial: op(ks, stride, k, k, 'relu6', k),
    temporal:
      temporal === null
        ? null
        : {
            kernel: temporal,
            activation: 'relu6',
            stateShape: [1, temporal - 1, 2, 2, k],
            bufferQuantization: GRID,
            outputQuantization: GRID,
          },
    project: op(1, 1, k, cout, 'none'),
    rezero: { outputQuantization: GRID },
    shortcut:
      stride === 1 && cin === cout
        ? null
        : {
            pool: { ...op(3, stride, 0, 0, 'none'), kind: 'average' },
            conv: op(1, 1, cin, cout, 'none'),
          },
    residual: { outputQuantization: GRID },
  };
}

/** The JSON config of a tiny MoViNet: 8x8x3 frames, 3 bottlenecks, 5 classes. */
export function tinyMovinetConfig(): Json {
  return {
    input: { frameShape: [8, 8, 3], fps: 5, quantization: { scale: 1 / 255, zeroPoint: -128 } },
    numClasses: 5,
    stem: op(3, 2, 3, 4, 'relu6'),
    layers: [
      layer('b0_l0', 4, 8, 6, [3, 2], 3),
      layer('b1_l0', 6, 10, 6, [3, 1], 2),
      layer('b2_l0', 6, 7, 6, [5, 1], null),
    ],
    head: {
      conv: { ...op(1, 1, 6, 8, 'relu6') },
      pool: {
        spatialSumQuantization: GRID,
        spatialMeanQuantization: GRID,
        sumStateQuantization: GRID,
        sumQuantization: GRID,
        meanQuantization: GRID,
      },
      hidden: { outChannels: 12, outputQuantization: GRID },
      logits: { outChannels: 5, outputQuantization: GRID },
    },
  };
}

/** The parsed tiny spec. */
export function tinyMovinetSpec(): MovinetSpec {
  return parseMovinetConfig(tinyMovinetConfig());
}

/**
 * Seeded weights for a spec: kernels uniform in +-sqrt(3 / fanIn) (unit variance through a
 * layer), biases in +-0.1, rezero in [0.5, 1]; the same on every backend (drawn in JavaScript).
 */
export function seededMovinetTensors(spec: MovinetSpec, seed: number): Map<string, PlainTensor> {
  const rng = new SeededRandom(seed);
  const out = new Map<string, PlainTensor>();
  for (const { name, shape } of movinetTensorSlots(spec)) {
    const size = sizeOf(shape);
    let data: Float32Array;
    if (name.endsWith('/rezero')) data = rng.uniformArray(size, 0.5, 1);
    else if (name.endsWith('/bias')) data = rng.uniformArray(size, -0.1, 0.1);
    else {
      // Depthwise kernels read one channel; the others read all but the last axis.
      const fanIn =
        name.includes('spatial') || name.includes('temporal')
          ? sizeOf(shape.slice(0, -2))
          : sizeOf(shape.slice(0, -1));
      const a = Math.sqrt(3 / fanIn);
      data = rng.uniformArray(size, -a, a);
    }
    out.set(name, { shape, data });
  }
  return out;
}
