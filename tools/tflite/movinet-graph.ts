/**
 * Walks the int8 MoViNet-A0-Stream TFLite graph by data flow (image -> stem -> bottleneck layers
 * -> head -> logits), checks every op's type, options and shapes against the architecture it
 * expects, and returns float32 weights under semantic names plus a JSON config of the network.
 * The TFLite tensor names are not used for structure: the converter fuses them (one tensor can
 * carry the names of four layers), so only the per-layer rezero constants' names are read, to
 * number blocks and layers, and those are cross-checked with the signature's state names.
 *
 * Accounting: every non-empty buffer is either one exported weight (claimed exactly once),
 * a structural constant (reshape shapes, slice bounds, reduction axes, the +1 frame counter, the
 * 1/36 spatial-mean factor: each value is checked), or model metadata; every operator is visited.
 */
import type { JsonValue } from '../../src/models/weights/manifest';
import { dequantize, int32Values, int8Values, transpose } from './dequantize';
import type { TfliteModel, TfliteOperator, TfliteSubgraph, TfliteTensor } from './tflite-schema';

/** A converted weight: float32 data under its semantic name. */
export interface NamedWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** Index of the TFLite tensor it came from (for tests and the report). */
  readonly sourceTensor: number;
}

/** Where each non-empty buffer of the model went. */
export interface BufferAccounting {
  /** Buffers exported as exactly one weight each. */
  readonly weight: number;
  /** Buffers read as structure (shapes, slice bounds, axes, constants with a checked value). */
  readonly structure: number;
  /** Buffers referenced by Model.metadata only. */
  readonly metadata: number;
  /** Operators visited by the walk (must equal the graph's operator count). */
  readonly operators: number;
}

/** Numbers the converter measured while checking the graph (printed in the report). */
export interface ConversionChecks {
  /** Largest |bias_scale - input_scale * weight_scale| / (input_scale * weight_scale). */
  readonly maxBiasScaleRelError: number;
  /** Scale and zero point of the stream-buffer states (6/255, -128 expected). */
  readonly streamBufferQuant: { readonly scale: number; readonly zeroPoint: number };
  /** The dequantized spatial-mean factor of the head (TFLite stores 1/36 as int8). */
  readonly headMeanFactor: number;
  /** The rezero scalar of each layer, by layer name. */
  readonly rezero: Readonly<Record<string, number>>;
}

/** Result of {@link convertMovinetGraph}. */
export interface MovinetGraph {
  readonly weights: readonly NamedWeight[];
  readonly config: { readonly [key: string]: JsonValue };
  readonly accounting: BufferAccounting;
  readonly checks: ConversionChecks;
}

type Activation = 'relu6' | 'none';

/** Geometry of one 2D convolution / pooling as the lead's model builder needs it. */
interface ConvSpec {
  readonly [key: string]: JsonValue;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: 'SAME' | 'VALID';
  /** [top, bottom, left, right] in pixels; TF SAME puts the odd pixel at the bottom/right. */
  readonly pads: readonly [number, number, number, number];
  readonly activation: Activation;
  readonly inChannels: number;
  readonly outChannels: number;
  /** 1 for a full conv, channels for depthwise. */
  readonly groups: number;
  readonly inSize: readonly [number, number];
  readonly outSize: readonly [number, number];
  /** Scale and zero point of the int8 tensor the op writes (its output activation). */
  readonly outputQuantization: ActivationQuant;
}

/**
 * Per-tensor int8 quantization of an activation: real = scale * (q - zeroPoint), q in
 * [-128, 127]. Exported so a builder can reproduce the graph's rounding and clipping.
 */
interface ActivationQuant {
  readonly [key: string]: JsonValue;
  readonly scale: number;
  readonly zeroPoint: number;
}

function fail(message: string): never {
  throw new Error(`MoViNet graph: ${message}`);
}

function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function activationOf(name: string, where: string): Activation {
  if (name === 'RELU6') return 'relu6';
  if (name === 'NONE') return 'none';
  return fail(`${where}: unexpected fused activation ${name}`);
}

/** TF/TFLite padding for one spatial axis; checks the output size the graph has. */
function axisPads(
  padding: 'SAME' | 'VALID',
  size: number,
  k: number,
  stride: number,
  out: number,
  where: string,
): [number, number] {
  const expected =
    padding === 'SAME' ? Math.ceil(size / stride) : Math.floor((size - k) / stride) + 1;
  if (expected !== out)
    fail(`${where}: ${padding} ${size}/${stride} gives ${expected}, not ${out}`);
  if (padding === 'VALID') return [0, 0];
  const total = Math.max((out - 1) * stride + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** [top, bottom, left, right] pads of a 2D window op from its NHWC input and output. */
function pads2d(
  padding: 'SAME' | 'VALID',
  x: TfliteTensor,
  y: TfliteTensor,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  where: string,
): [number, number, number, number] {
  const [top, bottom] = axisPads(
    padding,
    x.shape[1] ?? 0,
    kernel[0],
    stride[0],
    y.shape[1] ?? 0,
    where,
  );
  const [left, right] = axisPads(
    padding,
    x.shape[2] ?? 0,
    kernel[1],
    stride[1],
    y.shape[2] ?? 0,
    where,
  );
  return [top, bottom, left, right];
}

/** Walk state: the graph's indices, what was visited, and who claimed which buffer. */
class Walk {
  readonly sg: TfliteSubgraph;
  private readonly producers = new Map<number, TfliteOperator>();
  private readonly consumers = new Map<number, TfliteOperator[]>();
  readonly visited = new Set<number>();
  /** buffer -> 'weight:<name>' or 'structure'. */
  readonly claims = new Map<number, string>();
  readonly weights: NamedWeight[] = [];
  readonly inputByName = new Map<string, number>();
  readonly outputByName = new Map<string, number>();
  maxBiasScaleRelError = 0;

  constructor(readonly model: TfliteModel) {
    const sg = model.subgraphs[0];
    if (sg === undefined) fail('the model has no subgraph');
    this.sg = sg;
    for (const op of sg.operators) {
      for (const o of op.outputs) this.producers.set(o, op);
      for (const i of op.inputs) {
        if (i < 0) continue;
        const list = this.consumers.get(i) ?? [];
        list.push(op);
        this.consumers.set(i, list);
      }
    }
    const sig = model.signatureDefs.find((s) => s.key === 'serving_default');
    if (sig === undefined) fail('no serving_default signature');
    for (const e of sig.inputs) this.inputByName.set(e.name, e.tensorIndex);
    for (const e of sig.outputs) this.outputByName.set(e.name, e.tensorIndex);
  }

  tensor(i: number | undefined): TfliteTensor {
    const t = i === undefined ? undefined : this.sg.tensors[i];
    if (t === undefined) fail(`tensor ${i} does not exist`);
    return t;
  }

  input(op: TfliteOperator, k: number): TfliteTensor {
    return this.tensor(op.inputs[k]);
  }

  output(op: TfliteOperator): TfliteTensor {
    if (op.outputs.length !== 1)
      fail(`op ${op.index} ${op.opcode} has ${op.outputs.length} outputs`);
    return this.tensor(op.outputs[0]);
  }

  visit(op: TfliteOperator, opcode: string, where: string): TfliteOperator {
    if (op.opcode !== opcode) fail(`${where}: op ${op.index} is ${op.opcode}, expected ${opcode}`);
    this.visited.add(op.index);
    return op;
  }

  consumersOf(t: number): readonly TfliteOperator[] {
    return this.consumers.get(t) ?? [];
  }

  producerOf(t: number): TfliteOperator | undefined {
    return this.producers.get(t);
  }

  signatureInput(name: string): number {
    const t = this.inputByName.get(name);
    if (t === undefined) fail(`signature has no input "${name}"`);
    return t;
  }

  signatureOutput(name: string): number {
    const t = this.outputByName.get(name);
    if (t === undefined) fail(`signature has no output "${name}"`);
    return t;
  }

  /** Marks a constant as read for structure; it may be shared, but never also be a weight. */
  claimStructure(t: TfliteTensor): void {
    const prior = this.claims.get(t.buffer);
    if (prior !== undefined && prior !== 'structure') {
      fail(`buffer ${t.buffer} is both ${prior} and structure`);
    }
    if ((this.model.buffers[t.buffer]?.length ?? 0) === 0) fail(`tensor #${t.index} is not const`);
    this.claims.set(t.buffer, 'structure');
  }

  /** Int32 values of a structural constant. */
  structureValues(t: TfliteTensor): number[] {
    this.claimStructure(t);
    return Array.from(int32Values(this.model, t));
  }

  /** Exports a weight; its buffer must not have been claimed before. */
  addWeight(
    name: string,
    shape: readonly number[],
    data: Float32Array,
    source: TfliteTensor,
  ): void {
    const prior = this.claims.get(source.buffer);
    if (prior !== undefined) fail(`buffer ${source.buffer} (${name}) was already used as ${prior}`);
    if (data.length !== shape.reduce((a, b) => a * b, 1)) fail(`${name}: size != [${shape}]`);
    if (this.weights.some((w) => w.name === name)) fail(`weight name ${name} used twice`);
    this.claims.set(source.buffer, `weight:${name}`);
    this.weights.push({ name, shape: [...shape], data, sourceTensor: source.index });
  }

  /** Visits a RESHAPE, checks its shape constant against its output, returns the output. */
  private reshape(op: TfliteOperator): number {
    this.visit(op, 'RESHAPE', 'reshape');
    const out = this.output(op);
    const shapeConst = this.input(op, 1);
    const target = this.structureValues(shapeConst);
    const matches =
      target.length === out.shape.length && target.every((d, i) => d === -1 || d === out.shape[i]);
    if (!matches) fail(`reshape op ${op.index}: shape [${target}] vs output [${out.shape}]`);
    return out.index;
  }

  /** Non-RESHAPE consumers of `t`, looking through any chain of RESHAPE ops. */
  next(t: number): TfliteOperator[] {
    const found: TfliteOperator[] = [];
    for (const op of this.consumersOf(t)) {
      if (op.opcode === 'RESHAPE' && op.inputs[0] === t) found.push(...this.next(this.reshape(op)));
      else found.push(op);
    }
    return found;
  }

  /** The single non-RESHAPE consumer of `t` with `opcode`. */
  nextOne(t: number, opcode: string, where: string): TfliteOperator {
    const ops = this.next(t).filter((op) => op.opcode === opcode);
    if (ops.length !== 1) fail(`${where}: ${ops.length} ${opcode} consumers of tensor ${t}`);
    return this.visit(ops[0] as TfliteOperator, opcode, where);
  }

  /** `t` with any RESHAPE producers peeled off (visiting them). */
  unreshape(t: number): number {
    let cur = t;
    for (;;) {
      const p = this.producerOf(cur);
      if (p === undefined || p.opcode !== 'RESHAPE') return cur;
      this.reshape(p);
      cur = p.inputs[0] ?? fail(`reshape ${p.index} has no input`);
    }
  }

  /** Records how far a bias scale is from input scale x weight scale (a dequantization check). */
  checkBiasScale(x: TfliteTensor, w: TfliteTensor, b: TfliteTensor): void {
    const xs = x.quantization?.scale[0];
    const ws = w.quantization?.scale ?? [];
    const bs = b.quantization?.scale ?? [];
    if (xs === undefined || ws.length !== bs.length) fail(`bias #${b.index}: scales do not pair`);
    ws.forEach((s, c) => {
      const expected = xs * s;
      const rel = Math.abs((bs[c] ?? 0) - expected) / expected;
      this.maxBiasScaleRelError = Math.max(this.maxBiasScaleRelError, rel);
    });
  }
}

/** The per-tensor int8 quantization of an activation tensor; throws if it has none or several. */
function activationQuant(t: TfliteTensor, where: string): ActivationQuant {
  const q = t.quantization;
  const scale = q?.scale[0];
  const zeroPoint = q?.zeroPoint[0];
  if (
    t.type !== 'INT8' ||
    q?.scale.length !== 1 ||
    q.zeroPoint.length !== 1 ||
    scale === undefined ||
    zeroPoint === undefined ||
    !(scale > 0)
  ) {
    fail(`${where}: tensor #${t.index} is not a per-tensor int8 activation`);
  }
  return { scale, zeroPoint };
}

function sameQuant(a: ActivationQuant, b: ActivationQuant): boolean {
  return a.scale === b.scale && a.zeroPoint === b.zeroPoint;
}

/** Spatial [H, W] of an NHWC tensor. */
function hw(t: TfliteTensor): [number, number] {
  return [t.shape[1] ?? 0, t.shape[2] ?? 0];
}

/** Reads a CONV_2D or DEPTHWISE_CONV_2D op's geometry and checks its tensors' shapes. */
function convSpec(walk: Walk, op: TfliteOperator, where: string): ConvSpec {
  const x = walk.input(op, 0);
  const w = walk.input(op, 1);
  const y = walk.output(op);
  const o = op.options;
  if (o.kind !== 'Conv2D' && o.kind !== 'DepthwiseConv2D') fail(`${where}: no conv options`);
  if (o.dilationH !== 1 || o.dilationW !== 1) fail(`${where}: dilated convolution`);
  const depthwise = o.kind === 'DepthwiseConv2D';
  const [kh, kw] = [w.shape[1] ?? 0, w.shape[2] ?? 0];
  const inC = x.shape[3] ?? 0;
  const outC = y.shape[3] ?? 0;
  const filterOk = depthwise
    ? same(w.shape, [1, kh, kw, outC]) && inC === outC
    : same(w.shape, [outC, kh, kw, inC]);
  if (!filterOk) fail(`${where}: filter [${w.shape}] for ${inC} -> ${outC} channels`);
  if (x.shape.length !== 4 || y.shape.length !== 4) fail(`${where}: conv tensors are not 4D`);
  return {
    kernel: [kh, kw],
    stride: [o.strideH, o.strideW],
    padding: o.padding,
    pads: pads2d(o.padding, x, y, [kh, kw], [o.strideH, o.strideW], where),
    activation: activationOf(o.activation, where),
    inChannels: inC,
    outChannels: outC,
    groups: depthwise ? outC : 1,
    inSize: hw(x),
    outSize: hw(y),
    outputQuantization: activationQuant(y, where),
  };
}

/** Dequantized filter and bias of a conv op; checks per-channel quantization axes. */
function convParams(walk: Walk, op: TfliteOperator, where: string) {
  const x = walk.input(op, 0);
  const w = walk.input(op, 1);
  const b = walk.input(op, 2);
  const axis = op.opcode === 'DEPTHWISE_CONV_2D' ? 3 : 0;
  if (w.quantization?.quantizedDimension !== axis && (w.quantization?.scale.length ?? 0) > 1) {
    fail(`${where}: filter quantized along ${w.quantization?.quantizedDimension}, not ${axis}`);
  }
  if (b.shape.length !== 1 || b.type !== 'INT32') fail(`${where}: bias is ${b.type}[${b.shape}]`);
  walk.checkBiasScale(x, w, b);
  return {
    w,
    b,
    filter: dequantize(w, int8Values(walk.model, w)),
    bias: dequantize(b, int32Values(walk.model, b)),
  };
}

/** A full conv as our conv3d kernel [1, kh, kw, in, out] + bias. */
function addConv(walk: Walk, op: TfliteOperator, name: string): ConvSpec {
  const spec = convSpec(walk, op, name);
  const { w, b, filter, bias } = convParams(walk, op, name);
  const [o, kh, kw, i] = w.shape as [number, number, number, number];
  const kernel = transpose(filter, [o, kh, kw, i], [1, 2, 3, 0]);
  walk.addWeight(`${name}/kernel`, [1, kh, kw, i, o], kernel, w);
  walk.addWeight(`${name}/bias`, [o], bias, b);
  return spec;
}

/** A 1x1 conv on a 1x1 map as a dense kernel [in, out] + bias. */
function addDense(walk: Walk, op: TfliteOperator, name: string): ConvSpec {
  const spec = convSpec(walk, op, name);
  if (!same(spec.kernel, [1, 1]) || !same(spec.inSize, [1, 1])) fail(`${name}: not a 1x1 dense`);
  const { w, b, filter, bias } = convParams(walk, op, name);
  const [o, , , i] = w.shape as [number, number, number, number];
  walk.addWeight(`${name}/kernel`, [i, o], transpose(filter, [o, i], [1, 0]), w);
  walk.addWeight(`${name}/bias`, [o], bias, b);
  return spec;
}

/** A spatial depthwise conv as [1, kh, kw, 1, C] + bias (data order unchanged). */
function addSpatialDepthwise(walk: Walk, op: TfliteOperator, name: string): ConvSpec {
  const spec = convSpec(walk, op, name);
  const { w, b, filter, bias } = convParams(walk, op, name);
  const [, kh, kw, c] = w.shape as [number, number, number, number];
  walk.addWeight(`${name}/kernel`, [1, kh, kw, 1, c], filter, w);
  walk.addWeight(`${name}/bias`, [c], bias, b);
  return spec;
}

interface LayerResult {
  readonly output: number;
  readonly config: { readonly [key: string]: JsonValue };
  readonly rezero: number;
}

/** The causal temporal depthwise conv over [stream buffer ‖ current frame]. */
function temporal(
  walk: Walk,
  spatialOut: number,
  name: string,
  block: number,
  layer: number,
  streamQuant: { scale: number; zeroPoint: number }[],
): { output: number; config: { readonly [key: string]: JsonValue } } {
  const where = `${name}/temporal`;
  const concat = walk.nextOne(spatialOut, 'CONCATENATION', where);
  const co = concat.options;
  if (co.kind !== 'Concatenation' || co.axis !== 1 || co.activation !== 'NONE') {
    fail(`${where}: concatenation is not along time`);
  }
  // Input 0 is the state (older frames), input 1 the current frame: time runs oldest -> newest.
  const stateQ = walk.input(concat, 0);
  const current = walk.input(concat, 1);
  if (walk.unreshape(current.index) !== walk.unreshape(spatialOut)) {
    fail(`${where}: concat input 1 is not the spatial output`);
  }
  const quantize = walk.producerOf(stateQ.index);
  if (quantize === undefined) fail(`${where}: state is not quantized`);
  walk.visit(quantize, 'QUANTIZE', where);
  const stateName = `state_block${block}_layer${layer}_stream_buffer`;
  if (quantize.inputs[0] !== walk.signatureInput(stateName)) fail(`${where}: not ${stateName}`);
  const bufferQuant = activationQuant(stateQ, where);
  streamQuant.push({ scale: bufferQuant.scale, zeroPoint: bufferQuant.zeroPoint });
  // A concatenation of int8 tensors on one grid copies them; on different grids it would requantize.
  if (
    !sameQuant(activationQuant(current, where), bufferQuant) ||
    !sameQuant(activationQuant(walk.output(concat), where), bufferQuant)
  ) {
    fail(
      `${where}: the buffer, the current frame and their concatenation are quantized differently`,
    );
  }

  const cat = walk.output(concat);
  const kt = cat.shape[1] ?? 0;
  const frames = stateQ.shape[1] ?? 0;
  if (frames !== kt - 1 || (current.shape[1] ?? 0) !== 1) fail(`${where}: buffer of ${frames}`);

  // New state = the last kt-1 frames of the concatenation.
  const slice = walk.nextOne(cat.index, 'STRIDED_SLICE', where);
  const so = slice.options;
  if (
    so.kind !== 'StridedSlice' ||
    so.beginMask !== 0b11101 ||
    so.endMask !== 0b11111 ||
    so.ellipsisMask !== 0 ||
    so.newAxisMask !== 0 ||
    so.shrinkAxisMask !== 0 ||
    so.offset
  ) {
    fail(`${where}: unexpected strided-slice masks`);
  }
  const begin = walk.structureValues(walk.input(slice, 1));
  walk.structureValues(walk.input(slice, 2)); // end: ignored, every end_mask bit is set
  const strides = walk.structureValues(walk.input(slice, 3));
  if (begin[1] !== -(kt - 1) || !strides.every((s) => s === 1)) {
    fail(`${where}: slice begins at ${begin[1]} with strides [${strides}]`);
  }
  if (!sameQuant(activationQuant(walk.output(slice), where), bufferQuant)) {
    fail(`${where}: the new buffer is quantized differently from the old one`);
  }
  const deq = walk.nextOne(walk.output(slice).index, 'DEQUANTIZE', where);
  if (walk.output(deq).index !== walk.signatureOutput(stateName)) {
    fail(`${where}: new buffer is not output ${stateName}`);
  }

  const conv = walk.nextOne(cat.index, 'DEPTHWISE_CONV_2D', where);
  const x = walk.input(conv, 0);
  const [, , h, w, c] = cat.shape as [number, number, number, number, number];
  if (!same(x.shape, [1, kt, h * w, c])) fail(`${where}: conv input [${x.shape}]`);
  const spec = convSpec(walk, conv, where);
  if (spec.padding !== 'VALID' || !same(spec.kernel, [kt, 1]) || !same(spec.stride, [1, 1])) {
    fail(`${where}: not a VALID kt x 1 conv`);
  }
  const { w: wt, b, filter, bias } = convParams(walk, conv, where);
  // Filter [1, kt, 1, C]: tap j multiplies concat frame j, i.e. frame t - (kt - 1) + j.
  walk.addWeight(`${name}/temporal/kernel`, [kt, 1, 1, 1, c], filter, wt);
  walk.addWeight(`${name}/temporal/bias`, [c], bias, b);
  return {
    output: walk.output(conv).index,
    config: {
      kernel: kt,
      activation: spec.activation,
      bufferFrames: kt - 1,
      state: stateName,
      stateShape: [...stateQ.shape],
      bufferQuantization: bufferQuant,
      outputQuantization: spec.outputQuantization,
    },
  };
}

/** The stride-2 shortcut: average pool then 1x1 conv. */
function shortcut(
  walk: Walk,
  input: number,
  skip: number,
  name: string,
): { readonly [key: string]: JsonValue } {
  const where = `${name}/shortcut`;
  const conv = walk.producerOf(walk.unreshape(skip));
  if (conv === undefined) fail(`${where}: no producer`);
  walk.visit(conv, 'CONV_2D', where);
  const pool = walk.producerOf(walk.input(conv, 0).index);
  if (pool === undefined) fail(`${where}: no pool`);
  walk.visit(pool, 'AVERAGE_POOL_2D', where);
  if (walk.unreshape(walk.input(pool, 0).index) !== walk.unreshape(input)) {
    fail(`${where}: pool does not read the layer input`);
  }
  const po = pool.options;
  if (po.kind !== 'Pool2D') fail(`${where}: no pool options`);
  const x = walk.input(pool, 0);
  const y = walk.output(pool);
  const pads = pads2d(po.padding, x, y, [po.filterH, po.filterW], [po.strideH, po.strideW], where);
  const poolQuant = activationQuant(y, where);
  if (!sameQuant(activationQuant(x, where), poolQuant)) {
    fail(`${where}: the pool's input and output are quantized differently`);
  }
  const convConfig = addConv(walk, conv, `${name}/shortcut`);
  return {
    pool: {
      kind: 'average',
      kernel: [po.filterH, po.filterW],
      stride: [po.strideH, po.strideW],
      padding: po.padding,
      pads,
      // TFLite (like TF) divides by the number of input pixels under the window, not k*k.
      countIncludePad: false,
      activation: activationOf(po.activation, where),
      inSize: hw(x),
      outSize: hw(y),
      // TFLite's int8 average pool averages the raw values, so it needs equal grids.
      outputQuantization: poolQuant,
    },
    conv: convConfig,
  };
}

/** The rezero MUL of the layer whose spatial conv outputs `spatialOut` (read-only look-ahead). */
function peekRezero(walk: Walk, spatialOut: number, hasTemporal: boolean): TfliteOperator {
  let from = spatialOut;
  if (hasTemporal) {
    const concat = walk.next(from).find((op) => op.opcode === 'CONCATENATION');
    const dw = walk.next(walk.output(concat ?? fail('no concat')).index);
    from = walk.output(
      dw.find((op) => op.opcode === 'DEPTHWISE_CONV_2D') ?? fail('no temporal'),
    ).index;
  }
  const project = walk.next(from).find((op) => op.opcode === 'CONV_2D');
  const mul = walk.next(walk.output(project ?? fail('no projection')).index);
  return mul.find((op) => op.opcode === 'MUL') ?? fail('no rezero multiply');
}

/** One bottleneck layer starting at the expansion conv `expand`. */
function bottleneck(
  walk: Walk,
  input: number,
  expand: TfliteOperator,
  previous: { block: number; layer: number } | null,
  streamQuant: { scale: number; zeroPoint: number }[],
): LayerResult & { block: number; layer: number } {
  const spatialOp = walk.nextOne(walk.output(expand).index, 'DEPTHWISE_CONV_2D', 'spatial');
  let out = walk.output(spatialOp).index;
  const hasTemporal = walk.next(out).some((op) => op.opcode === 'CONCATENATION');
  // Number the layer from its rezero constant's name (the one per-layer name left unfused):
  // look ahead to the rezero MUL before claiming any weight under the layer's name.
  const rezeroMul = peekRezero(walk, out, hasTemporal);
  const rezeroConst = walk.input(rezeroMul, 1);
  const match = /block(\d+)_layer(\d+)\/bneck\/rezero/.exec(rezeroConst.name);
  if (match === null) fail(`rezero constant #${rezeroConst.index} is named "${rezeroConst.name}"`);
  const block = Number(match[1]);
  const layer = Number(match[2]);
  const expected =
    previous === null
      ? [{ block: 0, layer: 0 }]
      : [
          { block: previous.block, layer: previous.layer + 1 },
          { block: previous.block + 1, layer: 0 },
        ];
  if (!expected.some((e) => e.block === block && e.layer === layer)) {
    fail(`layer block${block}_layer${layer} out of order`);
  }
  const name = `b${block}_l${layer}`;

  walk.visit(expand, 'CONV_2D', `${name}/expand`);
  const expandSpec = addConv(walk, expand, `${name}/expand`);
  if (!same(expandSpec.kernel, [1, 1]) || expandSpec.activation !== 'relu6') {
    fail(`${name}/expand is not a 1x1 ReLU6 conv`);
  }
  const spatialSpec = addSpatialDepthwise(walk, spatialOp, `${name}/spatial`);
  if (spatialSpec.padding !== 'SAME' || spatialSpec.activation !== 'relu6') {
    fail(`${name}/spatial is not a SAME ReLU6 depthwise conv`);
  }
  let temporalConfig: JsonValue = null;
  if (hasTemporal) {
    const t = temporal(walk, out, name, block, layer, streamQuant);
    out = t.output;
    temporalConfig = t.config;
  }
  const project = walk.nextOne(out, 'CONV_2D', `${name}/project`);
  const projectSpec = addConv(walk, project, `${name}/project`);
  if (!same(projectSpec.kernel, [1, 1]) || projectSpec.activation !== 'none') {
    fail(`${name}/project is not a linear 1x1 conv`);
  }
  const mul = walk.nextOne(walk.output(project).index, 'MUL', `${name}/rezero`);
  if (mul !== rezeroMul) fail(`${name}: rezero op moved`);
  const mo = mul.options;
  if (mo.kind !== 'Mul' || mo.activation !== 'NONE') fail(`${name}/rezero has an activation`);
  // The rezero multiplier is [1,1,H,W,C] but holds one value everywhere: export it as [C].
  const q = int8Values(walk.model, rezeroConst);
  if (!q.every((v) => v === q[0])) fail(`${name}/rezero is not constant`);
  const rezeroValues = dequantize(rezeroConst, q);
  const c = projectSpec.outChannels;
  const rezero = rezeroValues[0] ?? Number.NaN;
  walk.addWeight(`${name}/rezero`, [c], new Float32Array(c).fill(rezero), rezeroConst);

  const add = walk.nextOne(walk.output(mul).index, 'ADD', `${name}/residual`);
  const ao = add.options;
  if (ao.kind !== 'Add' || ao.activation !== 'NONE') fail(`${name}/residual has an activation`);
  const skip = add.inputs[0] === walk.output(mul).index ? add.inputs[1] : add.inputs[0];
  if (skip === undefined) fail(`${name}: residual add has one input`);
  const identity = walk.unreshape(skip) === walk.unreshape(input);
  const shortcutConfig: JsonValue = identity ? null : shortcut(walk, input, skip, name);

  const inT = walk.tensor(walk.unreshape(input));
  const outT = walk.output(add);
  return {
    block,
    layer,
    output: outT.index,
    rezero,
    config: {
      name,
      block,
      layer,
      inChannels: expandSpec.inChannels,
      expandChannels: expandSpec.outChannels,
      outChannels: projectSpec.outChannels,
      inSize: [inT.shape[inT.shape.length - 3] ?? 0, inT.shape[inT.shape.length - 2] ?? 0],
      outSize: [outT.shape[2] ?? 0, outT.shape[3] ?? 0],
      expand: expandSpec,
      spatial: spatialSpec,
      temporal: temporalConfig,
      project: projectSpec,
      rezero: { outputQuantization: activationQuant(walk.output(mul), `${name}/rezero`) },
      shortcut: shortcutConfig,
      residual: { outputQuantization: activationQuant(outT, `${name}/residual`) },
    },
  };
}

/** The head: 1x1 conv, spatial mean, causal cumulative mean over frames, two dense layers. */
function head(walk: Walk, conv: TfliteOperator) {
  walk.visit(conv, 'CONV_2D', 'head/conv');
  const convSpecHead = addConv(walk, conv, 'head/conv');
  const sum = walk.nextOne(walk.output(conv).index, 'SUM', 'head/pool');
  const so = sum.options;
  const axes = walk.structureValues(walk.input(sum, 1));
  if (so.kind !== 'Reducer' || !so.keepDims || !same(axes, [1, 2, 3])) {
    fail(`head/pool sums axes [${axes}]`);
  }
  const [h, w] = convSpecHead.outSize;
  const mul = walk.nextOne(walk.output(sum).index, 'MUL', 'head/pool');
  const factorT = walk.input(mul, 1);
  walk.claimStructure(factorT);
  const fq = int8Values(walk.model, factorT);
  if (!fq.every((v) => v === fq[0])) fail('head mean factor is not constant');
  const factor = dequantize(factorT, fq)[0] ?? Number.NaN;
  const step = factorT.quantization?.scale[0] ?? 0;
  if (Math.abs(factor - 1 / (h * w)) > step / 2) fail(`head mean factor ${factor} != 1/${h * w}`);

  const add = walk.nextOne(walk.output(mul).index, 'ADD', 'head/pool/sum');
  const other = add.inputs.find((i) => i !== walk.output(mul).index);
  const q = walk.producerOf(other ?? -1);
  if (q === undefined) fail('head pool state is not quantized');
  walk.visit(q, 'QUANTIZE', 'head/pool/state');
  if (q.inputs[0] !== walk.signatureInput('state_head_pool_buffer')) fail('head pool state');
  const deq = walk.nextOne(walk.output(add).index, 'DEQUANTIZE', 'head/pool/state');
  if (walk.output(deq).index !== walk.signatureOutput('state_head_pool_buffer')) {
    fail('new head pool sum is not the state output');
  }
  const countIn = walk.signatureInput('state_head_pool_frame_count');
  const inc = walk.nextOne(countIn, 'ADD', 'head/pool/count');
  const one = walk.structureValues(walk.input(inc, 1));
  if (!same(one, [1])) fail(`frame count increment is ${one}`);
  if (walk.output(inc).index !== walk.signatureOutput('state_head_pool_frame_count')) {
    fail('new frame count is not the state output');
  }
  const cast = walk.nextOne(walk.output(inc).index, 'CAST', 'head/pool/count');
  const div = walk.nextOne(walk.output(deq).index, 'DIV', 'head/pool/mean');
  if (div.inputs[1] !== walk.output(cast).index) fail('mean does not divide by the frame count');
  const requant = walk.nextOne(walk.output(div).index, 'QUANTIZE', 'head/pool/mean');
  const hidden = walk.nextOne(walk.output(requant).index, 'CONV_2D', 'head/classifier/hidden');
  const hiddenSpec = addDense(walk, hidden, 'head/classifier/hidden');
  const logits = walk.nextOne(walk.output(hidden).index, 'CONV_2D', 'head/classifier/logits');
  const logitsSpec = addDense(walk, logits, 'head/classifier/logits');
  const out = walk.nextOne(walk.output(logits).index, 'DEQUANTIZE', 'head/logits');
  if (walk.output(out).index !== walk.signatureOutput('logits')) fail('logits are not the output');
  return {
    factor,
    config: {
      conv: convSpecHead,
      pool: {
        spatial: 'mean over H x W',
        spatialSize: [h, w],
        temporal: 'cumulative mean over all frames seen: (sum + x) / (count + 1)',
        sumState: 'state_head_pool_buffer',
        countState: 'state_head_pool_frame_count',
        spatialSumQuantization: activationQuant(walk.output(sum), 'head/pool/sum'),
        spatialMeanQuantization: activationQuant(walk.output(mul), 'head/pool/mean'),
        sumStateQuantization: activationQuant(walk.output(q), 'head/pool/state'),
        sumQuantization: activationQuant(walk.output(add), 'head/pool/sum'),
        meanQuantization: activationQuant(walk.output(requant), 'head/pool/mean'),
      },
      hidden: {
        inChannels: hiddenSpec.inChannels,
        outChannels: hiddenSpec.outChannels,
        activation: hiddenSpec.activation,
        outputQuantization: hiddenSpec.outputQuantization,
      },
      logits: {
        inChannels: logitsSpec.inChannels,
        outChannels: logitsSpec.outChannels,
        activation: logitsSpec.activation,
        outputQuantization: logitsSpec.outputQuantization,
      },
    },
  };
}

/** How to read the weights; copied into the manifest's config for the model builder. */
const CONVENTIONS: { readonly [key: string]: JsonValue } = {
  layout: 'channels-last; clip [N,T,H,W,C], frame [N,H,W,C]',
  conv3dKernel:
    '[kt, kh, kw, in/groups, out]; spatial depthwise kernels are [1,kh,kw,1,C], temporal ones [kt,1,1,1,C]',
  denseKernel: '[in, out]',
  samePadding:
    'TF SAME: out = ceil(in/stride), total = max((out-1)*stride + k - in, 0), before = floor(total/2), after = the rest (the odd pixel goes to the bottom/right); each conv lists pads [top,bottom,left,right]',
  temporal:
    'causal depthwise conv over [stream buffer of kt-1 frames (oldest first) ‖ current frame], VALID in time; kernel tap j multiplies frame t-(kt-1)+j (tap kt-1 is the current frame); new buffer = the last kt-1 frames; buffers start at zero',
  rezero:
    'the projection output is multiplied per channel by rezero (one value repeated over C in this model) before the residual add',
  shortcut:
    'null: identity residual; else average pool (padding excluded from the count) then a linear 1x1 conv',
  activations: 'relu6 = min(max(x, 0), 6); none = linear',
  quantization:
    'the TFLite graph stores every activation as int8 with one scale and zero point per tensor: outputQuantization (and input.quantization, temporal.bufferQuantization, head.pool.*Quantization) give them; real = scale * (q - zeroPoint), q = clamp(round(real / scale) + zeroPoint, -128, 127)',
};

/**
 * Converts the MoViNet-A0-Stream TFLite model: returns float32 weights under semantic names,
 * the network's config, and proof that every buffer and operator was accounted for.
 * Throws with the first structural surprise.
 */
export function convertMovinetGraph(model: TfliteModel): MovinetGraph {
  const walk = new Walk(model);
  const image = walk.tensor(walk.signatureInput('image'));
  if (!same(image.shape, [1, 1, 172, 172, 3])) fail(`image shape [${image.shape}]`);
  const quantize = walk.nextOne(image.index, 'QUANTIZE', 'input');
  const qi = activationQuant(walk.output(quantize), 'input');
  if (Math.abs(qi.scale * 255 - 1) > 1e-6 || qi.zeroPoint !== -128) {
    fail('image is not quantized as x/255 - 128');
  }
  const stemOp = walk.nextOne(walk.output(quantize).index, 'CONV_2D', 'stem');
  const stem = addConv(walk, stemOp, 'stem');

  const layers: { readonly [key: string]: JsonValue }[] = [];
  const rezero: Record<string, number> = {};
  const streamQuant: { scale: number; zeroPoint: number }[] = [];
  let x = walk.output(stemOp).index;
  let previous: { block: number; layer: number } | null = null;
  let headResult: ReturnType<typeof head> | null = null;
  while (headResult === null) {
    const convs = walk.next(x).filter((op) => op.opcode === 'CONV_2D');
    if (convs.length !== 1) fail(`${convs.length} convs read tensor ${x}`);
    const conv = convs[0] as TfliteOperator;
    const isLayer = walk
      .next(walk.output(conv).index)
      .some((op) => op.opcode === 'DEPTHWISE_CONV_2D');
    if (!isLayer) {
      headResult = head(walk, conv);
      break;
    }
    const layer = bottleneck(walk, x, conv, previous, streamQuant);
    layers.push(layer.config);
    rezero[layer.config['name'] as string] = layer.rezero;
    previous = { block: layer.block, layer: layer.layer };
    x = layer.output;
  }

  // Accounting: every operator visited, every non-empty buffer claimed or metadata.
  const ops = walk.sg.operators.length;
  if (walk.visited.size !== ops) {
    const missed = walk.sg.operators.filter((op) => !walk.visited.has(op.index));
    fail(`ops not visited: ${missed.map((op) => `${op.index} ${op.opcode}`).join(', ')}`);
  }
  const metadata = new Set(model.metadata.map((m) => m.buffer));
  let weight = 0;
  let structure = 0;
  model.buffers.forEach((bytes, i) => {
    if (bytes.length === 0 || metadata.has(i)) return;
    const claim = walk.claims.get(i);
    if (claim === undefined) fail(`buffer ${i} (${bytes.length} bytes) is not used`);
    if (claim === 'structure') structure++;
    else weight++;
  });
  const sq = streamQuant[0] ?? { scale: Number.NaN, zeroPoint: Number.NaN };
  if (!streamQuant.every((q) => q.scale === sq.scale && q.zeroPoint === sq.zeroPoint)) {
    fail('stream buffers are quantized differently');
  }
  return {
    weights: walk.weights,
    accounting: { weight, structure, metadata: metadata.size, operators: walk.visited.size },
    checks: {
      maxBiasScaleRelError: walk.maxBiasScaleRelError,
      streamBufferQuant: sq,
      headMeanFactor: headResult.factor,
      rezero,
    },
    config: {
      input: {
        frameShape: [...image.shape.slice(2)],
        valueRange: [0, 1],
        colorOrder: 'RGB',
        fps: 5,
        quantization: qi,
      },
      numClasses: headResult.config.logits.outChannels,
      conventions: CONVENTIONS,
      stem,
      layers,
      head: headResult.config,
    },
  };
}
