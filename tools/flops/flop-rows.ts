/**
 * The rows of the FLOP table (`npm run flops`): per model, the cost of one clip-based prediction
 * and of one continual step, counted from shapes by the very modules the app runs
 * (CoModule.flopsPerClip / flopsPerStep), never typed in.
 *
 * X3D rows: "per clip" is the X3D clip model (temporal padding kt // 2) over its published T
 * frames, the configuration the X3D paper counts; "per step" is CoX3D (no temporal padding,
 * global pool over T frames). MoViNet row: built from the manifest's config with zero weights
 * (the bytes are not read); its clip is `clipLength` steps of the causal network from a fresh
 * state, which is how its clip-based mode runs. Slow/SlowFast rows: "per clip" is the published
 * clip model (temporal padding kt // 2, laterals padded) over one view of 8 (Slow) / 32 (SlowFast,
 * Fast rate) frames of 256 x 256, the view the published GFLOPs count; "per step" is CoSlow /
 * CoSlowFast (no temporal padding; CoSlowFast steps at the Fast rate, its Slow pathway every
 * alpha-th step).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { CoModule, FlopCount, FrameShape } from '../../src/continual/module';
import { buildMovinetA0 } from '../../src/models/movinet/movinet-a0';
import { parseMovinetConfig } from '../../src/models/movinet/movinet-config';
import type { LoadedWeights, WeightTensor } from '../../src/models/weights/load-weights';
import { parseManifest } from '../../src/models/weights/manifest';
import { buildSlow } from '../../src/models/slowfast/slow';
import { buildSlowFast } from '../../src/models/slowfast/slowfast';
import {
  SLOWFAST_8X8_R50,
  SLOWFAST_PUBLISHED,
  SLOW_8X8_R50,
  type SlowConfig,
  type SlowFastConfig,
} from '../../src/models/slowfast/slowfast-config';
import { buildX3d } from '../../src/models/x3d/x3d';
import {
  X3D_CONFIGS,
  X3D_PUBLISHED,
  X3D_S,
  deriveX3dConfig,
  type X3dConfig,
} from '../../src/models/x3d/x3d-config';

/** One row of the table; GFLOPs are 1e9 multiply-adds (conv and linear) unless said otherwise. */
export interface FlopRow {
  /** Model id (the clip model's). */
  readonly id: string;
  /** Registry id of the continual model. */
  readonly continualId: string;
  /** Clip length T and frame size. */
  readonly input: { readonly frames: number; readonly height: number; readonly width: number };
  /** Parameters (BN folded into the convs: kernels and biases). */
  readonly params: number;
  /** Multiply-adds of one clip-based prediction over T frames, in GFLOPs. */
  readonly gflopsPerClip: number;
  /** Multiply-adds of one continual step (one new frame), in GFLOPs. */
  readonly gflopsPerStep: number;
  /** gflopsPerClip / gflopsPerStep: how many times cheaper a continual prediction is. */
  readonly ratio: number;
  /** The same two counts with element-wise ops added (see FlopCount). */
  readonly gflopsPerClipWithElementwise: number;
  readonly gflopsPerStepWithElementwise: number;
  /** Continual network's delay (steps before the first output) and receptive field (frames). */
  readonly delay: number;
  readonly receptiveField: number;
  /** Published figures where there are some (null otherwise). */
  readonly published: {
    readonly gflopsPerClip: number | null;
    readonly paramsMillions: number | null;
    readonly coX3dPaperClipGflops: number | null;
    readonly coX3dPaperStepGflops: number | null;
  };
}

const GIGA = 1e9;

function total(count: FlopCount): number {
  return count.macs + count.elementwise;
}

function row(
  id: string,
  continualId: string,
  input: FrameShape,
  frames: number,
  params: number,
  clip: FlopCount,
  step: FlopCount,
  online: CoModule,
  published: FlopRow['published'],
): FlopRow {
  return {
    id,
    continualId,
    input: { frames, height: input.height, width: input.width },
    params,
    gflopsPerClip: clip.macs / GIGA,
    gflopsPerStep: step.macs / GIGA,
    ratio: clip.macs / step.macs,
    gflopsPerClipWithElementwise: total(clip) / GIGA,
    gflopsPerStepWithElementwise: total(step) / GIGA,
    delay: online.delay,
    receptiveField: online.receptiveField,
    published,
  };
}

/** The row of one X3D configuration (built with zero weights: counting needs shapes only). */
export function x3dRow(config: X3dConfig): FlopRow {
  const input: FrameShape = { height: config.size, width: config.size, channels: 3 };
  const clip = buildX3d(config, { temporalForm: 'same', weights: 'zeros' });
  const online = buildX3d(config, { temporalForm: 'valid', weights: 'zeros' });
  try {
    const published = X3D_PUBLISHED[config.id];
    return row(
      config.id,
      `co${config.id}`,
      input,
      config.frames,
      clip.params,
      clip.network.flopsPerClip(input, config.frames),
      online.network.flopsPerStep(input),
      online.network,
      {
        gflopsPerClip: published?.gflopsPerClip ?? null,
        paramsMillions: published?.paramsMillions ?? null,
        coX3dPaperClipGflops: published?.coX3dPaperClipGflops ?? null,
        coX3dPaperStepGflops: published?.coX3dPaperStepGflops ?? null,
      },
    );
  } finally {
    clip.network.dispose();
    online.network.dispose();
  }
}

/** A network built with zero weights, and its parameter count. */
interface Counted {
  readonly network: CoModule;
  readonly params: number;
}

/**
 * The row of a Slow or SlowFast configuration, each form built with zero weights and disposed
 * before the next is built (the 8x8-R50 models hold 32-35M weights each).
 */
function resNet3dRow(
  config: SlowConfig | SlowFastConfig,
  build: (form: 'valid' | 'same') => Counted,
): FlopRow {
  const input: FrameShape = { height: config.size, width: config.size, channels: 3 };
  const clip = build('same');
  let clipFlops: FlopCount;
  try {
    clipFlops = clip.network.flopsPerClip(input, config.frames);
  } finally {
    clip.network.dispose();
  }
  const online = build('valid');
  try {
    const published = SLOWFAST_PUBLISHED[config.id];
    return row(
      config.id,
      `co${config.id}`,
      input,
      config.frames,
      online.params,
      clipFlops,
      online.network.flopsPerStep(input),
      online.network,
      {
        gflopsPerClip: published?.gflopsPerClip ?? null,
        paramsMillions: published?.paramsMillions ?? null,
        coX3dPaperClipGflops: null,
        coX3dPaperStepGflops: null,
      },
    );
  } finally {
    online.network.dispose();
  }
}

/** The row of a Slow configuration (CoSlow per step). */
export function slowRow(config: SlowConfig): FlopRow {
  return resNet3dRow(config, (temporalForm) =>
    buildSlow(config, { temporalForm, weights: 'zeros' }),
  );
}

/** The row of a SlowFast configuration (CoSlowFast per step, at the Fast rate). */
export function slowFastRow(config: SlowFastConfig): FlopRow {
  return resNet3dRow(config, (temporalForm) =>
    buildSlowFast(config, { temporalForm, weights: 'zeros' }),
  );
}

/**
 * Loaded weights with the manifest's names and shapes and zero values: the builder's checks
 * (every tensor taken once, shapes as expected) still run, without the weight bytes.
 */
export function zeroWeights(manifestJson: unknown): LoadedWeights {
  const manifest = parseManifest(manifestJson);
  const tensors = new Map<string, WeightTensor>();
  for (const entry of manifest.tensors) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    tensors.set(entry.name, {
      shape: entry.shape,
      dtype: entry.dtype,
      data: entry.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size),
    });
  }
  const taken = new Set<string>();
  return {
    manifest,
    tensors,
    labels: null,
    take(name, expectedShape) {
      const t = tensors.get(name);
      if (t === undefined) throw new Error(`manifest has no tensor "${name}"`);
      if (taken.has(name)) throw new Error(`tensor "${name}" taken twice`);
      if (t.shape.join() !== expectedShape.join()) {
        throw new Error(`tensor "${name}" is [${t.shape}], expected [${expectedShape}]`);
      }
      taken.add(name);
      return t;
    },
    assertAllUsed() {
      const unused = [...tensors.keys()].filter((n) => !taken.has(n));
      if (unused.length > 0) throw new Error(`unused tensors: ${unused.join(', ')}`);
    },
  };
}

/** Path of the MoViNet-A0-Stream manifest, relative to the repository root. */
export const MOVINET_MANIFEST = 'public/weights/movinet-a0-stream/manifest.json';

/** The row of MoViNet-A0-Stream over a clip of `frames` frames. */
export function movinetRow(manifestJson: unknown, frames: number): FlopRow {
  const weights = zeroWeights(manifestJson);
  const spec = parseMovinetConfig(weights.manifest.config);
  const network = buildMovinetA0(spec, weights);
  try {
    const [height, width, channels] = spec.frameShape;
    const input: FrameShape = { height, width, channels };
    let params = 0;
    for (const t of weights.tensors.values()) params += t.data.length;
    return row(
      'movinet-a0',
      'movinet-a0-stream',
      input,
      frames,
      params,
      network.flopsPerClip(input, frames),
      network.flopsPerStep(input),
      network,
      {
        gflopsPerClip: null,
        paramsMillions: null,
        coX3dPaperClipGflops: null,
        coX3dPaperStepGflops: null,
      },
    );
  } finally {
    network.dispose();
  }
}

/**
 * Every row: X3D-XS, S, M, L, X3D-S with T = 64, MoViNet-A0-Stream (8 frames, the app's clip length), then
 * Slow-8x8-R50 and SlowFast-8x8-R50.
 */
export function flopRows(manifestPath = MOVINET_MANIFEST): FlopRow[] {
  const before = tf.memory().numTensors;
  const rows = X3D_CONFIGS.map(x3dRow);
  // The CoX3D paper's long-window CoX3D-S: the global pool spans 64 frames, the step cost is S's.
  rows.push(x3dRow(deriveX3dConfig(X3D_S, { id: 'x3d-s-t64', frames: 64 })));
  rows.push(movinetRow(JSON.parse(readFileSync(manifestPath, 'utf8')) as unknown, 8));
  rows.push(slowRow(SLOW_8X8_R50), slowFastRow(SLOWFAST_8X8_R50));
  if (tf.memory().numTensors !== before) {
    throw new Error(`flopRows leaked ${tf.memory().numTensors - before} tensors.`);
  }
  return rows;
}
