/**
 * Reads a .tflite flatbuffer into plain objects (see tflite-schema.ts), with small hand-written
 * accessors over the `flatbuffers` runtime's ByteBuffer instead of generated code: we need only a
 * dozen tables and want every field we depend on to be visible and checked.
 */
import { ByteBuffer } from 'flatbuffers';
import {
  ACTIVATIONS,
  BUILTIN_OPTIONS,
  builtinName,
  tensorTypeName,
  type OperatorOptions,
  type Padding,
  type Quantization,
  type SignatureDef,
  type TensorMapEntry,
  type TfliteModel,
  type TfliteOperator,
  type TfliteSubgraph,
  type TfliteTensor,
} from './tflite-schema';

/** A flatbuffer table at `pos`; fields are addressed by their slot (declaration index). */
class FbTable {
  constructor(
    readonly bb: ByteBuffer,
    readonly pos: number,
  ) {}

  /** Byte offset of field `slot` inside the table, or 0 when the field is absent. */
  private field(slot: number): number {
    return this.bb.__offset(this.pos, 4 + 2 * slot);
  }

  has(slot: number): boolean {
    return this.field(slot) !== 0;
  }

  int8(slot: number, fallback = 0): number {
    const o = this.field(slot);
    return o === 0 ? fallback : this.bb.readInt8(this.pos + o);
  }

  uint8(slot: number, fallback = 0): number {
    const o = this.field(slot);
    return o === 0 ? fallback : this.bb.readUint8(this.pos + o);
  }

  bool(slot: number, fallback = false): boolean {
    const o = this.field(slot);
    return o === 0 ? fallback : this.bb.readUint8(this.pos + o) !== 0;
  }

  int32(slot: number, fallback = 0): number {
    const o = this.field(slot);
    return o === 0 ? fallback : this.bb.readInt32(this.pos + o);
  }

  uint32(slot: number, fallback = 0): number {
    const o = this.field(slot);
    return o === 0 ? fallback : this.bb.readUint32(this.pos + o);
  }

  uint64(slot: number): bigint {
    const o = this.field(slot);
    return o === 0 ? 0n : this.bb.readUint64(this.pos + o);
  }

  string(slot: number): string | null {
    const o = this.field(slot);
    return o === 0 ? null : (this.bb.__string(this.pos + o) as string);
  }

  table(slot: number): FbTable | null {
    const o = this.field(slot);
    return o === 0 ? null : new FbTable(this.bb, this.bb.__indirect(this.pos + o));
  }

  /** Start and length of a vector field, or null when absent. */
  private vector(slot: number): { start: number; length: number } | null {
    const o = this.field(slot);
    if (o === 0) return null;
    return { start: this.bb.__vector(this.pos + o), length: this.bb.__vector_len(this.pos + o) };
  }

  int32s(slot: number): number[] | null {
    const v = this.vector(slot);
    if (v === null) return null;
    return Array.from({ length: v.length }, (_, i) => this.bb.readInt32(v.start + 4 * i));
  }

  float32s(slot: number): number[] {
    const v = this.vector(slot);
    if (v === null) return [];
    return Array.from({ length: v.length }, (_, i) => this.bb.readFloat32(v.start + 4 * i));
  }

  /** int64 vector as numbers; throws if a value does not fit a double exactly. */
  int64s(slot: number): number[] {
    const v = this.vector(slot);
    if (v === null) return [];
    return Array.from({ length: v.length }, (_, i) => {
      const big = this.bb.readInt64(v.start + 8 * i);
      const n = Number(big);
      if (BigInt(n) !== big) throw new Error(`int64 ${big} does not fit a double`);
      return n;
    });
  }

  /** A ubyte vector as a view into the file's bytes. */
  bytes(slot: number): Uint8Array {
    const v = this.vector(slot);
    if (v === null) return new Uint8Array(0);
    const all = this.bb.bytes();
    return all.subarray(v.start, v.start + v.length);
  }

  tables(slot: number): FbTable[] {
    const v = this.vector(slot);
    if (v === null) return [];
    return Array.from(
      { length: v.length },
      (_, i) => new FbTable(this.bb, this.bb.__indirect(v.start + 4 * i)),
    );
  }
}

// Slots, in schema.fbs declaration order (a union takes two: type, then value).
const MODEL = {
  version: 0,
  operatorCodes: 1,
  subgraphs: 2,
  description: 3,
  buffers: 4,
  metadata: 6,
  signatureDefs: 7,
};
const OPERATOR_CODE = { deprecatedBuiltinCode: 0, customCode: 1, builtinCode: 3 };
const SUBGRAPH = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 };
const TENSOR = { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, isVariable: 5 };
const QUANT = { min: 0, max: 1, scale: 2, zeroPoint: 3, detailsType: 4, quantizedDimension: 6 };
const OPERATOR = { opcodeIndex: 0, inputs: 1, outputs: 2, optionsType: 3, options: 4 };
const BUFFER = { data: 0, offset: 1, size: 2 };
const SIGNATURE = { inputs: 0, outputs: 1, key: 2, subgraphIndex: 4 };
const TENSOR_MAP = { name: 0, tensorIndex: 1 };

function padding(value: number): Padding {
  if (value === 0) return 'SAME';
  if (value === 1) return 'VALID';
  throw new Error(`unknown padding ${value}`);
}

function activation(value: number): string {
  const name = ACTIVATIONS[value];
  if (name === undefined) throw new Error(`unknown fused activation ${value}`);
  return name;
}

function readOptions(op: FbTable): OperatorOptions {
  const type = op.uint8(OPERATOR.optionsType);
  if (type === 0) return { kind: 'None' };
  const t = op.table(OPERATOR.options);
  if (t === null) throw new Error(`operator options of type ${type} have no table`);
  switch (type) {
    case BUILTIN_OPTIONS.Conv2DOptions:
      return {
        kind: 'Conv2D',
        padding: padding(t.int8(0)),
        strideW: t.int32(1),
        strideH: t.int32(2),
        activation: activation(t.int8(3)),
        dilationW: t.int32(4, 1),
        dilationH: t.int32(5, 1),
      };
    case BUILTIN_OPTIONS.DepthwiseConv2DOptions:
      return {
        kind: 'DepthwiseConv2D',
        padding: padding(t.int8(0)),
        strideW: t.int32(1),
        strideH: t.int32(2),
        depthMultiplier: t.int32(3),
        activation: activation(t.int8(4)),
        dilationW: t.int32(5, 1),
        dilationH: t.int32(6, 1),
      };
    case BUILTIN_OPTIONS.Pool2DOptions:
      return {
        kind: 'Pool2D',
        padding: padding(t.int8(0)),
        strideW: t.int32(1),
        strideH: t.int32(2),
        filterW: t.int32(3),
        filterH: t.int32(4),
        activation: activation(t.int8(5)),
      };
    case BUILTIN_OPTIONS.ConcatenationOptions:
      return { kind: 'Concatenation', axis: t.int32(0), activation: activation(t.int8(1)) };
    case BUILTIN_OPTIONS.AddOptions:
      return { kind: 'Add', activation: activation(t.int8(0)) };
    case BUILTIN_OPTIONS.MulOptions:
      return { kind: 'Mul', activation: activation(t.int8(0)) };
    case BUILTIN_OPTIONS.DivOptions:
      return { kind: 'Div', activation: activation(t.int8(0)) };
    case BUILTIN_OPTIONS.ReshapeOptions:
      return { kind: 'Reshape', newShape: t.int32s(0) };
    case BUILTIN_OPTIONS.ReducerOptions:
      return { kind: 'Reducer', keepDims: t.bool(0) };
    case BUILTIN_OPTIONS.StridedSliceOptions:
      return {
        kind: 'StridedSlice',
        beginMask: t.int32(0),
        endMask: t.int32(1),
        ellipsisMask: t.int32(2),
        newAxisMask: t.int32(3),
        shrinkAxisMask: t.int32(4),
        offset: t.bool(5),
      };
    case BUILTIN_OPTIONS.CastOptions:
      return {
        kind: 'Cast',
        inType: tensorTypeName(t.int8(0)),
        outType: tensorTypeName(t.int8(1)),
      };
    case BUILTIN_OPTIONS.DequantizeOptions:
    case BUILTIN_OPTIONS.QuantizeOptions:
      return { kind: 'None' };
    default:
      return { kind: 'Other', type };
  }
}

function readQuantization(q: FbTable | null): Quantization | null {
  if (q === null) return null;
  if (q.uint8(QUANT.detailsType) !== 0) throw new Error('custom quantization is not supported');
  const scale = q.float32s(QUANT.scale);
  const zeroPoint = q.int64s(QUANT.zeroPoint);
  const min = q.float32s(QUANT.min);
  const max = q.float32s(QUANT.max);
  if (scale.length === 0 && zeroPoint.length === 0 && min.length === 0 && max.length === 0) {
    return null; // an empty table is how converters say "not quantized"
  }
  return { scale, zeroPoint, quantizedDimension: q.int32(QUANT.quantizedDimension), min, max };
}

function readTensor(t: FbTable, index: number): TfliteTensor {
  return {
    index,
    name: t.string(TENSOR.name) ?? '',
    shape: t.int32s(TENSOR.shape) ?? [],
    type: tensorTypeName(t.int8(TENSOR.type)),
    buffer: t.uint32(TENSOR.buffer),
    quantization: readQuantization(t.table(TENSOR.quantization)),
    isVariable: t.bool(TENSOR.isVariable),
  };
}

function readOpcode(code: FbTable): string {
  const custom = code.string(OPERATOR_CODE.customCode);
  // Old files set only the byte field, new ones both (codes >= 127 only the int field): take the max.
  const deprecated = code.int8(OPERATOR_CODE.deprecatedBuiltinCode);
  const extended = code.int32(OPERATOR_CODE.builtinCode);
  const builtin = Math.max(deprecated, extended);
  if (builtinName(builtin) === 'CUSTOM' && custom !== null) return `CUSTOM:${custom}`;
  return builtinName(builtin);
}

function readSubgraph(sg: FbTable, opcodes: readonly string[]): TfliteSubgraph {
  const tensors = sg.tables(SUBGRAPH.tensors).map(readTensor);
  const operators: TfliteOperator[] = sg.tables(SUBGRAPH.operators).map((op, index) => {
    const opcodeIndex = op.uint32(OPERATOR.opcodeIndex);
    const opcode = opcodes[opcodeIndex];
    if (opcode === undefined) throw new Error(`operator ${index}: opcode ${opcodeIndex} missing`);
    return {
      index,
      opcode,
      inputs: op.int32s(OPERATOR.inputs) ?? [],
      outputs: op.int32s(OPERATOR.outputs) ?? [],
      options: readOptions(op),
    };
  });
  return {
    name: sg.string(SUBGRAPH.name) ?? '',
    tensors,
    inputs: sg.int32s(SUBGRAPH.inputs) ?? [],
    outputs: sg.int32s(SUBGRAPH.outputs) ?? [],
    operators,
  };
}

function readBuffer(b: FbTable, file: Uint8Array): Uint8Array {
  const offset = b.uint64(BUFFER.offset);
  // Models over 2 GB keep data outside the flatbuffer; offset is relative to the file start.
  if (offset > 1n) {
    const start = Number(offset);
    return file.subarray(start, start + Number(b.uint64(BUFFER.size)));
  }
  return b.bytes(BUFFER.data);
}

function readTensorMap(m: FbTable): TensorMapEntry {
  return { name: m.string(TENSOR_MAP.name) ?? '', tensorIndex: m.uint32(TENSOR_MAP.tensorIndex) };
}

/**
 * Decodes a .tflite file. Throws if the file identifier is not "TFL3". Buffer data in the result
 * are views into `bytes`, so keep `bytes` alive and unmodified while using the model.
 */
export function readTflite(bytes: Uint8Array): TfliteModel {
  if (bytes.length < 8) throw new Error('not a TFLite file: too short');
  const bb = new ByteBuffer(bytes);
  if (!bb.__has_identifier('TFL3')) throw new Error('not a TFLite file: identifier is not TFL3');
  const root = new FbTable(bb, bb.readInt32(bb.position()) + bb.position());
  const opcodes = root.tables(MODEL.operatorCodes).map(readOpcode);
  return {
    version: root.uint32(MODEL.version),
    description: root.string(MODEL.description) ?? '',
    subgraphs: root.tables(MODEL.subgraphs).map((sg) => readSubgraph(sg, opcodes)),
    buffers: root.tables(MODEL.buffers).map((b) => readBuffer(b, bytes)),
    signatureDefs: root.tables(MODEL.signatureDefs).map((s): SignatureDef => ({
      key: s.string(SIGNATURE.key) ?? '',
      subgraphIndex: s.uint32(SIGNATURE.subgraphIndex),
      inputs: s.tables(SIGNATURE.inputs).map(readTensorMap),
      outputs: s.tables(SIGNATURE.outputs).map(readTensorMap),
    })),
    metadata: root.tables(MODEL.metadata).map((m) => ({
      name: m.string(0) ?? '',
      buffer: m.uint32(1),
    })),
  };
}
