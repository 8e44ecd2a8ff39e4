/**
 * CoSlow and CoSlowFast as {@link ActionModel}s, with untrained seeded weights (like CoX3D), and
 * two offline counterparts built from the same seed (so they hold the same weights):
 * - online mode (`step`): the 'valid' (continual) network, one frame per step;
 * - the clip-based baseline as published (`predictClip`, `flopsPerClip`): the 'same' (padded)
 *   clip model over the last T frames (`info.clipLength`); its cost is the published GFLOPs per
 *   view (54.52 / 65.71 for the 8x8-R50 models at 256 x 256);
 * - the offline twin (`predictTwin`): the 'valid' network's `forward` over a window of at least
 *   its receptive field, whose last output the stream reproduces to float rounding.
 *
 * The twin and the phase of alpha: CoSlowFast's Slow pathway keeps every alpha-th frame counted
 * from the stream's start, and a clip keeps every alpha-th frame counted from its own first
 * frame, so a window reproduces the stream only when it starts at a multiple of alpha steps
 * after the last reset. `info.twinLength` is therefore receptiveField + alpha - 1, and
 * `predictTwin` keeps, of the frames it is given, the last receptiveField + ((n -
 * receptiveField) mod alpha), n being the steps taken since the reset: the window that starts
 * in phase, assuming (as compare mode does) that the clip ends at the newest frame given to
 * `step`. Before n reaches the receptive field, and for CoSlow (alpha 1), it keeps the last
 * receptiveField frames.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CoModule, FlopCount, FrameShape } from '../../continual/module';
import type { ActionModel, ModelInfo } from '../action-model';
import { lastClipOutput } from '../last-output';
import type { FetchLike } from '../weights/load-weights';
import { loadKinetics400Labels } from '../x3d/cox3d-registry';
import { buildSlow } from './slow';
import { buildSlowFast } from './slowfast';
import {
  SLOWFAST_SMALL,
  SLOW_SMALL,
  slowFrames,
  type SlowConfig,
  type SlowFastConfig,
} from './slowfast-config';

/** The last `length` frames of a clip [1, T, H, W, C] (T >= length). */
function lastFrames(clip: tf.Tensor5D, length: number): tf.Tensor5D {
  const [n, frames, h, w, c] = clip.shape;
  return tf.slice(clip, [0, frames - length, 0, 0, 0], [n, length, h, w, c]);
}

/** See the file comment. */
export class SlowFastActionModel implements ActionModel {
  readonly flopsPerStep: FlopCount;
  readonly flopsPerClip: FlopCount;
  readonly stateBytes: number;
  /** Steps taken since the last reset (the stream's phase, for the twin). */
  private steps = 0;

  /**
   * @param network the 'valid' network (the online mode and the twin).
   * @param clipNetwork the 'same' network with the same weights (the published clip model).
   * @param alpha the Slow pathway's frame stride (1 for CoSlow).
   * Both networks are owned by the model from now on.
   */
  constructor(
    readonly info: ModelInfo,
    readonly network: CoModule,
    readonly clipNetwork: CoModule,
    readonly alpha: number,
  ) {
    for (const net of [network, clipNetwork]) {
      const out = net.outputShape(info.input);
      if (out.height !== 1 || out.width !== 1 || out.channels !== info.labels.length) {
        throw new Error(
          `${info.id}: the network maps a frame to ${out.height}x${out.width}x${out.channels}, not to ${info.labels.length} logits.`,
        );
      }
    }
    if (network.stride !== 1 || network.padding.start !== 0 || network.padding.end !== 0) {
      throw new Error(
        `${info.id}: the online network must be unpadded with stride 1 (the 'valid' form).`,
      );
    }
    if (!Number.isInteger(alpha) || alpha < 1) {
      throw new Error(`${info.id}: alpha must be a positive integer, got ${alpha}.`);
    }
    if (info.twinLength !== network.receptiveField + alpha - 1) {
      throw new Error(
        `${info.id}: twinLength must be the receptive field + alpha - 1 = ${network.receptiveField + alpha - 1}, not ${info.twinLength}.`,
      );
    }
    this.flopsPerStep = network.flopsPerStep(info.input);
    this.flopsPerClip = clipNetwork.flopsPerClip(info.input, info.clipLength);
    this.stateBytes = network.stateBytes(info.input);
  }

  step(frame: tf.Tensor4D): tf.Tensor2D | null {
    const out = this.network.forwardStep(frame);
    this.steps++;
    if (out === null) return null;
    const logits = tf.reshape(out, [1, this.info.labels.length]) as tf.Tensor2D;
    out.dispose();
    return logits;
  }

  predictClip(clip: tf.Tensor5D): tf.Tensor2D {
    const length = this.info.clipLength;
    if (clip.shape[1] < length) {
      throw new Error(
        `${this.info.id}: a clip of ${clip.shape[1]} frames is shorter than the clip model's ${length}.`,
      );
    }
    const window = lastFrames(clip, length);
    try {
      return lastClipOutput(this.clipNetwork, window, this.info.labels.length, this.info.id);
    } finally {
      window.dispose();
    }
  }

  /**
   * Frames of the twin window for a clip of `frames` frames: the in-phase window (see the file
   * comment), or where the clip is shorter, the longest in-phase window that fits, or else the
   * whole clip (out of phase: the clip holds too few frames for any other choice).
   */
  twinWindow(frames: number): number {
    const rf = this.network.receptiveField;
    let length = this.steps < rf ? rf : rf + ((this.steps - rf) % this.alpha);
    while (length > frames && length - this.alpha >= rf) length -= this.alpha;
    return Math.min(length, frames);
  }

  predictTwin(clip: tf.Tensor5D): tf.Tensor2D {
    const window = lastFrames(clip, this.twinWindow(clip.shape[1]));
    try {
      return lastClipOutput(this.network, window, this.info.labels.length, `${this.info.id} twin`);
    } finally {
      window.dispose();
    }
  }

  resetState(): void {
    this.network.resetState();
    this.steps = 0;
  }

  dispose(): void {
    this.network.dispose();
    this.clipNetwork.dispose();
  }
}

/** Options of {@link createCoSlowModel} and {@link createCoSlowFastModel}. */
export interface SlowFastModelOptions<C> {
  readonly config: C;
  /** One class name per logit. */
  readonly labels: readonly string[];
  /** Registry id; default 'co' + config.id (e.g. 'coslow-small'). */
  readonly id?: string;
  /** Seed of the weights; default 0. */
  readonly seed?: number;
}

function checkLabels(config: { id: string; numClasses: number }, labels: readonly string[]): void {
  if (labels.length !== config.numClasses) {
    throw new Error(`${config.id}: expected ${config.numClasses} labels, got ${labels.length}.`);
  }
}

function describe(
  name: string,
  paper: string,
  view: string,
  config: { frames: number; size: number },
): string {
  return (
    `${name} (${paper}) at ${config.frames}x${config.size}x${config.size}${view}, untrained: ` +
    `seeded weights, for cost and speed only; its predictions mean nothing.`
  );
}

/** A built pair of forms (online 'valid', clip 'same'), as both builders return them. */
interface BuiltPair {
  readonly online: { readonly network: CoModule; readonly params: number };
  readonly clip: { readonly network: CoModule };
}

/** Builds the 'valid' then the 'same' form; on a failure frees what was built. */
function buildPair(
  build: (form: 'valid' | 'same') => { network: CoModule; params: number },
): BuiltPair {
  const online = build('valid');
  try {
    return { online, clip: build('same') };
  } catch (e) {
    online.network.dispose();
    throw e;
  }
}

/** Wraps a built pair in a model; on a failure frees both networks. */
function wrap(info: ModelInfo, pair: BuiltPair, alpha: number): SlowFastActionModel {
  try {
    return new SlowFastActionModel(info, pair.online.network, pair.clip.network, alpha);
  } catch (e) {
    pair.online.network.dispose();
    pair.clip.network.dispose();
    throw e;
  }
}

/** Builds CoSlow for `config` (seeded weights; see the file comment). */
export function createCoSlowModel(options: SlowFastModelOptions<SlowConfig>): SlowFastActionModel {
  const { config, labels } = options;
  checkLabels(config, labels);
  const seed = options.seed ?? 0;
  const pair = buildPair((temporalForm) => buildSlow(config, { temporalForm, seed }));
  const name = `Co${config.displayName}`;
  const input: FrameShape = { height: config.size, width: config.size, channels: 3 };
  const info: ModelInfo = {
    id: options.id ?? `co${config.id}`,
    displayName: `${name} (untrained)`,
    labels,
    input,
    frameRate: config.frameRate,
    clipLength: config.frames,
    twinLength: pair.online.network.receptiveField,
    trained: false,
    params: pair.online.params,
    description: describe(
      name,
      'the Slow pathway of SlowFast, Feichtenhofer et al. 2019',
      '',
      config,
    ),
  };
  return wrap(info, pair, 1);
}

/** Builds CoSlowFast for `config` (seeded weights; see the file comment). */
export function createCoSlowFastModel(
  options: SlowFastModelOptions<SlowFastConfig>,
): SlowFastActionModel {
  const { config, labels } = options;
  checkLabels(config, labels);
  const seed = options.seed ?? 0;
  const pair = buildPair((temporalForm) => buildSlowFast(config, { temporalForm, seed }));
  const name = `Co${config.displayName}`;
  const input: FrameShape = { height: config.size, width: config.size, channels: 3 };
  const info: ModelInfo = {
    id: options.id ?? `co${config.id}`,
    displayName: `${name} (untrained)`,
    labels,
    input,
    frameRate: config.frameRate,
    clipLength: config.frames,
    twinLength: pair.online.network.receptiveField + config.alpha - 1,
    trained: false,
    params: pair.online.params,
    description: describe(
      name,
      'Feichtenhofer et al. 2019',
      `, its Slow pathway 1 frame in ${config.alpha} (${slowFrames(config)} per view)`,
      config,
    ),
  };
  return wrap(info, pair, config.alpha);
}

/** Registry ids of the browser-live models and their configurations. */
export const SLOWFAST_MODELS: Readonly<
  Record<
    string,
    { kind: 'slow'; config: SlowConfig } | { kind: 'slowfast'; config: SlowFastConfig }
  >
> = {
  'coslow-small': { kind: 'slow', config: SLOW_SMALL },
  'coslowfast-small': { kind: 'slowfast', config: SLOWFAST_SMALL },
};

/**
 * Creates the model `id` (a key of {@link SLOWFAST_MODELS}) with seeded weights and the
 * Kinetics-400 labels from `weightsBase` (nothing else is downloaded).
 */
export async function loadSlowFastModel(
  id: string,
  weightsBase: string,
  fetchImpl?: FetchLike,
): Promise<SlowFastActionModel> {
  const entry = SLOWFAST_MODELS[id];
  if (entry === undefined) {
    throw new Error(
      `Unknown Slow/SlowFast model "${id}": ${Object.keys(SLOWFAST_MODELS).join(', ')}.`,
    );
  }
  const labels = await loadKinetics400Labels(weightsBase, fetchImpl);
  return entry.kind === 'slow'
    ? createCoSlowModel({ config: entry.config, labels, id })
    : createCoSlowFastModel({ config: entry.config, labels, id });
}
