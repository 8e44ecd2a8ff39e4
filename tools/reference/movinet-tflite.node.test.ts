import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MovinetTflite, streamWiring } from './movinet-tflite';
import { MODEL_PATH } from './reference-fixture';
import type { Signature, SignatureTensor } from './tflite-signature';

const t = (
  name: string,
  tensorName: string,
  tensorIndex: number,
  shape: number[],
  dtype = 'float32',
): SignatureTensor => ({ name, tensorName, tensorIndex, shape, dtype });

describe('streamWiring on a small signature', () => {
  const image = t('image', 'in_image', 0, [1, 1, 2, 2, 3]);
  const logits = t('logits', 'out:0', 9, [1, 4]);
  const base: Signature = {
    key: 'serving_default',
    subgraphIndex: 0,
    inputs: [image, t('s_buf', 'in_s', 1, [1, 2]), t('s_count', 'in_c', 2, [1], 'int32')],
    outputs: [logits, t('s_count', 'in_c', 2, [1], 'int32'), t('s_buf', 'out:1', 7, [1, 2])],
  };

  it('splits computed and pass-through states by tensor identity, in input order', () => {
    const w = streamWiring(base);
    expect(w.image).toBe(image);
    expect(w.logits).toBe(logits);
    expect(w.computed).toEqual([
      { name: 's_buf', input: 'in_s', output: 'out:1', shape: [1, 2], dtype: 'float32' },
    ]);
    expect(w.passThrough.map((s) => s.name)).toEqual(['s_count']);
  });

  it('rejects a missing image or logits', () => {
    expect(() => streamWiring({ ...base, inputs: base.inputs.slice(1) })).toThrow(/no 'image'/);
    expect(() => streamWiring({ ...base, outputs: base.outputs.slice(1) })).toThrow(/no 'logits'/);
  });

  it('rejects a state without a matching output', () => {
    const outputs = [logits, t('s_buf', 'out:1', 7, [1, 2])];
    expect(() => streamWiring({ ...base, outputs })).toThrow(/state s_count has no output/);
    const wrongShape = [logits, base.outputs[1]!, t('s_buf', 'out:1', 7, [1, 3])];
    expect(() => streamWiring({ ...base, outputs: wrongShape })).toThrow(/s_buf/);
    const wrongType = [logits, base.outputs[1]!, t('s_buf', 'out:1', 7, [1, 2], 'int32')];
    expect(() => streamWiring({ ...base, outputs: wrongType })).toThrow(/s_buf/);
    const wrongRank = [logits, base.outputs[1]!, t('s_buf', 'out:1', 7, [1, 2, 1])];
    expect(() => streamWiring({ ...base, outputs: wrongRank })).toThrow(/s_buf/);
  });
});

/** The 13 computed states, typed in from shared/models/movinet-a0-stream/SOURCE.md's table. */
const SOURCE_MD_STATES: [string, string, number[], string][] = [
  ['state_block1_layer0_stream_buffer', 'StatefulPartitionedCall:5', [1, 2, 22, 22, 80], 'float32'],
  ['state_block1_layer1_stream_buffer', 'StatefulPartitionedCall:8', [1, 2, 22, 22, 80], 'float32'],
  [
    'state_block1_layer2_stream_buffer',
    'StatefulPartitionedCall:11',
    [1, 2, 22, 22, 80],
    'float32',
  ],
  [
    'state_block2_layer0_stream_buffer',
    'StatefulPartitionedCall:14',
    [1, 4, 11, 11, 184],
    'float32',
  ],
  [
    'state_block2_layer1_stream_buffer',
    'StatefulPartitionedCall:17',
    [1, 2, 11, 11, 112],
    'float32',
  ],
  [
    'state_block2_layer2_stream_buffer',
    'StatefulPartitionedCall:20',
    [1, 2, 11, 11, 184],
    'float32',
  ],
  [
    'state_block3_layer0_stream_buffer',
    'StatefulPartitionedCall:23',
    [1, 4, 11, 11, 184],
    'float32',
  ],
  [
    'state_block3_layer1_stream_buffer',
    'StatefulPartitionedCall:26',
    [1, 2, 11, 11, 184],
    'float32',
  ],
  [
    'state_block3_layer2_stream_buffer',
    'StatefulPartitionedCall:29',
    [1, 2, 11, 11, 184],
    'float32',
  ],
  [
    'state_block3_layer3_stream_buffer',
    'StatefulPartitionedCall:32',
    [1, 2, 11, 11, 184],
    'float32',
  ],
  ['state_block4_layer0_stream_buffer', 'StatefulPartitionedCall:35', [1, 4, 6, 6, 384], 'float32'],
  ['state_head_pool_buffer', 'StatefulPartitionedCall:42', [1, 1, 1, 1, 480], 'float32'],
  ['state_head_pool_frame_count', 'StatefulPartitionedCall:43', [1], 'int32'],
];

// The model lives in ../shared (beside the repository), as in CI.
describe.skipIf(!existsSync(MODEL_PATH))('MovinetTflite (needs ../shared/models)', () => {
  let model: MovinetTflite;
  const frameBytes = 172 * 172 * 3;
  /** A deterministic, non-constant frame. */
  const frame = Uint8Array.from({ length: frameBytes }, (_, i) => (i * 7 + (i >> 9)) & 255);

  beforeAll(async () => {
    model = await MovinetTflite.load(readFileSync(MODEL_PATH));
  });

  it('derives the 13 computed states of SOURCE.md and 30 pass-through states', () => {
    const { computed, passThrough } = model.wiring;
    expect(computed.map((s) => [s.name, s.output, s.shape, s.dtype])).toEqual(SOURCE_MD_STATES);
    for (const s of computed) expect(s.input).toBe(`serving_default_${s.name}:0`);
    expect(passThrough).toHaveLength(30);
    for (const s of passThrough) {
      expect(s.name).toMatch(/^state_block\d_layer\d_pool_(buffer|frame_count)$/);
    }
    expect(model.frameBytes).toBe(frameBytes);
  });

  it('carries states: the head frame count counts steps, and reset restarts the stream', () => {
    model.resetState();
    const first = model.step(frame);
    const second = model.step(frame);
    expect(model.framesSeen).toBe(2);
    expect(Array.from(model.readState('state_head_pool_frame_count'))).toEqual([2]);
    // The stream buffers now hold the frame's features, so the same frame scores differently.
    let moved = 0;
    for (let i = 0; i < 600; i++)
      moved = Math.max(moved, Math.abs((first[i] ?? 0) - (second[i] ?? 0)));
    expect(moved).toBeGreaterThan(0.1);
    model.resetState();
    expect(model.framesSeen).toBe(0);
    expect(Array.from(model.readState('state_head_pool_frame_count'))).toEqual([0]);
    // Same input, same state: bit-identical logits (deterministic int8 kernels).
    expect(Array.from(model.step(frame))).toEqual(Array.from(first));
  });

  it('keeps pass-through states at zero', () => {
    model.resetState();
    model.step(frame);
    const pool = model.readState('state_block3_layer0_pool_buffer');
    expect(pool.length).toBe(184);
    expect(pool.every((v) => v === 0)).toBe(true);
  });

  it('returns 600 logits and leaks no tensors per step', () => {
    model.resetState();
    model.step(frame); // warm-up allocations inside tfjs-tflite happen outside our count
    const before = tf.memory().numTensors;
    const logits = model.step(frame);
    expect(logits.length).toBe(600);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a frame of the wrong size and an unknown state name', () => {
    expect(() => model.step(new Uint8Array(frameBytes - 1))).toThrow(/expected 88752/);
    expect(() => model.readState('state_nope')).toThrow(/no state named state_nope/);
  });

  it('dispose releases the 43 state tensors', () => {
    const before = tf.memory().numTensors;
    model.dispose();
    expect(before - tf.memory().numTensors).toBe(43);
  });
});
