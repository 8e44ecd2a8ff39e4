import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL } from './convert-movinet';
import { int32Values, int8Values } from './dequantize';
import { convertMovinetGraph } from './movinet-graph';
import { readTflite } from './read-tflite';
import type {
  Quantization,
  TfliteModel,
  TfliteOperator,
  TfliteSubgraph,
  TfliteTensor,
} from './tflite-schema';

/** The grid of every ReLU6 output: [0, 6] in 255 steps (scale 6/255 as float32), zero point -128. */
const RELU6_GRID = { scale: Math.fround(6 / 255), zeroPoint: -128 };

/**
 * MoViNet-A0 as SOURCE.md describes it: per block, per layer [expand channels, spatial kernel,
 * stride, temporal kernel (0 = none)], output channels and output size per block.
 */
const BLOCKS: { layers: [number, number, number, number][]; out: number; size: number }[] = [
  { layers: [[24, 5, 2, 0]], out: 8, size: 43 },
  {
    layers: [
      [80, 3, 2, 3],
      [80, 3, 1, 3],
      [80, 3, 1, 3],
    ],
    out: 32,
    size: 22,
  },
  {
    layers: [
      [184, 3, 2, 5],
      [112, 3, 1, 3],
      [184, 3, 1, 3],
    ],
    out: 56,
    size: 11,
  },
  {
    layers: [
      [184, 3, 1, 5],
      [184, 3, 1, 3],
      [184, 3, 1, 3],
      [184, 3, 1, 3],
    ],
    out: 56,
    size: 11,
  },
  {
    layers: [
      [384, 3, 2, 5],
      [280, 5, 1, 0],
      [280, 5, 1, 0],
      [344, 5, 1, 0],
    ],
    out: 104,
    size: 6,
  },
];

/** The names and shapes the converter must produce, derived from the table above. */
function expectedWeights(): [string, number[]][] {
  const out: [string, number[]][] = [
    ['stem/kernel', [1, 3, 3, 3, 8]],
    ['stem/bias', [8]],
  ];
  let inC = 8;
  BLOCKS.forEach((block, b) =>
    block.layers.forEach(([e, k, stride, kt], l) => {
      const n = `b${b}_l${l}`;
      out.push([`${n}/expand/kernel`, [1, 1, 1, inC, e]], [`${n}/expand/bias`, [e]]);
      out.push([`${n}/spatial/kernel`, [1, k, k, 1, e]], [`${n}/spatial/bias`, [e]]);
      if (kt > 0) out.push([`${n}/temporal/kernel`, [kt, 1, 1, 1, e]], [`${n}/temporal/bias`, [e]]);
      out.push(
        [`${n}/project/kernel`, [1, 1, 1, e, block.out]],
        [`${n}/project/bias`, [block.out]],
      );
      out.push([`${n}/rezero`, [block.out]]);
      if (stride === 2) {
        out.push([`${n}/shortcut/kernel`, [1, 1, 1, inC, block.out]]);
        out.push([`${n}/shortcut/bias`, [block.out]]);
      }
      inC = block.out;
    }),
  );
  out.push(['head/conv/kernel', [1, 1, 1, 104, 480]], ['head/conv/bias', [480]]);
  out.push(['head/classifier/hidden/kernel', [480, 2048]], ['head/classifier/hidden/bias', [2048]]);
  out.push(['head/classifier/logits/kernel', [2048, 600]], ['head/classifier/logits/bias', [600]]);
  return out;
}

/** Reads a nested field of parsed JSON (the converter's config). */
function pick(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const key of path) v = (v as Record<string | number, unknown> | null)?.[key];
  return v;
}

const present = existsSync(DEFAULT_MODEL);

// The shared model lives outside the repository (../shared/models/movinet-a0-stream/).
describe.skipIf(!present)('convertMovinetGraph (skipped if the model file is absent)', () => {
  const model = present ? readTflite(new Uint8Array(readFileSync(DEFAULT_MODEL))) : null;
  const sg = model?.subgraphs[0] as TfliteSubgraph;
  const graph = present ? convertMovinetGraph(model as TfliteModel) : (null as never);
  const weight = (name: string) => {
    const w = graph.weights.find((x) => x.name === name);
    if (w === undefined) throw new Error(`no weight ${name}`);
    return w;
  };
  const ops = (opcode: string) => sg.operators.filter((op) => op.opcode === opcode);

  it('exports exactly the expected names and shapes, in network order', () => {
    expect(graph.weights.map((w) => [w.name, w.shape])).toEqual(expectedWeights());
    expect(graph.weights).toHaveLength(143);
    expect(graph.weights.reduce((a, w) => a + w.data.length, 0)).toBe(2_724_304);
  });

  it('uses every weight buffer exactly once and visits every operator', () => {
    // 64 filters + 64 biases + 15 rezero; 37 int32 structure constants + the 1/36 factor.
    expect(graph.accounting).toEqual({ weight: 143, structure: 38, metadata: 2, operators: 227 });
    const sources = graph.weights.map((w) => sg.tensors[w.sourceTensor]?.buffer);
    expect(new Set(sources).size).toBe(143);
  });

  it('dequantizes the stem filter as scale[o] * q and moves out-channels last', () => {
    const op = ops('CONV_2D')[0] as TfliteOperator;
    const f = sg.tensors[op.inputs[1] ?? -1];
    if (f === undefined || model === null) throw new Error('no stem filter');
    const q = int8Values(model, f);
    const scale = f.quantization?.scale ?? [];
    const k = weight('stem/kernel').data;
    let checked = 0;
    for (let o = 0; o < 8; o++)
      for (let y = 0; y < 3; y++)
        for (let x = 0; x < 3; x++)
          for (let i = 0; i < 3; i++) {
            const expected = Math.fround((scale[o] ?? 0) * (q[((o * 3 + y) * 3 + x) * 3 + i] ?? 0));
            expect(k[((y * 3 + x) * 3 + i) * 8 + o]).toBe(expected);
            checked++;
          }
    expect(checked).toBe(216);
    const b = sg.tensors[op.inputs[2] ?? -1];
    if (b === undefined) throw new Error('no stem bias');
    const qb = int32Values(model, b);
    expect(Array.from(weight('stem/bias').data)).toEqual(
      Array.from(qb, (v, c) => Math.fround((b.quantization?.scale[c] ?? 0) * v)),
    );
  });

  it('keeps temporal taps in time order: tap j = concat frame j (oldest first)', () => {
    // The first VALID depthwise conv is b1_l0's temporal conv, filter [1, 3, 1, 80].
    const op = ops('DEPTHWISE_CONV_2D').find(
      (o) => o.options.kind === 'DepthwiseConv2D' && o.options.padding === 'VALID',
    ) as TfliteOperator;
    const f = sg.tensors[op.inputs[1] ?? -1];
    if (f === undefined || model === null) throw new Error('no temporal filter');
    expect(f.shape).toEqual([1, 3, 1, 80]);
    const q = int8Values(model, f);
    const k = weight('b1_l0/temporal/kernel').data;
    for (let j = 0; j < 3; j++)
      for (const c of [0, 17, 79]) {
        const s = f.quantization?.scale[c] ?? 0;
        expect(k[j * 80 + c]).toBe(Math.fround(s * (q[j * 80 + c] ?? 0)));
      }
    // Its input is concat(state, current frame) along time: the state comes first.
    const reshape = sg.operators.find((o) => o.outputs[0] === op.inputs[0]);
    const concat = sg.operators.find((o) => o.outputs[0] === reshape?.inputs[0]);
    expect(concat?.opcode).toBe('CONCATENATION');
    expect(sg.tensors[concat?.inputs[0] ?? -1]?.shape).toEqual([1, 2, 22, 22, 80]);
    expect(sg.tensors[concat?.inputs[1] ?? -1]?.shape).toEqual([1, 1, 22, 22, 80]);
  });

  it('transposes the classifier to a dense [in, out] kernel', () => {
    const op = ops('CONV_2D').at(-1) as TfliteOperator;
    const f = sg.tensors[op.inputs[1] ?? -1];
    if (f === undefined || model === null) throw new Error('no logits filter');
    expect(f.shape).toEqual([600, 1, 1, 2048]);
    const q = int8Values(model, f);
    const k = weight('head/classifier/logits/kernel').data;
    for (const [i, o] of [
      [0, 0],
      [2047, 599],
      [5, 321],
      [1000, 1],
    ] as const) {
      const s = f.quantization?.scale[o] ?? 0;
      expect(k[i * 600 + o]).toBe(Math.fround(s * (q[o * 2048 + i] ?? 0)));
    }
  });

  it('exports rezero as one value per layer repeated over channels', () => {
    const r = weight('b0_l0/rezero').data;
    expect(r).toHaveLength(8);
    expect(new Set(r).size).toBe(1);
    expect(r[0]).toBeCloseTo(-2.32977, 4);
    expect(graph.checks.rezero['b0_l0']).toBe(r[0]);
    expect(Object.keys(graph.checks.rezero)).toHaveLength(15);
    expect(weight('b4_l2/rezero').data[0]).toBeCloseTo(1.52993, 4);
  });

  it('measures quantization facts: bias scales, stream buffers, head mean', () => {
    // Bias scale = input scale x weight scale up to float32 rounding (relative 2^-23 ~ 1.2e-7).
    expect(graph.checks.maxBiasScaleRelError).toBeLessThan(1.2e-7);
    expect(graph.checks.streamBufferQuant.scale).toBeCloseTo(6 / 255, 7);
    expect(graph.checks.streamBufferQuant.zeroPoint).toBe(-128);
    expect(graph.checks.headMeanFactor).toBeCloseTo(1 / 36, 6);
  });

  it('records strides, SAME pads (odd pixel bottom/right), activations and sizes', () => {
    const config = graph.config;
    expect(config['stem']).toMatchObject({
      kernel: [3, 3],
      stride: [2, 2],
      pads: [0, 1, 0, 1],
      activation: 'relu6',
      inSize: [172, 172],
      outSize: [86, 86],
    });
    const layers = pick(config, 'layers') as unknown[];
    expect(layers.map((l) => pick(l, 'name'))).toEqual([
      'b0_l0',
      'b1_l0',
      'b1_l1',
      'b1_l2',
      'b2_l0',
      'b2_l1',
      'b2_l2',
      'b3_l0',
      'b3_l1',
      'b3_l2',
      'b3_l3',
      'b4_l0',
      'b4_l1',
      'b4_l2',
      'b4_l3',
    ]);
    expect(layers.map((l) => pick(l, 'outSize', 0))).toEqual([
      43, 22, 22, 22, 11, 11, 11, 11, 11, 11, 11, 6, 6, 6, 6,
    ]);
    const spatialPads = layers.map((l) => pick(l, 'spatial', 'pads'));
    expect(spatialPads.slice(0, 5)).toEqual([
      [1, 2, 1, 2], // 5x5 / 2 on 86
      [1, 1, 1, 1], // 3x3 / 2 on 43
      [1, 1, 1, 1],
      [1, 1, 1, 1],
      [0, 1, 0, 1], // 3x3 / 2 on 22
    ]);
    expect(spatialPads[12]).toEqual([2, 2, 2, 2]); // 5x5 / 1
    for (const l of layers) {
      expect(pick(l, 'expand', 'activation')).toBe('relu6');
      expect(pick(l, 'spatial', 'activation')).toBe('relu6');
      expect(pick(l, 'project', 'activation')).toBe('none');
    }
    const temporal = layers.map((l) => pick(l, 'temporal'));
    expect(temporal.map((t) => (t === null ? 0 : pick(t, 'kernel')))).toEqual([
      0, 3, 3, 3, 5, 3, 3, 5, 3, 3, 3, 5, 0, 0, 0,
    ]);
    expect(temporal[4]).toEqual({
      kernel: 5,
      activation: 'relu6',
      bufferFrames: 4,
      state: 'state_block2_layer0_stream_buffer',
      stateShape: [1, 4, 11, 11, 184],
      bufferQuantization: RELU6_GRID,
      outputQuantization: RELU6_GRID,
    });
    const shortcuts = layers.map((l) => pick(l, 'shortcut'));
    expect(shortcuts.map((s) => s !== null)).toEqual([
      true,
      true,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
    ]);
    // An int8 average pool keeps its input's grid: the stem's, then the previous residual's.
    const poolGrids = [
      RELU6_GRID,
      { scale: 0.6094793677330017, zeroPoint: -7 },
      { scale: 0.5707622170448303, zeroPoint: -4 },
      { scale: 0.7848572731018066, zeroPoint: 10 },
    ];
    expect(shortcuts.filter((s) => s !== null).map((s) => pick(s, 'pool'))).toEqual(
      (
        [
          [86, 43, [0, 1, 0, 1]],
          [43, 22, [1, 1, 1, 1]],
          [22, 11, [0, 1, 0, 1]],
          [11, 6, [1, 1, 1, 1]],
        ] as const
      ).map(([i, o, pads], k) => ({
        kind: 'average',
        kernel: [3, 3],
        stride: [2, 2],
        padding: 'SAME',
        pads,
        countIncludePad: false,
        activation: 'none',
        inSize: [i, i],
        outSize: [o, o],
        outputQuantization: poolGrids[k],
      })),
    );
    expect(pick(config, 'head', 'pool')).toMatchObject({
      spatialSize: [6, 6],
    });
    expect(config['numClasses']).toBe(600);
  });

  it('exports the int8 grid of every activation the graph quantizes', () => {
    const config = graph.config;
    expect(pick(config, 'input', 'quantization')).toEqual({
      scale: Math.fround(1 / 255),
      zeroPoint: -128,
    });
    const layers = pick(config, 'layers') as unknown[];
    // Every ReLU6 output sits on [0, 6] in 255 steps; linear outputs have their own grids.
    const relu6Ops = [
      pick(config, 'stem'),
      pick(config, 'head', 'conv'),
      ...layers.flatMap((l) => [pick(l, 'expand'), pick(l, 'spatial'), pick(l, 'temporal')]),
    ].filter((op) => op !== null);
    expect(relu6Ops).toHaveLength(2 + 30 + 11);
    for (const op of relu6Ops) expect(pick(op, 'outputQuantization')).toEqual(RELU6_GRID);
    // Values as tools/tflite/movinet-a0-graph.txt lists them (tensors #242, #244, #248, #246).
    expect(pick(layers[0], 'project', 'outputQuantization')).toEqual({
      scale: 0.23711928725242615,
      zeroPoint: 13,
    });
    expect(pick(layers[0], 'rezero')).toEqual({
      outputQuantization: { scale: 0.5524332523345947, zeroPoint: -14 },
    });
    expect(pick(layers[0], 'residual')).toEqual({
      outputQuantization: { scale: 0.6094793677330017, zeroPoint: -7 },
    });
    expect(pick(layers[0], 'shortcut', 'conv', 'outputQuantization')).toEqual({
      scale: 0.2005401998758316,
      zeroPoint: -12,
    });
    // Each layer reads the previous residual's grid; the head's tensors #437-#449.
    expect(pick(layers[14], 'residual', 'outputQuantization')).toEqual({
      scale: 0.4643116593360901,
      zeroPoint: -15,
    });
    expect(pick(config, 'head', 'pool')).toMatchObject({
      spatialSumQuantization: { scale: 0.8470588326454163, zeroPoint: -128 },
      spatialMeanQuantization: RELU6_GRID,
      sumStateQuantization: { scale: 0.5742605328559875, zeroPoint: -128 },
      sumQuantization: { scale: 0.5870787501335144, zeroPoint: -128 },
      meanQuantization: { scale: 0.021580040454864502, zeroPoint: -128 },
    });
    expect(pick(config, 'head', 'hidden', 'outputQuantization')).toEqual({
      scale: 0.008829854428768158,
      zeroPoint: -128,
    });
    expect(pick(config, 'head', 'logits', 'outputQuantization')).toEqual({
      scale: 0.18997600674629211,
      zeroPoint: -52,
    });
  });

  describe('rejects activations the builder could not reproduce', () => {
    const withTensor = (index: number, edit: (t: TfliteTensor) => TfliteTensor): TfliteModel => ({
      ...(model as TfliteModel),
      subgraphs: [{ ...sg, tensors: sg.tensors.map((t) => (t.index === index ? edit(t) : t)) }],
    });
    const regrid = (t: TfliteTensor, scale: readonly number[]): TfliteTensor => ({
      ...t,
      quantization: {
        ...(t.quantization as Quantization),
        scale,
        zeroPoint: scale.map(() => -128),
      },
    });
    const firstConcat = ops('CONCATENATION')[0] as TfliteOperator;
    const firstPool = ops('AVERAGE_POOL_2D')[0] as TfliteOperator;
    const stem = ops('CONV_2D')[0] as TfliteOperator;

    it('a stream buffer on another grid than the frames it is concatenated with', () => {
      const m = withTensor(firstConcat.inputs[0] ?? -1, (t) => regrid(t, [0.05]));
      expect(() => convertMovinetGraph(m)).toThrow(
        'b1_l0/temporal: the buffer, the current frame and their concatenation are quantized differently',
      );
    });

    it('an average pool that changes grids', () => {
      const m = withTensor(firstPool.outputs[0] ?? -1, (t) => regrid(t, [0.05]));
      expect(() => convertMovinetGraph(m)).toThrow(
        "b0_l0/shortcut: the pool's input and output are quantized differently",
      );
    });

    it('a per-channel or float activation', () => {
      const out = stem.outputs[0] ?? -1;
      expect(() => convertMovinetGraph(withTensor(out, (t) => regrid(t, [0.1, 0.2])))).toThrow(
        `stem: tensor #${out} is not a per-tensor int8 activation`,
      );
      expect(() =>
        convertMovinetGraph(withTensor(out, (t) => ({ ...t, quantization: null }))),
      ).toThrow(`stem: tensor #${out} is not a per-tensor int8 activation`);
    });
  });

  describe('rejects graphs that differ from the expected network', () => {
    const withOps = (edit: (op: TfliteOperator) => TfliteOperator): TfliteModel => ({
      ...(model as TfliteModel),
      subgraphs: [{ ...sg, operators: sg.operators.map(edit) }],
    });
    const firstConcat = ops('CONCATENATION')[0] as TfliteOperator;

    it('a concatenation along another axis', () => {
      const m = withOps((op) =>
        op === firstConcat
          ? { ...op, options: { kind: 'Concatenation', axis: 2, activation: 'NONE' } }
          : op,
      );
      expect(() => convertMovinetGraph(m)).toThrow(
        'b1_l0/temporal: concatenation is not along time',
      );
    });

    it('the current frame before the state', () => {
      const m = withOps((op) =>
        op === firstConcat ? { ...op, inputs: [op.inputs[1] ?? 0, op.inputs[0] ?? 0] } : op,
      );
      expect(() => convertMovinetGraph(m)).toThrow(/concat input 1 is not the spatial output/);
    });

    it('a buffer nobody reads', () => {
      const m: TfliteModel = {
        ...(model as TfliteModel),
        buffers: [...(model as TfliteModel).buffers, new Uint8Array(4)],
      };
      expect(() => convertMovinetGraph(m)).toThrow('buffer 455 (4 bytes) is not used');
    });

    it('an activation the builder would not apply', () => {
      const stem = ops('CONV_2D')[0] as TfliteOperator;
      const m = withOps((op) =>
        op === stem && op.options.kind === 'Conv2D'
          ? { ...op, options: { ...op.options, activation: 'TANH' } }
          : op,
      );
      expect(() => convertMovinetGraph(m)).toThrow('stem: unexpected fused activation TANH');
    });
  });
});
