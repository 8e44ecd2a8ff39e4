/**
 * Pixels to model input: RGB in [0, 1], a centred square crop, resized to the model's frame size.
 * Runs in the worker, on whatever backend is active.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FrameShape } from '../continual/module';
import { centerSquare } from '../video/crop';
import { isImageBitmap, type FramePixels } from './protocol';

/** The pixels as an int32 tensor [H, W, 3] (alpha dropped). */
function pixelsToTensor(pixels: FramePixels): tf.Tensor3D {
  if (isImageBitmap(pixels)) return tf.browser.fromPixels(pixels, 3);
  const { data, width, height } = pixels;
  // fromPixels wants a Uint8Array; a view over the same bytes avoids a copy.
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return tf.browser.fromPixels({ data: bytes, width, height }, 3);
}

/**
 * Converts pixels to a model frame [1, H, W, 3], float32 in [0, 1]: crops the centred square,
 * resizes it bilinearly (half-pixel centres, as TF 2 and the training pipelines resize) to the
 * model input, and scales by 1/255. The caller owns the result; the pixels are not closed.
 */
export function preprocessFrame(pixels: FramePixels, input: FrameShape): tf.Tensor4D {
  if (input.channels !== 3) {
    throw new Error(`Models take RGB frames (3 channels), this one wants ${input.channels}.`);
  }
  return tf.tidy(() => {
    const rgb = pixelsToTensor(pixels);
    const [height, width] = rgb.shape;
    const box = centerSquare(width, height);
    const square =
      box.size === width && box.size === height
        ? rgb
        : tf.slice(rgb, [box.y, box.x, 0], [box.size, box.size, 3]);
    const scaled = tf.div(tf.cast(square, 'float32'), 255);
    const batch = tf.expandDims(scaled, 0) as tf.Tensor4D;
    if (box.size === input.height && box.size === input.width) return batch;
    return tf.image.resizeBilinear(batch, [input.height, input.width], false, true);
  });
}
