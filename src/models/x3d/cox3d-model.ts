/**
 * CoX3D as an {@link ActionModel}, with two offline counterparts built from one seed (so they
 * hold the same weights):
 * - the clip-based baseline as published (`predictClip`, `flopsPerClip`): X3D's clip model,
 *   temporal padding kt // 2, over the last T frames; its cost is the X3D paper's GFLOPs per view
 *   and the one continual inference saves against;
 * - the offline twin (`predictTwin`): the same unpadded network as the online mode, run as a
 *   clip model over its receptive field. CoX3D's outputs are defined as this clip model's (the
 *   CoX3D paper's equivalence), so twin and stream agree to float rounding.
 *
 * Why the twin is so much longer than T: without temporal padding, one output depends on every
 * frame its convs, squeeze-excitation windows and global pool reach back to (each 3x3x3 conv
 * adds two frames, each window T - 1), about 105 frames for CoX3D-XS.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CoModule, FlopCount } from '../../continual/module';
import type { ActionModel, ModelInfo } from '../action-model';
import { lastClipOutput } from '../last-output';
import { buildX3d, type X3dNetwork } from './x3d';
import type { X3dConfig } from './x3d-config';

/** Options of {@link createCoX3dModel}. */
export interface CoX3dModelOptions {
  readonly config: X3dConfig;
  /** One class name per logit. */
  readonly labels: readonly string[];
  /** Registry id; default 'co' + config.id (e.g. 'cox3d-s'). */
  readonly id?: string;
  /** Seed of the weights; default 0. */
  readonly seed?: number;
}

/** See the file comment. */
export class CoX3dModel implements ActionModel {
  readonly info: ModelInfo;
  readonly network: CoModule;
  /** The padded X3D clip model with the same weights (the clip-based baseline). */
  readonly clipNetwork: CoModule;
  readonly flopsPerStep: FlopCount;
  readonly flopsPerClip: FlopCount;
  readonly stateBytes: number;

  constructor(info: ModelInfo, online: X3dNetwork, clip: X3dNetwork) {
    if (online.temporalForm !== 'valid' || clip.temporalForm !== 'same') {
      throw new Error(`${info.id}: needs a 'valid' online network and a 'same' clip network.`);
    }
    for (const net of [online.network, clip.network]) {
      const out = net.outputShape(info.input);
      if (out.height !== 1 || out.width !== 1 || out.channels !== info.labels.length) {
        throw new Error(
          `${info.id}: the network maps a frame to ${out.height}x${out.width}x${out.channels}, not to ${info.labels.length} logits.`,
        );
      }
    }
    if (info.twinLength !== online.network.receptiveField) {
      throw new Error(
        `${info.id}: the twin needs the online network's receptive field (${online.network.receptiveField} frames), not ${info.twinLength}.`,
      );
    }
    this.info = info;
    this.network = online.network;
    this.clipNetwork = clip.network;
    this.flopsPerStep = online.network.flopsPerStep(info.input);
    this.flopsPerClip = clip.network.flopsPerClip(info.input, info.clipLength);
    this.stateBytes = online.network.stateBytes(info.input);
  }

  step(frame: tf.Tensor4D): tf.Tensor2D | null {
    const out = this.network.forwardStep(frame);
    if (out === null) return null;
    const logits = tf.reshape(out, [1, this.info.labels.length]) as tf.Tensor2D;
    out.dispose();
    return logits;
  }

  predictTwin(clip: tf.Tensor5D): tf.Tensor2D {
    return lastClipOutput(this.network, clip, this.info.labels.length, `${this.info.id} twin`);
  }

  predictClip(clip: tf.Tensor5D): tf.Tensor2D {
    const classes = this.info.labels.length;
    const out = this.clipNetwork.forward(clip);
    try {
      const length = out.shape[1];
      if (length === 0) {
        throw new Error(
          `${this.info.id}: a clip of ${clip.shape[1]} frames is shorter than the clip model's ${this.info.clipLength}.`,
        );
      }
      return tf.tidy(
        () =>
          tf.reshape(tf.slice(out, [0, length - 1, 0, 0, 0], [1, 1, 1, 1, classes]), [
            1,
            classes,
          ]) as tf.Tensor2D,
      );
    } finally {
      out.dispose();
    }
  }

  resetState(): void {
    this.network.resetState();
  }

  dispose(): void {
    this.network.dispose();
    this.clipNetwork.dispose();
  }
}

/**
 * Builds CoX3D for `config` with seeded weights (untrained; see seeded-weights.ts): the online
 * network pools over the last T = config.frames frames, the clip baseline runs over T frames.
 */
export function createCoX3dModel(options: CoX3dModelOptions): CoX3dModel {
  const { config, labels } = options;
  if (labels.length !== config.numClasses) {
    throw new Error(`${config.id}: expected ${config.numClasses} labels, got ${labels.length}.`);
  }
  const seed = options.seed ?? 0;
  const online = buildX3d(config, { temporalForm: 'valid', seed });
  let clip: X3dNetwork;
  try {
    clip = buildX3d(config, { temporalForm: 'same', seed });
  } catch (e) {
    online.network.dispose();
    throw e;
  }
  const name = `Co${config.displayName}`;
  const info: ModelInfo = {
    id: options.id ?? `co${config.id}`,
    displayName: `${name} (untrained)`,
    labels,
    input: { height: config.size, width: config.size, channels: 3 },
    frameRate: config.frameRate,
    clipLength: config.frames,
    twinLength: online.network.receptiveField,
    trained: false,
    params: online.params,
    description:
      `${name} (Hedegaard and Iosifidis 2022; ${config.displayName}, Feichtenhofer 2020) at ` +
      `${config.frames}x${config.size}x${config.size}, untrained: seeded weights, for cost and ` +
      `speed only; its predictions mean nothing.`,
  };
  try {
    return new CoX3dModel(info, online, clip);
  } catch (e) {
    online.network.dispose();
    clip.network.dispose();
    throw e;
  }
}
