import { existsSync, readFileSync } from 'node:fs';
import { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { MODEL_PATH } from './reference-fixture';
import { readSignatures } from './tflite-signature';

/**
 * A minimal .tflite flatbuffer: one subgraph with the given tensors and one signature mapping
 * `in`/`out` names to tensor indices. Field slots as in TensorFlow Lite's schema.fbs.
 */
function tinyModel(
  tensors: { name: string; shape: number[]; type?: number }[],
  sig: { key: string; inputs: [string, number][]; outputs: [string, number][] },
): Uint8Array {
  const b = new Builder(256);
  const tensorOffsets = tensors.map((t) => {
    const name = b.createString(t.name);
    b.startVector(4, t.shape.length, 4);
    for (let i = t.shape.length - 1; i >= 0; i--) b.addInt32(t.shape[i] ?? 0);
    const shapeVec = b.endVector();
    b.startObject(4);
    b.addFieldOffset(0, shapeVec, 0);
    if (t.type !== undefined) b.addFieldInt8(1, t.type, 0);
    b.addFieldOffset(3, name, 0);
    return b.endObject();
  });
  const vectorOf = (offsets: number[]) => {
    b.startVector(4, offsets.length, 4);
    for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i] ?? 0);
    return b.endVector();
  };
  const tensorVec = vectorOf(tensorOffsets);
  b.startObject(1);
  b.addFieldOffset(0, tensorVec, 0);
  const subgraph = b.endObject();
  const maps = (pairs: [string, number][]) =>
    vectorOf(
      pairs.map(([name, index]) => {
        const n = b.createString(name);
        b.startObject(2);
        b.addFieldOffset(0, n, 0);
        b.addFieldInt32(1, index, 0);
        return b.endObject();
      }),
    );
  const inputs = maps(sig.inputs);
  const outputs = maps(sig.outputs);
  const key = b.createString(sig.key);
  b.startObject(5);
  b.addFieldOffset(0, inputs, 0);
  b.addFieldOffset(1, outputs, 0);
  b.addFieldOffset(2, key, 0);
  const signature = b.endObject();
  const subgraphs = vectorOf([subgraph]);
  const signatures = vectorOf([signature]);
  b.startObject(8);
  b.addFieldOffset(2, subgraphs, 0);
  b.addFieldOffset(7, signatures, 0);
  b.finish(b.endObject());
  return b.asUint8Array();
}

describe('readSignatures on a hand-built flatbuffer', () => {
  const model = tinyModel(
    [
      { name: 'serving_default_x:0', shape: [1, 3], type: 0 },
      { name: 'StatefulPartitionedCall:0', shape: [2], type: 2 },
      { name: 'q', shape: [4], type: 9 },
      { name: 'odd', shape: [], type: 12 },
    ],
    {
      key: 'serving_default',
      inputs: [['x', 0]],
      outputs: [
        ['y', 1],
        ['z', 2],
        ['w', 3],
      ],
    },
  );

  it('resolves names, indices, shapes and types', () => {
    const [s, ...rest] = readSignatures(model);
    expect(rest).toHaveLength(0);
    expect(s?.key).toBe('serving_default');
    expect(s?.subgraphIndex).toBe(0);
    expect(s?.inputs).toEqual([
      {
        name: 'x',
        tensorName: 'serving_default_x:0',
        tensorIndex: 0,
        shape: [1, 3],
        dtype: 'float32',
      },
    ]);
    expect(s?.outputs.map((t) => [t.name, t.tensorName, t.tensorIndex, t.dtype])).toEqual([
      ['y', 'StatefulPartitionedCall:0', 1, 'int32'],
      ['z', 'q', 2, 'int8'],
      ['w', 'odd', 3, 'type12'],
    ]);
    expect(s?.outputs[1]?.shape).toEqual([4]);
    expect(s?.outputs[2]?.shape).toEqual([]);
  });

  it('reads a tensor with no type field as float32 (the schema default)', () => {
    const m = tinyModel([{ name: 't', shape: [5] }], { key: 'k', inputs: [['a', 0]], outputs: [] });
    expect(readSignatures(m)[0]?.inputs[0]?.dtype).toBe('float32');
  });

  it('rejects a tensor index outside the subgraph', () => {
    const m = tinyModel([{ name: 't', shape: [1] }], { key: 'k', inputs: [['a', 7]], outputs: [] });
    expect(() => readSignatures(m)).toThrow(/a -> index 7 out of range/);
  });
});

// The model lives in ../shared (beside the repository), as in CI.
describe.skipIf(!existsSync(MODEL_PATH))(
  'readSignatures on MoViNet-A0-Stream (needs ../shared)',
  () => {
    it('finds serving_default with 44 inputs and 44 outputs as SOURCE.md states', () => {
      const signatures = readSignatures(readFileSync(MODEL_PATH));
      expect(signatures.map((s) => s.key)).toEqual(['serving_default']);
      const s = signatures[0];
      expect(s?.inputs).toHaveLength(44);
      expect(s?.outputs).toHaveLength(44);
      expect(s?.inputs.find((t) => t.name === 'image')).toMatchObject({
        tensorName: 'serving_default_image:0',
        shape: [1, 1, 172, 172, 3],
        dtype: 'float32',
      });
      expect(s?.outputs.find((t) => t.name === 'logits')).toMatchObject({
        tensorName: 'StatefulPartitionedCall:0',
        shape: [1, 600],
        dtype: 'float32',
      });
      // Every input is named serving_default_<name>:0.
      for (const t of s?.inputs ?? []) expect(t.tensorName).toBe(`serving_default_${t.name}:0`);
    });
  },
);
