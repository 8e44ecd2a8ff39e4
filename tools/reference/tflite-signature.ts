/**
 * Reads a .tflite file's SignatureDefs: which runtime tensor each signature name stands for.
 *
 * The interpreter (and @tensorflow/tfjs-tflite) names tensors by their graph names
 * (`serving_default_image:0`, `StatefulPartitionedCall:5`), while the model's meaning lives in the
 * SignatureDef names (`image`, `state_block1_layer0_stream_buffer`). Reading the map from the file
 * keeps the state wiring derived rather than typed in by hand.
 *
 * Only the few flatbuffer fields needed are read, by their positions in TensorFlow Lite's public
 * schema (schema.fbs): Model.subgraphs = 2, Model.signature_defs = 7; SubGraph.tensors = 0;
 * Tensor.shape = 0, type = 1, name = 3; SignatureDef.inputs = 0, outputs = 1, signature_key = 2,
 * subgraph_index = 4; TensorMap.name = 0, tensor_index = 1.
 */
import { ByteBuffer } from 'flatbuffers';

/** TFLite tensor element types used by MoViNet (schema.fbs TensorType; others are reported by number). */
const TENSOR_TYPES: Readonly<Record<number, string>> = {
  0: 'float32',
  1: 'float16',
  2: 'int32',
  3: 'uint8',
  4: 'int64',
  6: 'bool',
  7: 'int16',
  9: 'int8',
};

/** One input or output of a signature. */
export interface SignatureTensor {
  /** Name in the SignatureDef (e.g. `image`). */
  readonly name: string;
  /** Name of the subgraph tensor at runtime (e.g. `serving_default_image:0`). */
  readonly tensorName: string;
  /** Index of the tensor in its subgraph. */
  readonly tensorIndex: number;
  /** Static shape. */
  readonly shape: readonly number[];
  /** Element type, e.g. `float32`, `int32` (or `type<n>` for types not listed). */
  readonly dtype: string;
}

/** A SignatureDef with its tensors resolved. */
export interface Signature {
  /** Signature key, e.g. `serving_default`. */
  readonly key: string;
  /** Subgraph the signature runs. */
  readonly subgraphIndex: number;
  /** Inputs in file order. */
  readonly inputs: readonly SignatureTensor[];
  /** Outputs in file order. */
  readonly outputs: readonly SignatureTensor[];
}

/** Table field slot in a vtable: 4 bytes of header, then 2 bytes per field. */
function slot(field: number): number {
  return 4 + 2 * field;
}

/** Position of table `field` of the table at `table`, or 0 when absent. */
function field(bb: ByteBuffer, table: number, index: number): number {
  const o = bb.__offset(table, slot(index));
  return o === 0 ? 0 : table + o;
}

/** The tables of vector field `index`. */
function tableVector(bb: ByteBuffer, table: number, index: number): number[] {
  const at = field(bb, table, index);
  if (at === 0) return [];
  const start = bb.__vector(at);
  const n = bb.__vector_len(at);
  return Array.from({ length: n }, (_, i) => bb.__indirect(start + 4 * i));
}

function stringField(bb: ByteBuffer, table: number, index: number): string {
  const at = field(bb, table, index);
  return at === 0 ? '' : (bb.__string(at) as string);
}

function readTensor(
  bb: ByteBuffer,
  tensors: number[],
  index: number,
  name: string,
): SignatureTensor {
  const tensor = tensors[index];
  if (tensor === undefined)
    throw new Error(`signature tensor ${name} -> index ${index} out of range`);
  const shapeAt = field(bb, tensor, 0);
  const shape: number[] = [];
  if (shapeAt !== 0) {
    const start = bb.__vector(shapeAt);
    for (let i = 0; i < bb.__vector_len(shapeAt); i++) shape.push(bb.readInt32(start + 4 * i));
  }
  const typeAt = field(bb, tensor, 1);
  const type = typeAt === 0 ? 0 : bb.readInt8(typeAt); // FLOAT32 is the schema default
  return {
    name,
    tensorName: stringField(bb, tensor, 3),
    tensorIndex: index,
    shape,
    dtype: TENSOR_TYPES[type] ?? `type${type}`,
  };
}

/** All SignatureDefs of a .tflite flatbuffer, with runtime tensor names, shapes and types. */
export function readSignatures(model: Uint8Array): Signature[] {
  const bb = new ByteBuffer(model);
  const root = bb.readInt32(bb.position()) + bb.position();
  const subgraphs = tableVector(bb, root, 2);
  return tableVector(bb, root, 7).map((sig) => {
    const indexAt = field(bb, sig, 4);
    const subgraphIndex = indexAt === 0 ? 0 : bb.readUint32(indexAt);
    const subgraph = subgraphs[subgraphIndex];
    if (subgraph === undefined) throw new Error(`signature refers to subgraph ${subgraphIndex}`);
    const tensors = tableVector(bb, subgraph, 0);
    const maps = (index: number) =>
      tableVector(bb, sig, index).map((map) => {
        const tensorAt = field(bb, map, 1);
        return readTensor(
          bb,
          tensors,
          tensorAt === 0 ? 0 : bb.readUint32(tensorAt),
          stringField(bb, map, 0),
        );
      });
    return {
      key: stringField(bb, sig, 2),
      subgraphIndex,
      inputs: maps(0),
      outputs: maps(1),
    };
  });
}
