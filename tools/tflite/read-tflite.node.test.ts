import { existsSync, readFileSync } from 'node:fs';
import { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL } from './convert-movinet';
import { readTflite } from './read-tflite';

/** Builds a small TFLite flatbuffer by hand, with field slots as in schema.fbs. */
function syntheticModel(): Uint8Array {
  const b = new Builder(1024);
  const ints = (values: number[]) => {
    b.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i] ?? 0);
    return b.endVector();
  };
  const floats = (values: number[]) => {
    b.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i] ?? 0);
    return b.endVector();
  };
  const longs = (values: bigint[]) => {
    b.startVector(8, values.length, 8);
    for (let i = values.length - 1; i >= 0; i--) b.addInt64(values[i] ?? 0n);
    return b.endVector();
  };
  const offsets = (values: number[]) => {
    b.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) b.addOffset(values[i] ?? 0);
    return b.endVector();
  };

  // QuantizationParameters: min 0, max 1, scale 2, zero_point 3, details 4/5, quantized_dimension 6.
  const scale = floats([0.5, 0.25, 2]);
  const zp = longs([0n, -3n, 7n]);
  b.startObject(7);
  b.addFieldOffset(2, scale, 0);
  b.addFieldOffset(3, zp, 0);
  b.addFieldInt32(6, 0, 0);
  const quant = b.endObject();

  // Tensor: shape 0, type 1, buffer 2, name 3, quantization 4, is_variable 5.
  const tensor = (name: string, shape: number[], type: number, buffer: number, q?: number) => {
    const n = b.createString(name);
    const s = ints(shape);
    b.startObject(6);
    b.addFieldOffset(0, s, 0);
    b.addFieldInt8(1, type, 0);
    b.addFieldInt32(2, buffer, 0);
    b.addFieldOffset(3, n, 0);
    if (q !== undefined) b.addFieldOffset(4, q, 0);
    return b.endObject();
  };
  const t0 = tensor('input', [1, 4, 4, 2], 0, 0);
  const t1 = tensor('filter;fused/name', [3, 1, 1, 2], 9, 1, quant);
  const t2 = tensor('output', [1, 1, 2, 3], 0, 0);

  // Conv2DOptions: padding 0, stride_w 1, stride_h 2, fused_activation_function 3, dilations 4, 5.
  b.startObject(6);
  b.addFieldInt8(0, 1, 0); // VALID
  b.addFieldInt32(1, 2, 0);
  b.addFieldInt32(2, 3, 0);
  b.addFieldInt8(3, 3, 0); // RELU6
  const convOptions = b.endObject();

  // Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4.
  const op0In = ints([0, 1, -1]);
  const op0Out = ints([2]);
  b.startObject(5);
  b.addFieldInt32(0, 0, 0);
  b.addFieldOffset(1, op0In, 0);
  b.addFieldOffset(2, op0Out, 0);
  b.addFieldInt8(3, 1, 0); // Conv2DOptions
  b.addFieldOffset(4, convOptions, 0);
  const op0 = b.endObject();
  const op1In = ints([2]);
  const op1Out = ints([0]);
  b.startObject(5);
  b.addFieldInt32(0, 1, 0);
  b.addFieldOffset(1, op1In, 0);
  b.addFieldOffset(2, op1Out, 0);
  const op1 = b.endObject();

  // SubGraph: tensors 0, inputs 1, outputs 2, operators 3, name 4.
  const tensors = offsets([t0, t1, t2]);
  const sgIn = ints([0]);
  const sgOut = ints([2]);
  const ops = offsets([op0, op1]);
  const sgName = b.createString('main');
  b.startObject(5);
  b.addFieldOffset(0, tensors, 0);
  b.addFieldOffset(1, sgIn, 0);
  b.addFieldOffset(2, sgOut, 0);
  b.addFieldOffset(3, ops, 0);
  b.addFieldOffset(4, sgName, 0);
  const subgraph = b.endObject();

  // OperatorCode: deprecated_builtin_code 0, custom_code 1, version 2, builtin_code 3.
  b.startObject(4);
  b.addFieldInt8(0, 3, 0); // CONV_2D in the old byte field only
  const code0 = b.endObject();
  b.startObject(4);
  b.addFieldInt8(0, 127, 0); // placeholder: the real code is in the int field
  b.addFieldInt32(3, 132, 0); // CONV_3D
  const code1 = b.endObject();

  // Buffer: data 0.
  b.startObject(3);
  const buffer0 = b.endObject();
  const data = b.createByteVector(new Uint8Array([1, 2, 0xff, 4, 5, 6]));
  b.startObject(3);
  b.addFieldOffset(0, data, 0);
  const buffer1 = b.endObject();

  // TensorMap: name 0, tensor_index 1. SignatureDef: inputs 0, outputs 1, key 2, subgraph 4.
  const mapName = b.createString('x');
  b.startObject(2);
  b.addFieldOffset(0, mapName, 0);
  b.addFieldInt32(1, 0, 0);
  const mapIn = b.endObject();
  const outName = b.createString('y');
  b.startObject(2);
  b.addFieldOffset(0, outName, 0);
  b.addFieldInt32(1, 2, 0);
  const mapOut = b.endObject();
  const sigIn = offsets([mapIn]);
  const sigOut = offsets([mapOut]);
  const key = b.createString('serving_default');
  b.startObject(5);
  b.addFieldOffset(0, sigIn, 0);
  b.addFieldOffset(1, sigOut, 0);
  b.addFieldOffset(2, key, 0);
  const signature = b.endObject();

  // Metadata: name 0, buffer 1.
  const metaName = b.createString('min_runtime_version');
  b.startObject(2);
  b.addFieldOffset(0, metaName, 0);
  b.addFieldInt32(1, 1, 0);
  const metadata = b.endObject();

  // Model: version 0, operator_codes 1, subgraphs 2, description 3, buffers 4, metadata 6, sigs 7.
  const codes = offsets([code0, code1]);
  const subgraphs = offsets([subgraph]);
  const description = b.createString('synthetic');
  const buffers = offsets([buffer0, buffer1]);
  const metas = offsets([metadata]);
  const sigs = offsets([signature]);
  b.startObject(8);
  b.addFieldInt32(0, 3, 0);
  b.addFieldOffset(1, codes, 0);
  b.addFieldOffset(2, subgraphs, 0);
  b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, buffers, 0);
  b.addFieldOffset(6, metas, 0);
  b.addFieldOffset(7, sigs, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array();
}

describe('readTflite on a hand-built flatbuffer', () => {
  const model = readTflite(syntheticModel());
  const sg = model.subgraphs[0];

  it('reads the model header, buffers, metadata and signature', () => {
    expect(model.version).toBe(3);
    expect(model.description).toBe('synthetic');
    expect(model.buffers.map((b) => Array.from(b))).toEqual([[], [1, 2, 255, 4, 5, 6]]);
    expect(model.metadata).toEqual([{ name: 'min_runtime_version', buffer: 1 }]);
    expect(model.signatureDefs).toEqual([
      {
        key: 'serving_default',
        subgraphIndex: 0,
        inputs: [{ name: 'x', tensorIndex: 0 }],
        outputs: [{ name: 'y', tensorIndex: 2 }],
      },
    ]);
  });

  it('reads tensors with types, shapes, buffers and per-channel quantization', () => {
    expect(sg?.name).toBe('main');
    expect(sg?.inputs).toEqual([0]);
    expect(sg?.outputs).toEqual([2]);
    expect(sg?.tensors.map((t) => [t.index, t.name, t.type, t.shape, t.buffer])).toEqual([
      [0, 'input', 'FLOAT32', [1, 4, 4, 2], 0],
      [1, 'filter;fused/name', 'INT8', [3, 1, 1, 2], 1],
      [2, 'output', 'FLOAT32', [1, 1, 2, 3], 0],
    ]);
    expect(sg?.tensors[0]?.quantization).toBeNull();
    expect(sg?.tensors[1]?.quantization).toEqual({
      scale: [0.5, 0.25, 2],
      zeroPoint: [0, -3, 7],
      quantizedDimension: 0,
      min: [],
      max: [],
    });
  });

  it('reads operators, old and extended opcodes, optional inputs and conv options', () => {
    expect(sg?.operators.map((op) => [op.index, op.opcode, op.inputs, op.outputs])).toEqual([
      [0, 'CONV_2D', [0, 1, -1], [2]],
      [1, 'CONV_3D', [2], [0]],
    ]);
    expect(sg?.operators[0]?.options).toEqual({
      kind: 'Conv2D',
      padding: 'VALID',
      strideW: 2,
      strideH: 3,
      activation: 'RELU6',
      dilationW: 1, // absent fields take the schema defaults
      dilationH: 1,
    });
    expect(sg?.operators[1]?.options).toEqual({ kind: 'None' });
  });

  it('rejects files that are not TFLite', () => {
    const bytes = syntheticModel().slice();
    bytes[4] = 'X'.charCodeAt(0);
    expect(() => readTflite(bytes)).toThrow('identifier is not TFL3');
    expect(() => readTflite(new Uint8Array(4))).toThrow('too short');
  });
});

const present = existsSync(DEFAULT_MODEL);

// The shared model lives outside the repository (../shared/models/movinet-a0-stream/).
describe.skipIf(!present)('readTflite on movinet_a0_stream_int8.tflite (skipped if absent)', () => {
  const model = present ? readTflite(new Uint8Array(readFileSync(DEFAULT_MODEL))) : null;
  const sg = model?.subgraphs[0];

  it('has the sizes and op histogram of SOURCE.md', () => {
    expect(model?.version).toBe(3);
    expect(model?.description).toBe('MLIR Converted.');
    expect(model?.subgraphs).toHaveLength(1);
    expect(sg?.operators).toHaveLength(227);
    expect(sg?.tensors).toHaveLength(452);
    expect(model?.buffers).toHaveLength(455);
    const histogram: Record<string, number> = {};
    for (const op of sg?.operators ?? []) histogram[op.opcode] = (histogram[op.opcode] ?? 0) + 1;
    expect(histogram).toEqual({
      RESHAPE: 74,
      CONV_2D: 38,
      DEPTHWISE_CONV_2D: 26,
      ADD: 17,
      MUL: 16,
      QUANTIZE: 14,
      DEQUANTIZE: 13,
      CONCATENATION: 11,
      STRIDED_SLICE: 11,
      AVERAGE_POOL_2D: 4,
      SUM: 1,
      CAST: 1,
      DIV: 1,
    });
    expect(model?.metadata.map((m) => m.name)).toEqual([
      'min_runtime_version',
      'CONVERSION_METADATA',
    ]);
    expect(new TextDecoder().decode(model?.buffers[453]).replace(/\0+$/, '')).toBe('2.3.0');
  });

  it('has the serving_default signature with 44 inputs and 44 outputs', () => {
    const sig = model?.signatureDefs[0];
    expect(sig?.key).toBe('serving_default');
    expect(sig?.inputs).toHaveLength(44);
    expect(sig?.outputs).toHaveLength(44);
    const byName = new Map(sig?.inputs.map((e) => [e.name, sg?.tensors[e.tensorIndex]]));
    expect(byName.get('image')?.shape).toEqual([1, 1, 172, 172, 3]);
    expect(byName.get('image')?.type).toBe('FLOAT32');
    expect(byName.get('state_block2_layer0_stream_buffer')?.shape).toEqual([1, 4, 11, 11, 184]);
    expect(byName.get('state_head_pool_frame_count')?.type).toBe('INT32');
    const logits = sig?.outputs.find((e) => e.name === 'logits');
    expect(sg?.tensors[logits?.tensorIndex ?? -1]?.shape).toEqual([1, 600]);
    // 30 states pass straight through: their output is the input tensor itself.
    const inputs = new Map(sig?.inputs.map((e) => [e.name, e.tensorIndex]));
    const passthrough = sig?.outputs.filter((e) => inputs.get(e.name) === e.tensorIndex) ?? [];
    expect(passthrough).toHaveLength(30);
    expect(passthrough.every((e) => /_pool_(buffer|frame_count)$/.test(e.name))).toBe(true);
  });

  it('decodes the stem conv and its per-channel weights', () => {
    const stem = sg?.operators[14];
    expect(stem?.opcode).toBe('CONV_2D');
    expect(stem?.options).toEqual({
      kind: 'Conv2D',
      padding: 'SAME',
      strideW: 2,
      strideH: 2,
      activation: 'RELU6',
      dilationW: 1,
      dilationH: 1,
    });
    const filter = sg?.tensors[stem?.inputs[1] ?? -1];
    expect(filter?.type).toBe('INT8');
    expect(filter?.shape).toEqual([8, 3, 3, 3]);
    expect(filter?.quantization?.scale).toHaveLength(8);
    expect(filter?.quantization?.zeroPoint).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(filter?.quantization?.quantizedDimension).toBe(0);
    expect(model?.buffers[filter?.buffer ?? 0]?.length).toBe(216);
    const dw = sg?.operators[16];
    expect(dw?.options.kind).toBe('DepthwiseConv2D');
    expect(sg?.tensors[dw?.inputs[1] ?? -1]?.quantization?.quantizedDimension).toBe(3);
  });
});
