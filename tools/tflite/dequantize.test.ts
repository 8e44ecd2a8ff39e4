import { describe, expect, it } from 'vitest';
import { constantBytes, dequantize, int32Values, int8Values, transpose } from './dequantize';
import type { Quantization, TfliteModel, TfliteTensor } from './tflite-schema';

function quant(scale: number[], zeroPoint: number[], quantizedDimension = 0): Quantization {
  return { scale, zeroPoint, quantizedDimension, min: [], max: [] };
}

function tensor(shape: number[], type: string, q: Quantization | null, buffer = 1): TfliteTensor {
  return { index: 5, name: 'w', shape, type, buffer, quantization: q, isVariable: false };
}

function model(data: Uint8Array): TfliteModel {
  return {
    version: 3,
    description: '',
    subgraphs: [],
    buffers: [new Uint8Array(0), data],
    signatureDefs: [],
    metadata: [],
  };
}

describe('int8Values / int32Values', () => {
  it('reads int8 and little-endian int32 constants, also from an unaligned view', () => {
    const file = new Uint8Array([9, 0xff, 0x80, 0x7f, 1, 0x04, 0x03, 0x02, 0x81]);
    const m = model(file.subarray(1, 9)); // starts at byte 1: not 4-byte aligned
    expect(Array.from(int8Values(m, tensor([8], 'INT8', null)))).toEqual([
      -1, -128, 127, 1, 4, 3, 2, -127,
    ]);
    expect(Array.from(int32Values(m, tensor([2], 'INT32', null)))).toEqual([
      0x017f80ff, -0x7efdfcfc,
    ]);
  });

  it('rejects wrong types, sizes and run-time tensors', () => {
    const m = model(new Uint8Array(8));
    expect(() => int8Values(m, tensor([8], 'INT32', null))).toThrow('is INT32, not INT8');
    expect(() => int32Values(m, tensor([8], 'INT8', null))).toThrow('is INT8, not INT32');
    expect(() => int8Values(m, tensor([4], 'INT8', null))).toThrow('8 bytes for INT8[4]');
    expect(() => int32Values(m, tensor([3], 'INT32', null))).toThrow('8 bytes for INT32[3]');
    expect(() => constantBytes(m, tensor([1], 'INT8', null, 0))).toThrow('has no constant data');
  });
});

describe('dequantize', () => {
  it('applies one scale per output channel on axis 0 (conv filters [out, kh, kw, in])', () => {
    const t = tensor([2, 1, 1, 3], 'INT8', quant([0.5, 0.25], [0, 0], 0));
    const q = Int8Array.from([1, -2, 127, -128, 4, 0]);
    expect(Array.from(dequantize(t, q))).toEqual([0.5, -1, 63.5, -32, 1, 0]);
  });

  it('applies one scale per channel on the last axis (depthwise filters [1, kh, kw, C])', () => {
    const t = tensor([1, 2, 1, 3], 'INT8', quant([1, 0.5, 0.25], [0, 0, 0], 3));
    const q = Int8Array.from([4, 4, 4, -8, -8, -8]);
    expect(Array.from(dequantize(t, q))).toEqual([4, 2, 1, -8, -4, -2]);
  });

  it('applies per-channel zero points and int32 values (biases)', () => {
    const t = tensor([3], 'INT32', quant([0.1, 2, 3], [0, 1, -1], 0));
    const out = dequantize(t, Int32Array.from([10, 1, -1]));
    expect(out[0]).toBeCloseTo(1, 6);
    expect(out[1]).toBe(0); // 2 * (1 - 1)
    expect(out[2]).toBe(0); // 3 * (-1 - (-1))
  });

  it('applies a per-tensor scale and zero point to every element', () => {
    const t = tensor([1, 1, 2, 2], 'INT8', quant([0.5], [127], 0));
    expect(Array.from(dequantize(t, Int8Array.from([127, -128, 0, 1])))).toEqual([
      0, -127.5, -63.5, -63,
    ]);
  });

  it('rounds the product to float32', () => {
    const t = tensor([1], 'INT8', quant([0.1], [0], 0));
    expect(dequantize(t, Int8Array.from([3]))[0]).toBe(Math.fround(0.1 * 3));
  });

  it('rejects missing or inconsistent quantization', () => {
    expect(() => dequantize(tensor([2], 'INT8', null), new Int8Array(2))).toThrow('not quantized');
    expect(() => dequantize(tensor([2], 'INT8', quant([], [])), new Int8Array(2))).toThrow(
      'not quantized',
    );
    expect(() => dequantize(tensor([2], 'INT8', quant([1], [0])), new Int8Array(3))).toThrow(
      '3 values for shape [2]',
    );
    expect(() => dequantize(tensor([2], 'INT8', quant([1, 2], [0])), new Int8Array(2))).toThrow(
      '2 scales but 1 zero points',
    );
    expect(() =>
      dequantize(tensor([2, 3], 'INT8', quant([1, 2], [0, 0], 1)), new Int8Array(6)),
    ).toThrow('2 scales for dimension 1 of [2,3]');
  });
});

describe('transpose', () => {
  it('moves the output axis of [out, kh, kw, in] last, like TF conv kernels', () => {
    // [2, 1, 2, 3] with value = 100*o + 10*x + i.
    const src = new Float32Array(12);
    for (let o = 0; o < 2; o++)
      for (let x = 0; x < 2; x++)
        for (let i = 0; i < 3; i++) src[o * 6 + x * 3 + i] = 100 * o + 10 * x + i;
    const out = transpose(src, [2, 1, 2, 3], [1, 2, 3, 0]); // -> [1, 2, 3, 2]
    expect(Array.from(out)).toEqual([0, 100, 1, 101, 2, 102, 10, 110, 11, 111, 12, 112]);
  });

  it('transposes a matrix and leaves the identity permutation alone', () => {
    const m = Float32Array.from([1, 2, 3, 4, 5, 6]); // [2, 3]
    expect(Array.from(transpose(m, [2, 3], [1, 0]))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(transpose(m, [2, 3], [0, 1]))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects a bad permutation', () => {
    const m = new Float32Array(6);
    expect(() => transpose(m, [2, 3], [0, 0])).toThrow('not a permutation');
    expect(() => transpose(m, [2, 3], [1, 0, 2])).toThrow('not a permutation');
    expect(() => transpose(m, [2, 3], [2, 1])).toThrow('not a permutation');
  });
});
