/**
 * `npm run soak -- [--steps N] [--model cox3d-xs] [--backend wasm] [--json out.json]`
 *
 * Serves soak.html with Vite's dev server on 127.0.0.1 (cross-origin isolated, so WASM has SIMD
 * and threads), opens it in headless Debian chromium with a measurable heap
 * (--enable-precise-memory-info, and --expose-gc so each heap sample follows a full GC), feeds the
 * model N frames and judges the run (tools/soak/soak-report.ts). Prints the verdict, writes the
 * whole run as JSON when asked, and exits 1 if a criterion fails.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { chromium } from 'playwright';
import { CHROMIUM_PATH, chromiumArgs } from '../chromium';
import { createServer } from 'vite';
import type { SoakConfig } from '../../src/soak/run-soak';
import { judgeSoak, type SoakRun } from './soak-report';

/** Parsed command line. */
export interface SoakArgs {
  readonly steps: number;
  readonly model: string;
  readonly backend: string;
  readonly json: string | null;
}

/** Parses the flags; throws a sentence on a bad one. */
export function parseSoakArgs(argv: readonly string[]): SoakArgs {
  let steps = 2000;
  let model = 'cox3d-xs';
  let backend = 'wasm';
  let json: string | null = null;
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--steps') {
      steps = Number(value);
      if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps ${value}: not a count`);
    } else if (flag === '--model') model = value;
    else if (flag === '--backend') backend = value;
    else if (flag === '--json') json = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  return { steps, model, backend, json };
}

/**
 * Warm-up: 10% of the run, at least enough to fill the network's buffers on any model here
 * (CoX3D-XS needs 60 steps) and at most 500.
 */
export function soakConfig(args: SoakArgs): SoakConfig {
  const warmupSteps = Math.min(500, Math.max(100, Math.floor(args.steps / 10)));
  const measured = Math.max(1, args.steps - warmupSteps);
  return {
    backend: args.backend,
    model: args.model,
    steps: args.steps,
    warmupSteps,
    sampleEvery: Math.max(1, Math.floor(measured / 50)),
    logEvery: Math.max(100, Math.floor(args.steps / 20)),
  };
}

async function main(): Promise<void> {
  const args = parseSoakArgs(process.argv.slice(2));
  const config = soakConfig(args);
  const server = await createServer({
    configFile: 'vite.config.ts',
    server: { port: 0, host: '127.0.0.1', strictPort: false },
    logLevel: 'warn',
  });
  await server.listen();
  const base = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/';
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...chromiumArgs, '--enable-precise-memory-info', '--js-flags=--expose-gc'],
  });
  let run: SoakRun;
  const started = Date.now();
  try {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.text().startsWith('soak ')) console.error(m.text());
    });
    page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
    // Scans the page's imports first: the dev server reloads a page whose imports make it
    // optimize new dependencies, which would cut a run short.
    server.config.optimizeDeps.entries = ['soak.html'];
    await page.goto(`${base}soak.html`);
    await page.waitForLoadState('networkidle');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    console.error(`soak: ${args.model} on ${args.backend}, ${args.steps} steps ...`);
    run = await page.evaluate(async (c) => {
      const soak = window.runSoak;
      if (soak === undefined) throw new Error('soak page did not load');
      return soak(c);
    }, config);
  } finally {
    await browser.close();
    await server.close();
  }
  const checks = judgeSoak(run);
  const seconds = (Date.now() - started) / 1000;
  console.log(`${run.model} on ${run.backend}: ${run.steps} steps in ${seconds.toFixed(0)} s`);
  for (const c of checks) console.log(`  ${c.pass ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
  if (args.json !== null) {
    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, loadAverage: loadavg() },
      seconds,
      checks,
      run,
    };
    writeFileSync(args.json, JSON.stringify(report, null, 2));
  }
  process.exitCode = checks.every((c) => c.pass) ? 0 : 1;
}

// Only when run as a program (the test imports the pure parts).
if (process.argv[1]?.endsWith('soak.ts')) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
