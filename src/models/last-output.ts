import * as tf from '@tensorflow/tfjs-core';
import { clipOutputLength } from '../continual/base';
import type { CoModule } from '../continual/module';

/**
 * Runs `network.forward` over `clip` and returns the logits [1, classes] of its last output:
 * what a clip-based system reports for the window's newest frame. Throws a sentence naming
 * `what` when the clip is too short to give any output.
 */
export function lastClipOutput(
  network: CoModule,
  clip: tf.Tensor5D,
  classes: number,
  what: string,
): tf.Tensor2D {
  // Checked before running: some backends fail on the empty tensors inside (wasm divides by 0).
  if (
    clipOutputLength(clip.shape[1], network.receptiveField, network.padding, network.stride) < 1
  ) {
    throw new Error(
      `${what}: a clip of ${clip.shape[1]} frames is shorter than the network's receptive field (${network.receptiveField}).`,
    );
  }
  const out = network.forward(clip);
  try {
    const length = out.shape[1];
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
