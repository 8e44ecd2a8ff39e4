import * as tf from '@tensorflow/tfjs-core';
import type { CoModule, FlopCount } from '../continual/module';
import type { ActionModel, ModelInfo } from './action-model';
import { lastClipOutput } from './last-output';

/**
 * An {@link ActionModel} over any continual network whose frames map to logits [1, 1, 1, K]:
 * online mode is the network's `forwardStep`, offline mode its `forward` over the clip, keeping
 * the last output of the window (for a causal network that is the stream's output after T
 * frames from a fresh state; for a CoX3D network the clip model's single output).
 */
export class ContinualActionModel implements ActionModel {
  readonly flopsPerStep: FlopCount;
  readonly flopsPerClip: FlopCount;
  readonly stateBytes: number;

  constructor(
    readonly info: ModelInfo,
    readonly network: CoModule,
  ) {
    if (info.twinLength !== info.clipLength) {
      throw new Error(
        `${info.id}: the twin of a ContinualActionModel is its clip model (twinLength ${info.twinLength} != clipLength ${info.clipLength}).`,
      );
    }
    const out = network.outputShape(info.input);
    if (out.height !== 1 || out.width !== 1 || out.channels !== info.labels.length) {
      throw new Error(
        `${info.id}: the network maps a frame to ${out.height}x${out.width}x${out.channels}, not to ${info.labels.length} logits.`,
      );
    }
    this.flopsPerStep = network.flopsPerStep(info.input);
    this.flopsPerClip = network.flopsPerClip(info.input, info.clipLength);
    this.stateBytes = network.stateBytes(info.input);
  }

  step(frame: tf.Tensor4D): tf.Tensor2D | null {
    const out = this.network.forwardStep(frame);
    if (out === null) return null;
    const logits = tf.reshape(out, [1, this.info.labels.length]) as tf.Tensor2D;
    out.dispose();
    return logits;
  }

  predictClip(clip: tf.Tensor5D): tf.Tensor2D {
    return lastClipOutput(this.network, clip, this.info.labels.length, this.info.id);
  }

  /** The same computation as {@link predictClip}: for this model the twin is the clip baseline. */
  predictTwin(clip: tf.Tensor5D): tf.Tensor2D {
    return this.predictClip(clip);
  }

  resetState(): void {
    this.network.resetState();
  }

  dispose(): void {
    this.network.dispose();
  }
}
