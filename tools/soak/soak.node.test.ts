/**
 * `npm run soak` as users run it, short: 300 steps of CoX3D-XS on WASM in headless chromium.
 * The tensor, heap and equivalence verdicts must pass; the latency verdict is printed but not
 * asserted here (timings belong to the soak's own exit status, not to the test suite).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSoakArgs, soakConfig } from './soak';
import type { SoakCheck, SoakRun } from './soak-report';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

describe('parseSoakArgs / soakConfig', () => {
  it('defaults to 2,000 steps of CoX3D-XS on WASM and reads every flag', () => {
    expect(parseSoakArgs([])).toEqual({
      steps: 2000,
      model: 'cox3d-xs',
      backend: 'wasm',
      json: null,
    });
    expect(
      parseSoakArgs(['--steps', '20000', '--model', 'movinet-a0-stream', '--json', 'o.json']),
    ).toEqual({ steps: 20000, model: 'movinet-a0-stream', backend: 'wasm', json: 'o.json' });
    expect(() => parseSoakArgs(['--steps', '1.5'])).toThrow(/not a count/);
    expect(() => parseSoakArgs(['--steps'])).toThrow(/needs a value/);
    expect(() => parseSoakArgs(['--fast', '1'])).toThrow(/unknown flag --fast/);
  });

  it('warms up for a tenth of the run, within [100, 500] steps, and samples ~50 times', () => {
    const base = { model: 'cox3d-xs', backend: 'wasm', json: null };
    expect(soakConfig({ ...base, steps: 300 })).toMatchObject({
      warmupSteps: 100,
      sampleEvery: 4,
    });
    expect(soakConfig({ ...base, steps: 20000 })).toMatchObject({
      warmupSteps: 500,
      sampleEvery: 390,
      logEvery: 1000,
    });
    expect(soakConfig({ ...base, steps: 3000 }).warmupSteps).toBe(300);
  });
});

describe.skipIf(!existsSync('/usr/bin/chromium'))('npm run soak (short)', () => {
  it('holds tensors and heap steady and stays equal to the offline twin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soak-'));
    const json = join(dir, 'soak.json');
    try {
      const code = await new Promise<number>((res) => {
        execFile(
          'npx',
          ['tsx', 'tools/soak/soak.ts', '--steps', '300', '--json', json],
          { cwd: ROOT, timeout: 240_000 },
          (error) => res(error === null ? 0 : typeof error.code === 'number' ? error.code : 1),
        );
      });
      const report = JSON.parse(readFileSync(json, 'utf8')) as {
        checks: SoakCheck[];
        run: SoakRun;
      };
      const verdict = Object.fromEntries(report.checks.map((c) => [c.name, c]));
      expect(verdict.tensors?.pass, verdict.tensors?.detail).toBe(true);
      expect(verdict.heap?.pass, verdict.heap?.detail).toBe(true);
      expect(verdict.equivalence?.pass, verdict.equivalence?.detail).toBe(true);
      expect(report.run.stepMs).toHaveLength(200);
      expect(report.run.twinLength).toBe(105);
      // The exit status is the verdict of all four, latency included.
      expect(code).toBe(report.checks.every((c) => c.pass) ? 0 : 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
