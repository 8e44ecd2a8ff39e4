/**
 * Shape arithmetic shared by the convolution and pooling modules: output sizes and multiply-add
 * counts computed from shapes alone, so FLOP figures are derived, never typed in.
 */
import type { FrameShape } from './module';

/**
 * Spatial padding of a convolution or pooling window in H and W.
 * - `'same'`: TensorFlow SAME, output = ceil(input / stride); odd total padding puts the extra
 *   row/column at the bottom/right (asymmetric for stride 2).
 * - `'valid'`: no padding.
 * - a number `p`: explicit symmetric zero padding of `p` on every side (PyTorch style).
 */
export type SpatialPadding = 'same' | 'valid' | number;

/**
 * Output length of a window of `kernel` sliding with `stride` over `size` input positions.
 * Throws when the window does not fit (no output), so a wrong shape fails where it is made.
 */
export function spatialOutputSize(
  size: number,
  kernel: number,
  stride: number,
  padding: SpatialPadding,
): number {
  let out: number;
  if (padding === 'same') out = Math.ceil(size / stride);
  else {
    const pad = padding === 'valid' ? 0 : padding;
    out = Math.floor((size + 2 * pad - kernel) / stride) + 1;
  }
  if (!(out >= 1)) {
    throw new Error(
      `A window of ${kernel} with stride ${stride} and padding ${String(padding)} does not fit an input of ${size}.`,
    );
  }
  return out;
}

/**
 * Total zero padding [before, after] of one spatial axis, as TensorFlow SAME computes it (the
 * extra element goes after) or as the explicit/valid modes state it.
 */
export function spatialPadAmounts(
  size: number,
  kernel: number,
  stride: number,
  padding: SpatialPadding,
): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (typeof padding === 'number') return [padding, padding];
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + kernel - size);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Number of elements of a frame (one batch item): height * width * channels. */
export function frameElements(shape: FrameShape): number {
  return shape.height * shape.width * shape.channels;
}

/**
 * Multiply-adds of a (grouped) convolution producing one output frame of shape `output`: every
 * output element is a dot product over `taps` kernel positions (kt * kh * kw) and
 * `inChannels / groups` input channels.
 */
export function convMacsPerOutputFrame(
  output: FrameShape,
  taps: number,
  inChannels: number,
  groups: number,
): number {
  return frameElements(output) * taps * (inChannels / groups);
}
