/**
 * The pruned MoViNet variants the app ships (public/weights/movinet-a0-stream-<variant>), loaded
 * through the registry as the app loads them: what they claim (manifest and report) is what they
 * are, and they still recognise the labelled clips like the dense model's TFLite reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import report from '../../../tools/adapters/variants-report.json';
import type { ActionModel } from '../action-model';
import { MODEL_ENTRIES } from '../model-entries';
import { REFERENCE_FIXTURES, scoreClip } from '../movinet/reference-score';
import { createModel } from '../registry';
import type { FetchLike } from '../weights/load-weights';

const MODEL_ID = 'movinet-a0-stream';
const VARIANTS = MODEL_ENTRIES.find((m) => m.id === MODEL_ID)?.variants ?? [];
const backend = tf.getBackend();
/** SwiftShader runs a 172x172 frame in about 2 s: webgpu streams the first 16 frames only. */
const MAX_FRAMES = backend === 'webgpu' ? 16 : Infinity;
/**
 * Top-1 agreement with the dense reference on its confident frames, at least. Measured on cpu:
 * p30-splora8 49/50 on both clips; p50-ft 50/50 on arm_wrestling and 35/50 on
 * shooting_basketball (it ends on "playing basketball").
 */
const MIN_CONFIDENT_AGREEMENT: Readonly<Record<string, number>> = {
  'p30-splora8': 0.9,
  'p50-ft': 0.65,
};

/** Serves public/weights at '/weights': from disk in Node, from the dev server in the browser. */
async function weightsFetch(): Promise<FetchLike> {
  if (typeof window !== 'undefined') return (url) => globalThis.fetch(url);
  const { readFile } = await import('node:fs/promises');
  const root = new URL('../../../public/', import.meta.url);
  return async (url) => {
    try {
      return new Response(await readFile(new URL(url.replace(/^\//, ''), root)));
    } catch {
      return new Response('not found', { status: 404 });
    }
  };
}

it('ships at least one variant of MoViNet-A0-Stream, each in the report', () => {
  expect(VARIANTS.length).toBeGreaterThan(0);
  for (const v of VARIANTS) expect(report.shipped).toContain(`${MODEL_ID}-${v.id}`);
});

describe.each(VARIANTS)('the shipped variant $id', (variant) => {
  let model: ActionModel;
  const row = report.rows.find((r) => r.id === `${MODEL_ID}-${variant.id}`);

  beforeAll(async () => {
    model = await createModel(MODEL_ID, {
      variant: variant.id,
      weightsBaseUrl: '/weights',
      loader: { fetchImpl: await weightsFetch(), cache: false },
      warmupSteps: 0,
    });
  });
  afterAll(() => model.dispose());

  it('is what the report measured: params, learned params, MACs per step, agreement', () => {
    expect(row).toBeDefined();
    if (row === undefined) return;
    const info = model.info;
    expect(info.displayName).toBe(`MoViNet-A0-Stream, ${variant.displayName}`);
    expect(info.variant?.baseModel).toBe(MODEL_ID);
    expect(info.params).toBe(row.params);
    expect(info.variant?.params).toBe(row.params);
    expect(info.variant?.learnedParams).toBe(row.learnedParams);
    expect(info.variant?.pruneRatio).toBe(row.prune);
    expect(info.variant?.evaluation?.top1Agreement).toBeCloseTo(row.top1Agreement, 12);
    expect(info.variant?.evaluation?.meanKl).toBeCloseTo(row.meanKl, 12);
    const flops = model.network.flopsPerStep(info.input);
    expect(flops.macs).toBe(row.macsPerStep);
    const dense = report.rows.find((r) => r.id === MODEL_ID);
    expect(flops.macs).toBeLessThan((dense?.macsPerStep ?? 0) * (1 - row.prune / 2));
  });

  describe.each(REFERENCE_FIXTURES)('on $clip', (fixture) => {
    it('agrees with the dense model’s TFLite reference on confident frames', async () => {
      const s = await scoreClip(model.network, fixture, MAX_FRAMES);
      const last = s.finalTop;
      const { agree, confident, frames: count } = s;
      // The first step allocates the streaming state; after it, no step may leave a tensor.
      expect(s.tensorGrowth).toBe(0);
      console.info(
        `[${backend}] ${variant.id} ${fixture.clip}: top-1 agrees on ${agree}/${confident} confident frames of ${count}, final "${model.info.labels[last]}"`,
      );
      expect(confident).toBeGreaterThan(0);
      expect(agree / confident).toBeGreaterThanOrEqual(MIN_CONFIDENT_AGREEMENT[variant.id] ?? 1);
      if (fixture.clip === 'arm_wrestling') expect(model.info.labels[last]).toBe('arm wrestling');
    });
  });
});
