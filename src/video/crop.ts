/**
 * The centred square crop shared by the frame pump (which grabs it) and the worker's
 * preprocessing (which repeats it for frames that arrive uncropped), so both cut the same pixels.
 */

/** A square of source pixels. */
export interface CropBox {
  readonly x: number;
  readonly y: number;
  readonly size: number;
}

/**
 * The largest centred square of a `width` x `height` image. An odd leftover puts the extra pixel
 * after the square (floor).
 */
export function centerSquare(width: number, height: number): CropBox {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`An image needs a positive integer size, got ${width}x${height}.`);
  }
  const size = Math.min(width, height);
  return { x: Math.floor((width - size) / 2), y: Math.floor((height - size) / 2), size };
}
