/**
 * Times CoConv3d's two streaming state forms, 'partial-sums' and 'frame-buffer', per step on the
 * current backend, for the shapes that dominate X3D-S: a channelwise 3x3x3 on [1, 12, 12, 96]
 * and a dense 3x1x1 on [1, 12, 12, 64]; the result decides defaultConvStateForm in
 * src/continual/conv3d.ts. Prints one JSON line per shape and asserts that both forms agree.
 *
 * Runs as part of the cpu and wasm test projects with few steps (a smoke run); for the figures,
 * raise the count: `VITE_BENCH_STEPS=300 npx vitest run --project wasm tools/bench`.
 * Skipped on webgpu: the headless chromium adapter is SwiftShader, a CPU emulation whose timings
 * say nothing about a GPU.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { CoConv3d, type CoConv3dOptions, type ConvStateForm } from '../../src/continual/conv3d';
import type { Frame } from '../../src/continual/module';
import { seededTensor } from '../../src/continual/testing';
import { maxAbsDiffAsync } from '../../src/continual/testing-async';

const backend = tf.getBackend();
const env = (import.meta as { env?: Record<string, string | undefined> }).env ?? {};
const STEPS = Number(env.VITE_BENCH_STEPS ?? 30);
const WARMUP = 10;

interface Shape {
  readonly label: string;
  readonly options: Omit<CoConv3dOptions, 'name' | 'kernel' | 'bias' | 'stateForm'>;
  readonly frame: [number, number, number, number];
}

const SHAPES: readonly Shape[] = [
  {
    label: 'channelwise 3x3x3 on [1, 12, 12, 96]',
    options: { inChannels: 96, outChannels: 96, kernelSize: [3, 3, 3], groups: 96 },
    frame: [1, 12, 12, 96],
  },
  {
    label: 'dense 3x1x1 on [1, 12, 12, 64]',
    options: { inChannels: 64, outChannels: 64, kernelSize: [3, 1, 1] },
    frame: [1, 12, 12, 64],
  },
];

function build(shape: Shape, stateForm: ConvStateForm): CoConv3d {
  const { inChannels, outChannels, kernelSize } = shape.options;
  const groups = shape.options.groups ?? 1;
  return new CoConv3d({
    name: 'bench',
    ...shape.options,
    activation: 'relu',
    stateForm,
    kernel: seededTensor([...kernelSize, inChannels / groups, outChannels], 1, -0.1, 0.1),
    bias: seededTensor([outChannels], 2),
  });
}

/** Median milliseconds of one forwardStep, waiting for the output data each step. */
async function timeSteps(module: CoConv3d, frames: Frame[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const start = performance.now();
    const out = module.forwardStep(frames[i % frames.length] as Frame);
    if (out !== null) {
      await out.data();
      out.dispose();
    }
    if (i >= WARMUP) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

describe.skipIf(backend === 'webgpu')(`CoConv3d state forms on ${backend}`, () => {
  it.each(SHAPES)('$label', async (shape) => {
    const frames = Array.from({ length: 4 }, (_, i) => seededTensor(shape.frame, 10 + i) as Frame);
    const result: Record<string, number | string> = { backend, shape: shape.label, steps: STEPS };
    const last: tf.Tensor[] = [];
    for (const form of ['partial-sums', 'frame-buffer'] as const) {
      const module = build(shape, form);
      result[form] = Number((await timeSteps(module, frames)).toFixed(3));
      last.push(module.forwardStep(frames[0] as Frame) as tf.Tensor);
      module.dispose();
    }
    console.log(JSON.stringify(result));
    // Same stream, same outputs: the forms differ in cost only (float32 reassociation: 1e-5).
    expect(await maxAbsDiffAsync(last[0] as tf.Tensor, last[1] as tf.Tensor)).toBeLessThanOrEqual(
      1e-5,
    );
    expect(result['partial-sums']).toBeGreaterThan(0);
    expect(result['frame-buffer']).toBeGreaterThan(0);
    tf.dispose([...frames, ...last]);
  });
});
