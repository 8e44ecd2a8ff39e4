/**
 * A tiny real ActionModel for the runtime's tests (imported by *.test.ts only): a causal CoConv3d,
 * a sliding global average pool over `clipLength` frames and a pointwise classifier, from seeded
 * weights. With a temporal kernel of 1 the online step over the last `clipLength` frames equals
 * the clip-based baseline exactly; with a longer kernel the clip's zero padding makes them differ.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CoConv3d } from '../continual/conv3d';
import { CoGlobalAvgPool } from '../continual/global-pool';
import { CoPointwiseConv } from '../continual/pointwise';
import { CoSequential } from '../continual/sequential';
import { seededTensor } from '../continual/testing';
import type { ActionModel, ModelInfo } from '../models/action-model';
import type { VariantInfo } from '../models/adapters/variant-info';

/** Options of {@link buildTinyModel}. */
export interface TinyModelOptions {
  /** Frame side (H = W), default 4. */
  readonly size?: number;
  /** Classes, default 6. */
  readonly classes?: number;
  /** Temporal kernel of the convolution, default 1. */
  readonly kt?: number;
  /** Frames of the clip-based baseline (and of the pool window), default 4. */
  readonly clipLength?: number;
  /** Weight seed, default 1. */
  readonly seed?: number;
  /** Busy-waits this long in every step, ms (a slow model). Default 0. */
  readonly stepDelayMs?: number;
  /** Called before every step with its 1-based count; throw from it to inject a failure. */
  readonly beforeStep?: (step: number) => void;
  /** Describes the model as a pruned variant (ModelInfo.variant). */
  readonly variant?: VariantInfo;
}

/** The tiny model, plus a flag set when it is disposed. */
export interface TinyModel extends ActionModel {
  readonly disposed: boolean;
  readonly steps: number;
}

/** Builds the tiny model (on the active backend). */
export function buildTinyModel(options: TinyModelOptions = {}): TinyModel {
  const size = options.size ?? 4;
  const classes = options.classes ?? 6;
  const kt = options.kt ?? 1;
  const clipLength = options.clipLength ?? 4;
  const seed = options.seed ?? 1;
  const head = seededTensor([4, classes], seed + 2, -3, 3);
  const network = new CoSequential('tiny', [
    new CoConv3d({
      name: 'conv',
      inChannels: 3,
      outChannels: 4,
      kernelSize: [kt, 3, 3],
      temporalPadding: 'causal',
      activation: 'relu',
      kernel: seededTensor([kt, 3, 3, 3, 4], seed),
      bias: seededTensor([4], seed + 1, 0, 0.5),
    }),
    new CoGlobalAvgPool({ name: 'pool', window: clipLength }),
    new CoPointwiseConv({ name: 'head', inChannels: 4, outChannels: classes, kernel: head }),
  ]);
  head.dispose();
  const input = { height: size, width: size, channels: 3 };
  const info: ModelInfo = {
    id: 'tiny',
    displayName: 'Tiny test model',
    labels: Array.from({ length: classes }, (_, i) => `class ${i}`),
    input,
    frameRate: 5,
    clipLength,
    twinLength: clipLength,
    trained: false,
    params: kt * 9 * 3 * 4 + 4 + 4 * classes,
    description: 'A seeded test network.',
    ...(options.variant !== undefined ? { variant: options.variant } : {}),
  };
  let disposed = false;
  let steps = 0;
  const delayMs = options.stepDelayMs ?? 0;
  return {
    info,
    network,
    get disposed() {
      return disposed;
    },
    get steps() {
      return steps;
    },
    step(frame) {
      steps++;
      options.beforeStep?.(steps);
      if (delayMs > 0) {
        const until = performance.now() + delayMs;
        while (performance.now() < until) {
          // A slow model: hold the thread as a heavy step would.
        }
      }
      const out = network.forwardStep(frame);
      if (out === null) return null;
      const logits = tf.reshape(out, [1, classes]) as tf.Tensor2D;
      out.dispose();
      return logits;
    },
    predictClip(clip) {
      return tf.tidy(() => {
        const out = network.forward(clip);
        const t = out.shape[1];
        return tf.reshape(tf.slice(out, [0, t - 1, 0, 0, 0], [1, 1, 1, 1, classes]), [
          1,
          classes,
        ]) as tf.Tensor2D;
      });
    },
    predictTwin(clip) {
      return this.predictClip(clip);
    },
    resetState() {
      network.resetState();
    },
    flopsPerStep: network.flopsPerStep(input),
    flopsPerClip: network.flopsPerClip(input, clipLength),
    stateBytes: network.stateBytes(input),
    dispose() {
      disposed = true;
      network.dispose();
    },
  };
}
