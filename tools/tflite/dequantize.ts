/**
 * Raw constant data of TFLite tensors and their dequantization to float32:
 * real = scale[c] * (q - zero_point[c]), with c the index along `quantized_dimension` when the
 * tensor has one scale per channel, else 0.
 */
import type { TfliteModel, TfliteTensor } from './tflite-schema';

/** The constant bytes of `t`; throws if it has none (a run-time tensor). */
export function constantBytes(model: TfliteModel, t: TfliteTensor): Uint8Array {
  const bytes = model.buffers[t.buffer];
  if (bytes === undefined || bytes.length === 0) {
    throw new Error(`tensor #${t.index} "${t.name}" has no constant data`);
  }
  return bytes;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkSize(t: TfliteTensor, bytes: Uint8Array, width: number): void {
  if (bytes.length !== elementCount(t.shape) * width) {
    throw new Error(`tensor #${t.index}: ${bytes.length} bytes for ${t.type}[${t.shape}]`);
  }
}

/** int8 values of a constant tensor. */
export function int8Values(model: TfliteModel, t: TfliteTensor): Int8Array {
  if (t.type !== 'INT8') throw new Error(`tensor #${t.index} is ${t.type}, not INT8`);
  const bytes = constantBytes(model, t);
  checkSize(t, bytes, 1);
  return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length).slice();
}

/** int32 values of a constant tensor (read little-endian, whatever the alignment). */
export function int32Values(model: TfliteModel, t: TfliteTensor): Int32Array {
  if (t.type !== 'INT32') throw new Error(`tensor #${t.index} is ${t.type}, not INT32`);
  const bytes = constantBytes(model, t);
  checkSize(t, bytes, 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return Int32Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(4 * i, true));
}

/** Dequantizes integer values `q` of tensor `t` with its (per-tensor or per-channel) params. */
export function dequantize(t: TfliteTensor, q: Int8Array | Int32Array): Float32Array {
  const quant = t.quantization;
  if (quant === null || quant.scale.length === 0) {
    throw new Error(`tensor #${t.index} "${t.name}" is not quantized`);
  }
  if (q.length !== elementCount(t.shape)) {
    throw new Error(`tensor #${t.index}: ${q.length} values for shape [${t.shape}]`);
  }
  const channels = quant.scale.length;
  if (quant.zeroPoint.length !== channels) {
    throw new Error(
      `tensor #${t.index}: ${channels} scales but ${quant.zeroPoint.length} zero points`,
    );
  }
  const dim = quant.quantizedDimension;
  if (channels > 1 && t.shape[dim] !== channels) {
    throw new Error(`tensor #${t.index}: ${channels} scales for dimension ${dim} of [${t.shape}]`);
  }
  // Elements of one channel repeat every `inner` values along the flattened tensor.
  const inner = elementCount(t.shape.slice(dim + 1));
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    out[i] = (quant.scale[c] ?? 0) * ((q[i] ?? 0) - (quant.zeroPoint[c] ?? 0));
  }
  return out;
}

/** Permutes the axes of a row-major array: out shape[k] = shape[perm[k]]. */
export function transpose(
  data: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  if (perm.length !== shape.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new Error(`perm [${perm}] is not a permutation of ${shape.length} axes`);
  }
  const rank = shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let k = rank - 2; k >= 0; k--) strides[k] = (strides[k + 1] ?? 1) * (shape[k + 1] ?? 1);
  const outShape = perm.map((p) => shape[p] ?? 1);
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += (index[k] ?? 0) * (strides[perm[k] ?? 0] ?? 0);
    out[o] = data[src] ?? 0;
    // Advance the output multi-index, last axis fastest.
    for (let k = rank - 1; k >= 0; k--) {
      index[k] = (index[k] ?? 0) + 1;
      if ((index[k] ?? 0) < (outShape[k] ?? 1)) break;
      index[k] = 0;
    }
  }
  return out;
}
