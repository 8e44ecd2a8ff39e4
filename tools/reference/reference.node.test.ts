/**
 * Checks the committed reference fixtures (tools/reference/fixtures/*.json) against their sources
 * in ../shared and, because tfjs-tflite runs in well under a second here, re-runs the model.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractFrames, ffmpegArgs, frameAt } from './extract-frames';
import { MovinetTflite } from './movinet-tflite';
import {
  FIXTURES_DIR,
  LABELS_PATH,
  LOGIT_STEP,
  MODEL_PATH,
  roundTo,
  sha256,
  shellCommand,
  VIDEOS_DIR,
  type ReferenceFixture,
} from './reference-fixture';
import { parseLabels, softmax, topK } from './top-k';

/** Final top-1 of each clip as recorded in ../shared/videos/SOURCE.md, with its stated digits. */
const EXPECTED = [
  { clip: 'arm_wrestling', index: 11, label: 'arm wrestling', prob: 0.9997, digits: 4 },
  { clip: 'shooting_basketball', index: 450, label: 'shooting basketball', prob: 0.935, digits: 3 },
] as const;
/** From ../shared/models/movinet-a0-stream/SOURCE.md and ../shared/videos/SOURCE.md. */
const MODEL_SHA256 = '6125b36e2485eeb5cc1fd6206cf5e5d70235593fbc84610d1dce97fe3aa9c2ac';
const LABELS_SHA256 = '8dfca4202520ea8291ce0242ef33b006d0a0772b409663c090a2876bc1978dcf';
const VIDEO_SHA256: Record<string, string> = {
  arm_wrestling: '071e60535eaf0aed475ddac06269ee0cdfc4740158f22d9ccd2c3b93b42aa344',
  shooting_basketball: 'ed105408e9bf71c202c1ddf08f05ff4cfb2f207a7d811d4d791126c415c00261',
};

function fixturePath(clip: string): string {
  return join(FIXTURES_DIR, `${clip}.json`);
}

function readFixture(clip: string): ReferenceFixture {
  return JSON.parse(readFileSync(fixturePath(clip), 'utf8')) as ReferenceFixture;
}

describe('roundTo and shellCommand', () => {
  it('rounds to the step and prints short decimals', () => {
    expect(roundTo(1.23456789, 1e-4)).toBe(1.2346);
    expect(roundTo(-0.00004, 1e-4)).toBe(0);
    expect(Object.is(roundTo(-0.00004, 1e-4), -0)).toBe(false);
    expect(roundTo(0.30000000000000004, 1e-4)).toBe(0.3);
    expect(roundTo(17.09775, 1e-2)).toBe(17.1);
    expect(roundTo(123.5, 1)).toBe(124);
  });

  it('quotes only arguments with shell-special characters', () => {
    expect(shellCommand(['ffmpeg', '-vf', 'fps=5,scale=172:172'])).toBe(
      'ffmpeg -vf fps=5,scale=172:172',
    );
    expect(shellCommand(['-vf', "crop=w='min(iw,ih/sar)'", 'a b', 'x"$y'])).toBe(
      `-vf "crop=w='min(iw,ih/sar)'" "a b" "x\\"\\$y"`,
    );
  });
});

describe('reference fixtures (committed)', () => {
  for (const { clip, index, label, prob, digits } of EXPECTED) {
    describe(clip, () => {
      it('exists, is under 1 MB and describes its provenance', () => {
        expect(existsSync(fixturePath(clip))).toBe(true);
        expect(statSync(fixturePath(clip)).size).toBeLessThan(1_000_000);
        const f = readFixture(clip);
        expect(f.clip).toBe(clip);
        expect(f.videoSha256).toBe(VIDEO_SHA256[clip]);
        expect(f.modelSha256).toBe(MODEL_SHA256);
        expect(f.labelsSha256).toBe(LABELS_SHA256);
        expect(f.fps).toBe(5);
        expect(f.preprocessing.mode).toBe('stretch');
        expect(f.preprocessing.filter).toBe('fps=5,scale=172:172');
        expect(f.preprocessing.command).toBe(
          shellCommand(['ffmpeg', ...ffmpegArgs(`${clip}.mp4`)]),
        );
        expect(f.generatedBy).toMatch(/tfjs-tflite 0\.0\.1-alpha\.10/);
      });

      it('has 50 steps of 600 rounded logits', () => {
        const f = readFixture(clip);
        expect(f.frames).toBe(50);
        expect(f.perFrame.map((p) => p.step)).toEqual(Array.from({ length: 50 }, (_, i) => i));
        for (const p of f.perFrame) {
          expect(p.logits).toHaveLength(600);
          for (const x of p.logits) expect(roundTo(x, LOGIT_STEP)).toBe(x);
        }
      });

      it('has top-5 lists that agree with the softmax of its logits', () => {
        const labels = parseLabels(readFileSync(LABELS_PATH, 'utf8'));
        for (const p of readFixture(clip).perFrame) {
          const recomputed = topK(softmax(p.logits), 5, labels);
          expect(p.top5).toHaveLength(5);
          // Logits were rounded after ranking (by <= 5e-5), which moves probabilities by < 1e-4.
          expect(p.top5[0]?.index).toBe(recomputed[0]?.index);
          for (const [i, c] of p.top5.entries()) {
            expect(c.label).toBe(labels[c.index]);
            expect(Math.abs(c.prob - (recomputed[i]?.prob ?? Number.NaN))).toBeLessThan(1e-4);
          }
        }
      });

      it(`ends with top-1 "${label}" ${prob} as in SOURCE.md`, () => {
        const last = readFixture(clip).perFrame.at(-1);
        expect(last?.top5[0]?.index).toBe(index);
        expect(last?.top5[0]?.label).toBe(label);
        // SOURCE.md gives `digits` decimals: agree to half a unit of the last one.
        expect(Math.abs((last?.top5[0]?.prob ?? 0) - prob)).toBeLessThanOrEqual(
          0.5 * 10 ** -digits,
        );
      });
    });
  }

  it('arm wrestling is top-1 on every frame (SOURCE.md)', () => {
    const f = readFixture('arm_wrestling');
    expect(f.perFrame.every((p) => p.top5[0]?.label === 'arm wrestling')).toBe(true);
  });

  it('shooting basketball ends with playing basketball and playing volleyball at 0.025 (SOURCE.md)', () => {
    const top5 = readFixture('shooting_basketball').perFrame.at(-1)?.top5 ?? [];
    expect(top5.slice(1, 3).map((c) => c.label)).toEqual([
      'playing basketball',
      'playing volleyball',
    ]);
    for (const c of top5.slice(1, 3)) expect(Math.abs(c.prob - 0.025)).toBeLessThanOrEqual(5e-4);
  });
});

const haveShared = existsSync(MODEL_PATH) && existsSync(VIDEOS_DIR);

// The clips and the model live in ../shared (beside the repository, as in CI); without them only
// the committed fixtures can be checked.
describe.skipIf(!haveShared)(
  'fixtures against ../shared (skipped when ../shared is absent)',
  () => {
    it('video, model and label hashes match the files', () => {
      expect(sha256(readFileSync(MODEL_PATH))).toBe(MODEL_SHA256);
      expect(sha256(readFileSync(LABELS_PATH))).toBe(LABELS_SHA256);
      for (const { clip } of EXPECTED) {
        expect(sha256(readFileSync(join(VIDEOS_DIR, `${clip}.mp4`)))).toBe(
          readFixture(clip).videoSha256,
        );
      }
    });

    it('re-running the TFLite model on the first 10 frames reproduces the fixture logits', async () => {
      const f = readFixture('arm_wrestling');
      const frames = await extractFrames(join(VIDEOS_DIR, 'arm_wrestling.mp4'));
      expect(frames.shape).toEqual([50, 172, 172, 3]);
      const model = await MovinetTflite.load(readFileSync(MODEL_PATH));
      let worst = 0;
      for (let t = 0; t < 10; t++) {
        const logits = model.step(frameAt(frames, t));
        const expected = f.perFrame[t]?.logits ?? [];
        for (let i = 0; i < 600; i++) {
          worst = Math.max(worst, Math.abs((logits[i] ?? 0) - (expected[i] ?? Number.NaN)));
        }
      }
      model.dispose();
      // Same runtime and frames: only the fixture's 1e-4 rounding (<= 5e-5) should remain; 1e-3
      // leaves room for a different ffmpeg build's scaler, which could move an int8 logit step (0.19)
      // only if pixels changed, and then this test should fail.
      expect(worst).toBeLessThanOrEqual(1e-3);
    });
  },
);
