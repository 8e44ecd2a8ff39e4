/**
 * End-to-end check of `npm run classify`: runs the CLI (as a child process, the way users do) on
 * the shared arm-wrestling clip with the WASM backend and on random bytes named .mp4.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_PATH } from '../chromium';
import { ClassifyError, parseArgs } from './classify';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLIP = resolve(ROOT, '../shared/videos/arm_wrestling.mp4');
const HAVE_CLIP = existsSync(CLIP);
const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runCli(args: readonly string[]): Promise<Run> {
  return new Promise((res) => {
    execFile(
      'npx',
      ['tsx', 'tools/classify/classify.ts', ...args],
      { cwd: ROOT, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        res({ code, stdout, stderr });
      },
    );
  });
}

describe('parseArgs', () => {
  it('reads the defaults and every option', () => {
    expect(parseArgs(['a.mp4'])).toEqual({
      file: 'a.mp4',
      config: { modelId: 'movinet-a0-stream', mode: 'online', backend: null, fps: null },
      json: false,
    });
    expect(
      parseArgs([
        '--json',
        'b.webm',
        '--model',
        'cox3d-xs',
        '--mode',
        'both',
        '--backend',
        'cpu',
        '--fps',
        '2.5',
      ]),
    ).toEqual({
      file: 'b.webm',
      config: { modelId: 'cox3d-xs', mode: 'both', backend: 'cpu', fps: 2.5 },
      json: true,
    });
  });

  it('rejects bad input with a ClassifyError', () => {
    expect(() => parseArgs([])).toThrow(/usage/);
    expect(() => parseArgs(['a.mp4', 'b.mp4'])).toThrow(ClassifyError);
    expect(() => parseArgs(['a.mp4', '--mode', 'sideways'])).toThrow(/--mode/);
    expect(() => parseArgs(['a.mp4', '--fps', '0'])).toThrow(/--fps/);
    expect(() => parseArgs(['a.mp4', '--fps'])).toThrow(/needs a value/);
    expect(() => parseArgs(['a.mp4', '--colour', 'red'])).toThrow(/unknown option/);
  });
});

describe.skipIf(!HAVE_CLIP || !HAVE_CHROMIUM)(
  `classify CLI (skipped without ${CLIP} or /usr/bin/chromium)`,
  () => {
    it(
      'recognises arm wrestling and prints parseable JSON lines',
      { timeout: 120_000 },
      async () => {
        const run = await runCli([CLIP, '--backend', 'wasm', '--json']);
        expect(run.code, run.stderr).toBe(0);
        const lines = run.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const steps = lines.filter((l) => l.type === 'step');
        const summary = lines.at(-1) as {
          type: string;
          steps: number;
          backend: string;
          fps: number;
          top5: { label: string; prob: number }[];
          meanLatencyMs: number;
          p95LatencyMs: number;
        };
        // The clip is 10 s: 50 instants on the 5 fps grid (0, 0.2, ..., 9.8 s).
        expect(steps.length).toBe(50);
        expect(steps.map((s) => s.step)).toEqual([...Array(50).keys()]);
        expect(steps[1]?.time).toBeCloseTo(0.2, 9);
        expect(summary.type).toBe('summary');
        expect(summary.steps).toBe(50);
        expect(summary.backend).toBe('wasm');
        expect(summary.fps).toBe(5);
        expect(summary.top5).toHaveLength(5);
        expect(summary.top5[0]?.label).toBe('arm wrestling');
        expect(summary.top5[0]?.prob).toBeGreaterThan(0.9);
        const probs = summary.top5.map((s) => s.prob);
        expect(probs).toEqual([...probs].sort((a, b) => b - a));
        expect(summary.meanLatencyMs).toBeGreaterThan(0);
        expect(summary.p95LatencyMs).toBeGreaterThanOrEqual(summary.meanLatencyMs * 0.5);
      },
    );

    it(
      'fails with exit code 1 and one clear line on random bytes named .mp4',
      { timeout: 60_000 },
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'classify-'));
        try {
          const file = join(dir, 'noise.mp4');
          // Deterministic junk: no container box parses from it.
          const bytes = Buffer.alloc(65536);
          for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
          writeFileSync(file, bytes);
          const run = await runCli([file, '--backend', 'wasm', '--json']);
          expect(run.code).toBe(1);
          expect(run.stdout).toBe('');
          const last = run.stderr.trim().split('\n').at(-1) ?? '';
          expect(last).toMatch(/^classify: noise\.mp4: .*cannot be decoded by this browser/);
          const missing = await runCli([join(dir, 'absent.mp4')]);
          expect(missing.code).toBe(1);
          expect(missing.stderr.trim()).toBe(
            `classify: file not found: ${join(dir, 'absent.mp4')}`,
          );
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  },
);
