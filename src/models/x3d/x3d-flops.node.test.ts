/**
 * Parameters, FLOPs, delays and receptive fields of the four published X3D/CoX3D models, counted
 * by the modules from shapes (networks built with zero weights). Node only: building X3D-L's
 * 6M parameters on the software WebGPU adapter is slow and tests nothing the cpu run does not.
 *
 * The exact integers were computed independently of this code base by a short script that
 * walks the X3D architecture by hand (stem 27*24 + 5*24 MACs per pixel; per block
 * in*inner + 27*inner + inner*out per pixel, the strided projection, 2*inner*se per frame for
 * each squeeze-excitation; conv5 192*432 per pixel; head 432*2048 + 2048*400 once per output).
 */
import { describe, expect, it } from 'vitest';
import type { FrameShape } from '../../continual/module';
import { buildX3d } from './x3d';
import {
  X3D_CONFIGS,
  X3D_L,
  X3D_M,
  X3D_PUBLISHED,
  X3D_S,
  X3D_XS,
  deriveX3dConfig,
  type X3dConfig,
} from './x3d-config';

interface Counted {
  readonly params: number;
  readonly clipMacs: number;
  readonly clipTotal: number;
  readonly stepMacs: number;
  readonly stepTotal: number;
  readonly delay: number;
  readonly receptiveField: number;
}

function count(config: X3dConfig): Counted {
  const input: FrameShape = { height: config.size, width: config.size, channels: 3 };
  const clip = buildX3d(config, { temporalForm: 'same', weights: 'zeros' });
  const online = buildX3d(config, { temporalForm: 'valid', weights: 'zeros' });
  try {
    const c = clip.network.flopsPerClip(input, config.frames);
    const s = online.network.flopsPerStep(input);
    expect(online.params).toBe(clip.params);
    return {
      params: clip.params,
      clipMacs: c.macs,
      clipTotal: c.macs + c.elementwise,
      stepMacs: s.macs,
      stepTotal: s.macs + s.elementwise,
      delay: online.network.delay,
      receptiveField: online.network.receptiveField,
    };
  } finally {
    clip.network.dispose();
    online.network.dispose();
  }
}

const counted = new Map(X3D_CONFIGS.map((c) => [c.id, count(c)]));
const of = (c: X3dConfig): Counted => counted.get(c.id) as Counted;

/** |ours / published - 1|. */
const relativeError = (ours: number, published: number): number => Math.abs(ours / published - 1);

describe('X3D parameters and per-clip FLOPs against the X3D paper', () => {
  it.each([
    [X3D_XS, 3_778_590, 605_733_440],
    [X3D_S, 3_778_590, 1_964_799_824],
    [X3D_M, 3_778_590, 4_734_853_376],
    [X3D_L, 6_120_276, 18_372_544_256],
  ])('%s: exact counts from the architecture', (config, params, clipMacs) => {
    expect(of(config).params).toBe(params);
    expect(of(config).clipMacs).toBe(clipMacs);
  });

  it.each(X3D_CONFIGS.map((c) => [c.id, c] as const))(
    '%s: multiply-adds and parameters within 3% of the paper',
    (_, config) => {
      const published = X3D_PUBLISHED[config.id];
      if (published === undefined) throw new Error('no published figures');
      // The paper counts multiply-adds of convs and linear layers of the padded clip model at
      // its published input; its parameters leave BN out, ours count the folded biases.
      expect(relativeError(of(config).clipMacs / 1e9, published.gflopsPerClip)).toBeLessThan(0.03);
      expect(relativeError(of(config).params / 1e6, published.paramsMillions)).toBeLessThan(0.03);
    },
  );

  it('is within 1% for every model (the residue is rounding of the published figures and SE per frame)', () => {
    for (const c of X3D_CONFIGS) {
      const p = X3D_PUBLISHED[c.id];
      expect(relativeError(of(c).clipMacs / 1e9, p?.gflopsPerClip ?? 0)).toBeLessThan(0.01);
      expect(relativeError(of(c).params / 1e6, p?.paramsMillions ?? 0)).toBeLessThan(0.01);
    }
  });
});

describe('CoX3D per step', () => {
  it.each([
    [X3D_XS, 152_711_312, 59, 105],
    [X3D_S, 152_711_312, 68, 249],
    [X3D_M, 297_525_776, 71, 297],
    [X3D_L, 1_149_881_456, 129, 565],
  ])('%s: multiply-adds, delay and receptive field', (config, stepMacs, delay, rf) => {
    expect(of(config).stepMacs).toBe(stepMacs);
    expect(of(config).delay).toBe(delay);
    expect(of(config).receptiveField).toBe(rf);
  });

  it('derives delay = stem (kt - 1) + 2 per block + (T - 1), rf = delay + 1 + SEs (T - 1)', () => {
    for (const c of X3D_CONFIGS) {
      const blocks = c.depths.reduce((a, b) => a + b, 0);
      const ses = c.depths.reduce((a, d) => a + Math.ceil(d / 2), 0);
      expect(of(c).delay).toBe(4 + 2 * blocks + (c.frames - 1));
      expect(of(c).receptiveField).toBe(of(c).delay + 1 + ses * (c.frames - 1));
    }
  });

  it('costs the T-th part of the clip plus the head, once per step', () => {
    // clip = T * body + head and step = body + head, with head = 432 * 2048 + 2048 * 400.
    const head = 432 * 2048 + 2048 * 400;
    for (const c of X3D_CONFIGS) {
      expect(of(c).clipMacs - head).toBe(c.frames * (of(c).stepMacs - head));
    }
  });

  it('X3D-S with T = 64 (as in the CoX3D paper) keeps the per-step cost', () => {
    const s64 = count(deriveX3dConfig(X3D_S, { frames: 64 }));
    expect(s64.stepMacs).toBe(152_711_312);
    expect(s64.clipMacs).toBe(9_666_176_000);
    expect(s64.delay).toBe(119);
    expect(s64.receptiveField).toBe(1065);
  });

  it('saves 12.9x (S), 15.9x (M) and 16.0x (L) multiply-adds per prediction', () => {
    const ratio = (c: X3dConfig) => of(c).clipMacs / of(c).stepMacs;
    expect(ratio(X3D_S)).toBeCloseTo(12.866, 2);
    expect(ratio(X3D_M)).toBeCloseTo(15.914, 2);
    expect(ratio(X3D_L)).toBeCloseTo(15.978, 2);
  });
});

describe('counts with element-wise ops against the CoX3D paper', () => {
  it.each([X3D_S, X3D_M, X3D_L].map((c) => [c.id, c] as const))(
    '%s: per clip within 5% (ours counts 1 op per bias/activation element, see tools/flops/README.md)',
    (_, config) => {
      const paper = X3D_PUBLISHED[config.id]?.coX3dPaperClipGflops ?? 0;
      expect(relativeError(of(config).clipTotal / 1e9, paper)).toBeLessThan(0.05);
    },
  );

  it.each([X3D_S, X3D_M, X3D_L].map((c) => [c.id, c] as const))(
    '%s: per step 4-8% below the paper (the account is in tools/flops/README.md)',
    (_, config) => {
      const paper = X3D_PUBLISHED[config.id]?.coX3dPaperStepGflops ?? 0;
      const shortfall = 1 - of(config).stepTotal / 1e9 / paper;
      expect(shortfall).toBeGreaterThan(0.04);
      expect(shortfall).toBeLessThan(0.08);
    },
  );
});

describe('building for counting', () => {
  it('gives the same counts with seeded and zero weights', () => {
    const input: FrameShape = { height: 160, width: 160, channels: 3 };
    const seeded = buildX3d(X3D_XS, { temporalForm: 'valid', weights: 'seeded' });
    try {
      expect(seeded.params).toBe(of(X3D_XS).params);
      const s = seeded.network.flopsPerStep(input);
      expect(s.macs).toBe(of(X3D_XS).stepMacs);
      expect(s.macs + s.elementwise).toBe(of(X3D_XS).stepTotal);
    } finally {
      seeded.network.dispose();
    }
  });
});
