/**
 * `npm run bench [-- --json out.json] [--backends wasm,webgpu,cpu] [--models a,b] [--steps N]`
 *
 * A model is a registry id, or `id:variant` for a pruned variant (movinet-a0-stream:p30-splora8).
 *
 * Serves bench.html with Vite's dev server on 127.0.0.1 (cross-origin isolated, so WASM gets SIMD
 * and threads), opens it in headless Debian chromium once per model and backend (so "first
 * prediction" includes backend start and weight loading), and prints a table; `--json` also writes
 * the full report. The MoViNet row also times the original TFLite model with tfjs-tflite's own
 * runtime, its files served from node_modules (nothing comes from the internet).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { CHROMIUM_PATH, chromiumArgs } from '../chromium';
import { createServer, type Plugin } from 'vite';
import type { PageConfig } from '../../src/bench/run-bench';
import { DEFAULT_MODEL } from '../tflite/convert-movinet';
import { formatTable, validateRow, type BenchReport, type BenchRow } from './bench-format';

/** The original model, from ../shared beside the repository (the converter's default input). */
const TFLITE_FILE = DEFAULT_MODEL;
const TFLITE_URL = '/__bench/movinet_a0_stream_int8.tflite';

/** Parsed command line. */
interface Args {
  json: string | null;
  backends: string[];
  models: string[];
  steps: number | null;
  wasmThreads: number | null;
  tfliteThreads: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    json: null,
    backends: ['wasm', 'webgpu'],
    models: ['movinet-a0-stream', 'cox3d-xs', 'cox3d-s'],
    steps: null,
    wasmThreads: null,
    tfliteThreads: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--json') args.json = value;
    else if (flag === '--backends') args.backends = value.split(',').filter(Boolean);
    else if (flag === '--models') args.models = value.split(',').filter(Boolean);
    else if (flag === '--steps') args.steps = Number(value);
    else if (flag === '--wasm-threads') args.wasmThreads = Number(value);
    else if (flag === '--tflite-threads') args.tfliteThreads = Number(value);
    else throw new Error(`unknown flag ${flag}`);
    i++;
  }
  return args;
}

/** Steps per backend: webgpu here is SwiftShader (software), so it gets fewer. */
function pageConfig(backend: string, model: string, args: Args): PageConfig {
  const steps = args.steps;
  const slow = backend === 'webgpu' || backend === 'cpu';
  const timed = steps ?? (slow ? 20 : 100);
  const cox = model.startsWith('cox3d');
  const tflite =
    model === 'movinet-a0-stream' && backend === 'wasm' && existsSync(TFLITE_FILE)
      ? {
          url: TFLITE_URL,
          wasmDir: '/node_modules/@tensorflow/tfjs-tflite/wasm/',
          numThreads: args.tfliteThreads,
          warm: 20,
          timed,
        }
      : null;
  return {
    backend,
    model,
    wasmThreads: args.wasmThreads,
    warmSteps: slow ? 5 : 50,
    timedSteps: timed,
    clipWarm: 1,
    clipReps: slow ? 3 : cox ? 5 : 20,
    tflite,
  };
}

/** Serves the TFLite file (outside the project root) at TFLITE_URL. */
const serveTflite: Plugin = {
  name: 'bench-tflite',
  configureServer(server) {
    server.middlewares.use(TFLITE_URL, (_req, res) => {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      res.end(readFileSync(TFLITE_FILE));
    });
  },
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const server = await createServer({
    configFile: 'vite.config.ts',
    plugins: [serveTflite],
    // The package's ESM entry (dist/index.js) imports a file its dist lacks; its one-file ES bundle is complete.
    resolve: {
      alias: {
        '@tensorflow/tfjs-tflite': fileURLToPath(
          new URL(
            '../../node_modules/@tensorflow/tfjs-tflite/dist/tf-tflite.fesm.js',
            import.meta.url,
          ),
        ),
      },
    },
    server: { port: 0, host: '127.0.0.1', strictPort: false },
    logLevel: 'warn',
  });
  await server.listen();
  const base = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/';
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...chromiumArgs],
  });
  const rows: BenchRow[] = [];
  let userAgent = '';
  try {
    for (const backend of args.backends) {
      for (const model of args.models) {
        const page = await browser.newPage();
        page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
        const threads = args.wasmThreads;
        if (threads !== null) {
          // TF.js's WASM build sizes its pthread pool at half of navigator.hardwareConcurrency
          // (and XNNPACK never uses more threads than the pool has): report 2N cores to get N.
          // A string, not a function: tsx's transpiler wraps functions in helpers the page lacks.
          await page.addInitScript(
            `Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => ${2 * threads} });`,
          );
        }
        userAgent = await page.evaluate(() => navigator.userAgent).catch(() => userAgent);
        await page.goto(`${base}bench.html`);
        await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
        const config = pageConfig(backend, model, args);
        console.error(`running ${model} on ${backend} ...`);
        try {
          const row: unknown = await page.evaluate(async (c) => {
            const run = window.runBench;
            if (run === undefined) throw new Error('bench page did not load');
            return run(c);
          }, config);
          const problems = validateRow(row);
          if (problems.length > 0) throw new Error(problems.join('; '));
          rows.push(row as BenchRow);
          console.error(JSON.stringify(row));
        } catch (e) {
          console.error(
            `${model} on ${backend} failed: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, loadAverage: loadavg(), userAgent },
    settings: {
      warmSteps: pageConfig('wasm', 'x', args).warmSteps,
      timedSteps: pageConfig('wasm', 'x', args).timedSteps,
      clipReps: pageConfig('wasm', 'cox3d-s', args).clipReps,
    },
    rows,
  };
  console.log(formatTable(rows));
  for (const r of rows) {
    console.log(`${r.model} on ${r.backend}: ${r.backendDetail}`);
    console.log(
      `  top kernels: ${r.topKernels.map((k) => `${k.name} ${k.ms.toFixed(1)}ms x${k.count}`).join(', ')}`,
    );
  }
  console.log(
    `cpus ${report.machine.cpus}, load average ${report.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
  );
  if (args.json !== null) writeFileSync(args.json, JSON.stringify(report, null, 2));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
