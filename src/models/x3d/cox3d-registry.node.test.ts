/**
 * The shipped Kinetics-400 labels file and the registry's CoX3D-XS, end to end in Node (reads
 * public/weights from disk).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createModel, MODEL_ENTRIES } from '../registry';
import { KINETICS400_LABELS_FILE, parseLabelLines } from './cox3d-registry';

const LABELS_PATH = `public/weights/${KINETICS400_LABELS_FILE}`;

/** Serves files under public/weights for the URL base '/weights'. */
const diskFetch = (url: string): Promise<Response> => {
  const path = url.replace(/^\/weights\//, 'public/weights/');
  return Promise.resolve(new Response(readFileSync(path)));
};

describe('public/weights/kinetics400-labels.txt', () => {
  const text = readFileSync(LABELS_PATH, 'utf8');

  it('is the Kinetics-400 class list: 400 names in alphabetical order, LF, final newline', () => {
    const labels = parseLabelLines(text);
    expect(labels.length).toBe(400);
    expect(new Set(labels).size).toBe(400);
    expect([...labels].sort()).toEqual(labels);
    expect([labels[0], labels[1], labels[399]]).toEqual(['abseiling', 'air drumming', 'zumba']);
    expect(text.endsWith('zumba\n')).toBe(true);
    expect(text).not.toContain('\r');
  });

  it('is byte for byte the file credited in NOTICE (sha256)', () => {
    expect(createHash('sha256').update(readFileSync(LABELS_PATH)).digest('hex')).toBe(
      'e9f2806fe9109b851a80a74841244f6f8c9d10917fa0229cd82bab67f2f8e28f',
    );
  });
});

describe('the registry', () => {
  it('lists CoX3D-XS, S and M as untrained', () => {
    const cox3d = MODEL_ENTRIES.filter((e) => e.id.startsWith('cox3d-'));
    expect(cox3d.map((e) => [e.id, e.trained])).toEqual([
      ['cox3d-xs', false],
      ['cox3d-s', false],
      ['cox3d-m', false],
    ]);
    for (const e of cox3d) expect(e.displayName).toMatch(/\(untrained\)$/);
  });

  it('lists the small CoSlow and CoSlowFast as untrained, and builds them', async () => {
    const slow = MODEL_ENTRIES.filter((e) => e.id.startsWith('coslow'));
    expect(slow.map((e) => [e.id, e.trained])).toEqual([
      ['coslow-small', false],
      ['coslowfast-small', false],
    ]);
    for (const e of slow) {
      expect(e.displayName).toMatch(/\(untrained\)$/);
      const model = await createModel(e.id, {
        weightsBaseUrl: '/weights',
        loader: { fetchImpl: diskFetch },
        warmupSteps: 1,
      });
      try {
        expect(model.info.id).toBe(e.id);
        expect(model.info.trained).toBe(false);
        expect(model.info.labels.length).toBe(400);
        // The twin reaches back further than the published clip (receptive field, and for
        // SlowFast up to alpha - 1 frames more to start in step with the slow pathway).
        expect(model.info.twinLength).toBeGreaterThan(model.info.clipLength);
        expect(model.flopsPerClip.macs).toBeGreaterThan(model.flopsPerStep.macs);
      } finally {
        model.dispose();
      }
    }
  }, 120_000);

  it('names the variants there are when asked for one that does not exist', async () => {
    await expect(
      createModel('cox3d-xs', { variant: 'p50', loader: { fetchImpl: diskFetch } }),
    ).rejects.toThrow('cox3d-xs has no variant "p50". Its variants: dense.');
    await expect(
      createModel('movinet-a0-stream', { variant: 'nope', loader: { fetchImpl: diskFetch } }),
    ).rejects.toThrow(/^movinet-a0-stream has no variant "nope"\. Its variants: dense/);
  });

  it('creates CoX3D-XS with the Kinetics-400 labels, warmed up and reset', async () => {
    const phases: string[] = [];
    const model = await createModel('cox3d-xs', {
      weightsBaseUrl: '/weights',
      loader: { fetchImpl: diskFetch },
      warmupSteps: 1,
      onProgress: (p) => phases.push(`${p.phase} ${p.loaded}/${p.total}`),
    });
    try {
      expect(model.info.id).toBe('cox3d-xs');
      expect(model.info.trained).toBe(false);
      expect(model.info.labels[0]).toBe('abseiling');
      expect(model.info.labels.length).toBe(400);
      expect(model.info.clipLength).toBe(4);
      expect(model.info.input).toEqual({ height: 160, width: 160, channels: 3 });
      expect(model.info.params).toBe(3_778_590);
      expect(model.flopsPerClip.macs).toBe(605_733_440);
      expect(model.flopsPerStep.macs).toBe(152_711_312);
      expect(model.network.delay).toBe(59);
      expect(phases).toEqual(['warmup 1/1']);
    } finally {
      model.dispose();
    }
  }, 60_000);
});
