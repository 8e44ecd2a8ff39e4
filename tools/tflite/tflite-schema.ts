/**
 * The subset of the TFLite flatbuffer schema (tensorflow/lite/schema/schema.fbs, version 3) that
 * our tools read, as plain TypeScript types and enum tables. Field slots follow the declaration
 * order in schema.fbs; a union takes two slots (its type byte, then its table).
 */

/** TFLite `TensorType` values, by enum value. */
export const TENSOR_TYPES: Readonly<Record<number, string>> = {
  0: 'FLOAT32',
  1: 'FLOAT16',
  2: 'INT32',
  3: 'UINT8',
  4: 'INT64',
  5: 'STRING',
  6: 'BOOL',
  7: 'INT16',
  8: 'COMPLEX64',
  9: 'INT8',
  10: 'FLOAT64',
};

/**
 * TFLite `BuiltinOperator` names for the codes this project meets or is likely to meet.
 * Unknown codes are printed as `BUILTIN_<code>` rather than guessed.
 */
export const BUILTIN_OPERATORS: Readonly<Record<number, string>> = {
  0: 'ADD',
  1: 'AVERAGE_POOL_2D',
  2: 'CONCATENATION',
  3: 'CONV_2D',
  4: 'DEPTHWISE_CONV_2D',
  6: 'DEQUANTIZE',
  9: 'FULLY_CONNECTED',
  14: 'LOGISTIC',
  17: 'MAX_POOL_2D',
  18: 'MUL',
  19: 'RELU',
  21: 'RELU6',
  22: 'RESHAPE',
  25: 'SOFTMAX',
  32: 'CUSTOM',
  34: 'PAD',
  39: 'TRANSPOSE',
  40: 'MEAN',
  41: 'SUB',
  42: 'DIV',
  43: 'SQUEEZE',
  45: 'STRIDED_SLICE',
  53: 'CAST',
  65: 'SLICE',
  74: 'SUM',
  114: 'QUANTIZE',
  117: 'HARD_SWISH',
  132: 'CONV_3D',
};

/** Name of a builtin operator code. */
export function builtinName(code: number): string {
  return BUILTIN_OPERATORS[code] ?? `BUILTIN_${code}`;
}

/** Name of a tensor type. */
export function tensorTypeName(type: number): string {
  return TENSOR_TYPES[type] ?? `TYPE_${type}`;
}

/** `BuiltinOptions` union member indices (1-based; 0 is NONE) for the options we decode. */
export const BUILTIN_OPTIONS = {
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ReshapeOptions: 17,
  MulOptions: 21,
  ReducerOptions: 27,
  DivOptions: 29,
  StridedSliceOptions: 32,
  CastOptions: 37,
  DequantizeOptions: 38,
  QuantizeOptions: 89,
} as const;

/** TFLite `Padding`. */
export type Padding = 'SAME' | 'VALID';

/** TFLite `ActivationFunctionType`, by enum value. */
export const ACTIVATIONS: readonly string[] = [
  'NONE',
  'RELU',
  'RELU_N1_TO_1',
  'RELU6',
  'TANH',
  'SIGN_BIT',
];

/** Per-tensor or per-channel affine quantization: real = scale * (q - zeroPoint). */
export interface Quantization {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  /** Axis that `scale`/`zeroPoint` index when there is more than one. */
  readonly quantizedDimension: number;
  readonly min: readonly number[];
  readonly max: readonly number[];
}

/** A tensor of a subgraph. */
export interface TfliteTensor {
  readonly index: number;
  readonly name: string;
  readonly shape: readonly number[];
  /** TensorType name, e.g. 'INT8'. */
  readonly type: string;
  /** Index into Model.buffers; 0 (the empty sentinel) for tensors computed at run time. */
  readonly buffer: number;
  readonly quantization: Quantization | null;
  readonly isVariable: boolean;
}

/** Decoded builtin options of the operators this project reads. */
export type OperatorOptions =
  | {
      readonly kind: 'Conv2D';
      readonly padding: Padding;
      readonly strideH: number;
      readonly strideW: number;
      readonly activation: string;
      readonly dilationH: number;
      readonly dilationW: number;
    }
  | {
      readonly kind: 'DepthwiseConv2D';
      readonly padding: Padding;
      readonly strideH: number;
      readonly strideW: number;
      readonly depthMultiplier: number;
      readonly activation: string;
      readonly dilationH: number;
      readonly dilationW: number;
    }
  | {
      readonly kind: 'Pool2D';
      readonly padding: Padding;
      readonly strideH: number;
      readonly strideW: number;
      readonly filterH: number;
      readonly filterW: number;
      readonly activation: string;
    }
  | { readonly kind: 'Concatenation'; readonly axis: number; readonly activation: string }
  | { readonly kind: 'Add' | 'Mul' | 'Div'; readonly activation: string }
  | { readonly kind: 'Reshape'; readonly newShape: readonly number[] | null }
  | { readonly kind: 'Reducer'; readonly keepDims: boolean }
  | {
      readonly kind: 'StridedSlice';
      readonly beginMask: number;
      readonly endMask: number;
      readonly ellipsisMask: number;
      readonly newAxisMask: number;
      readonly shrinkAxisMask: number;
      readonly offset: boolean;
    }
  | { readonly kind: 'Cast'; readonly inType: string; readonly outType: string }
  | { readonly kind: 'None' }
  /** A union member we do not decode; `type` is its union index. */
  | { readonly kind: 'Other'; readonly type: number };

/** An operator of a subgraph, in execution order. */
export interface TfliteOperator {
  readonly index: number;
  /** Builtin operator name, e.g. 'CONV_2D' (or the custom code for custom ops). */
  readonly opcode: string;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly options: OperatorOptions;
}

/** A named tensor of a SignatureDef. */
export interface TensorMapEntry {
  readonly name: string;
  readonly tensorIndex: number;
}

/** A SignatureDef: named inputs and outputs of a subgraph. */
export interface SignatureDef {
  readonly key: string;
  readonly subgraphIndex: number;
  readonly inputs: readonly TensorMapEntry[];
  readonly outputs: readonly TensorMapEntry[];
}

/** A subgraph. */
export interface TfliteSubgraph {
  readonly name: string;
  readonly tensors: readonly TfliteTensor[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly operators: readonly TfliteOperator[];
}

/** A decoded .tflite model; buffer data are views into the file's bytes (not copies). */
export interface TfliteModel {
  readonly version: number;
  readonly description: string;
  readonly subgraphs: readonly TfliteSubgraph[];
  readonly buffers: readonly Uint8Array[];
  readonly signatureDefs: readonly SignatureDef[];
  readonly metadata: readonly { readonly name: string; readonly buffer: number }[];
}
