/**
 * The FLOP table's rows (tools/flops/flop-rows.ts): one per model, counted from the modules,
 * within the documented distance of the published figures, and no tensors left behind.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MOVINET_MANIFEST, flopRows, movinetRow, zeroWeights } from './flop-rows';
import { formatTable } from './flops-table-format';

const rows = flopRows();
const byId = new Map(rows.map((r) => [r.id, r]));

describe('flopRows', () => {
  it('has one row per model, X3D smallest first, then MoViNet, Slow and SlowFast', () => {
    expect(rows.map((r) => [r.id, r.continualId])).toEqual([
      ['x3d-xs', 'cox3d-xs'],
      ['x3d-s', 'cox3d-s'],
      ['x3d-m', 'cox3d-m'],
      ['x3d-l', 'cox3d-l'],
      ['x3d-s-t64', 'cox3d-s-t64'],
      ['movinet-a0', 'movinet-a0-stream'],
      ['slow-8x8-r50', 'coslow-8x8-r50'],
      ['slowfast-8x8-r50', 'coslowfast-8x8-r50'],
    ]);
    expect(rows.map((r) => r.input)).toEqual([
      { frames: 4, height: 160, width: 160 },
      { frames: 13, height: 160, width: 160 },
      { frames: 16, height: 224, width: 224 },
      { frames: 16, height: 312, width: 312 },
      { frames: 64, height: 160, width: 160 },
      { frames: 8, height: 172, width: 172 },
      // The published Slow/SlowFast views: 256 x 256 test crops (see slowfast-config.ts).
      { frames: 8, height: 256, width: 256 },
      { frames: 32, height: 256, width: 256 },
    ]);
  });

  it('matches the X3D paper within 3% (multiply-adds per clip, parameters)', () => {
    for (const r of rows.slice(0, 4)) {
      expect(Math.abs(r.gflopsPerClip / (r.published.gflopsPerClip ?? 0) - 1)).toBeLessThan(0.03);
      expect(Math.abs(r.params / 1e6 / (r.published.paramsMillions ?? 0) - 1)).toBeLessThan(0.03);
    }
    expect(byId.get('x3d-s')?.gflopsPerClip).toBeCloseTo(1.9648, 4);
    expect(byId.get('x3d-s')?.gflopsPerStep).toBeCloseTo(0.15271, 5);
    // T = 64: the same step, a clip 64/13 as long, and a 63x ratio (CoX3D paper: CoX3D-S_64).
    expect(byId.get('x3d-s-t64')?.gflopsPerStep).toBeCloseTo(0.15271, 5);
    expect(byId.get('x3d-s-t64')?.gflopsPerClip).toBeCloseTo(9.666176, 5);
    expect(byId.get('x3d-s-t64')?.delay).toBe(119);
  });

  it('computes ratio = clip / step and element-wise totals above the multiply-adds', () => {
    for (const r of rows) {
      expect(r.ratio).toBeCloseTo(r.gflopsPerClip / r.gflopsPerStep, 10);
      expect(r.gflopsPerClipWithElementwise).toBeGreaterThan(r.gflopsPerClip);
      expect(r.gflopsPerStepWithElementwise).toBeGreaterThan(r.gflopsPerStep);
    }
    // A causal network's clip is T steps: the ratio is exactly T for MoViNet.
    expect(byId.get('movinet-a0')?.ratio).toBeCloseTo(8, 10);
  });

  it('matches the Slow/SlowFast model zoo within 5% (multiply-adds per view, parameters)', () => {
    for (const id of ['slow-8x8-r50', 'slowfast-8x8-r50']) {
      const r = byId.get(id);
      expect(
        Math.abs((r?.gflopsPerClip ?? 0) / (r?.published.gflopsPerClip ?? 1) - 1),
      ).toBeLessThan(0.05);
      expect(
        Math.abs((r?.params ?? 0) / 1e6 / (r?.published.paramsMillions ?? 1) - 1),
      ).toBeLessThan(0.05);
      expect(r?.published.coX3dPaperClipGflops).toBeNull();
    }
    // Exact counts: src/models/slowfast/slowfast-flops.node.test.ts walks the architecture.
    expect(byId.get('slow-8x8-r50')?.gflopsPerClip).toBeCloseTo(54.518382592, 9);
    expect(byId.get('slowfast-8x8-r50')?.gflopsPerClip).toBeCloseTo(65.708888064, 9);
    // CoSlow steps at the Slow rate: a view of 8 frames is 8 steps' bodies (ratio ~8).
    expect(byId.get('slow-8x8-r50')?.ratio).toBeCloseTo(8, 2);
    // CoSlowFast steps at the Fast rate: 32 steps per view (ratio ~32).
    expect(byId.get('slowfast-8x8-r50')?.ratio).toBeCloseTo(32, 1);
    expect(byId.get('slow-8x8-r50')?.delay).toBe(25);
    expect(byId.get('slowfast-8x8-r50')?.delay).toBe(124);
    expect(byId.get('slowfast-8x8-r50')?.receptiveField).toBe(125);
  });

  it('counts MoViNet-A0 from its manifest: 2,724,304 weights, delay 0', () => {
    const m = byId.get('movinet-a0');
    expect(m?.params).toBe(2_724_304);
    expect(m?.delay).toBe(0);
    expect(m?.published.gflopsPerClip).toBeNull();
    // The MoViNet paper's A0 (2.71 GFLOPs over 50 frames of 172x172) is 0.054 per frame.
    expect(m?.gflopsPerStep).toBeGreaterThan(0.045);
    expect(m?.gflopsPerStep).toBeLessThan(0.06);
  });

  it('scales a causal clip linearly with its length', () => {
    const manifest = JSON.parse(readFileSync(MOVINET_MANIFEST, 'utf8')) as unknown;
    const r16 = movinetRow(manifest, 16);
    expect(r16.gflopsPerClip).toBeCloseTo(2 * (byId.get('movinet-a0')?.gflopsPerClip ?? 0), 9);
    expect(r16.gflopsPerStep).toBe(byId.get('movinet-a0')?.gflopsPerStep);
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    flopRows();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('zeroWeights', () => {
  const manifest = JSON.parse(readFileSync(MOVINET_MANIFEST, 'utf8')) as unknown;

  it('serves every manifest tensor once, as zeros of its shape', () => {
    const w = zeroWeights(manifest);
    const t = w.take('stem/kernel', [1, 3, 3, 3, 8]);
    expect(t.data.length).toBe(216);
    expect(t.data.every((v) => v === 0)).toBe(true);
    expect(() => w.take('stem/kernel', [1, 3, 3, 3, 8])).toThrow(/taken twice/);
    expect(() => w.take('stem/bias', [9])).toThrow(/is \[8\], expected \[9\]/);
    expect(() => w.take('nope', [1])).toThrow(/no tensor "nope"/);
    expect(() => w.assertAllUsed()).toThrow(/unused tensors: stem\/bias/);
  });
});

describe('formatTable', () => {
  it('prints a header, a rule and one aligned line per row', () => {
    const lines = formatTable(rows).split('\n');
    expect(lines.length).toBe(2 + rows.length);
    expect(lines[0]).toMatch(
      /^model\s+T x H x W\s+params \(M\)\s+GFLOPs\/clip\s+GFLOPs\/step\s+ratio/,
    );
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[3]).toMatch(
      /^x3d-s \/ cox3d-s\s+13x160x160\s+3\.779\s+1\.965\s+0\.1527\s+12\.9\s/,
    );
    expect(lines[6]).toMatch(
      /^x3d-s-t64 \/ cox3d-s-t64\s+64x160x160\s+3\.779\s+9\.666\s+0\.1527\s+63\.3\s/,
    );
    expect(lines[7]).toMatch(/^movinet-a0 \/ movinet-a0-stream\s+8x172x172\s+2\.724\s/);
    expect(lines[8]).toMatch(/^slow-8x8-r50 \/ coslow-8x8-r50\s+8x256x256\s+32\.428\s+54\.518\s/);
    expect(lines[9]).toMatch(
      /^slowfast-8x8-r50 \/ coslowfast-8x8-r50\s+32x256x256\s+34\.536\s+65\.709\s+2\.0543\s/,
    );
  });
});
