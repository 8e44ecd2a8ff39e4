/**
 * `npm run classify -- <video> [--model id] [--mode online|offline|both]
 *   [--backend wasm|webgpu|cpu] [--fps N] [--json]`
 *
 * Classifies a local video file with the built app's own pipeline (FileSource, the frame pump's
 * crop, InferenceClient and the inference worker) in headless Debian chromium: builds dist/ when
 * it is missing or older than the sources, serves it with `vite preview` on 127.0.0.1 (a free
 * port, cross-origin isolated), hands the file to classify.html, and prints one line per sampled
 * frame and a summary. Any failure exits 1 with a one-line reason on stderr.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { CHROMIUM_PATH, chromiumArgs } from '../chromium';
import { build, preview } from 'vite';
import {
  parseEvent,
  type ClassifyConfig,
  type ClassifyEvent,
  type LabelledScore,
} from '../../src/classify/events';
import { quantile } from '../bench/bench-format';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Parsed command line. */
export interface ClassifyArgs {
  readonly file: string;
  readonly config: ClassifyConfig;
  readonly json: boolean;
}

/** A usage or input problem: printed as one line, exit code 1. */
export class ClassifyError extends Error {
  override readonly name = 'ClassifyError';
}

const MODES = ['online', 'offline', 'both'] as const;

/** Parses argv (without node and script). Throws {@link ClassifyError} on bad input. */
export function parseArgs(argv: readonly string[]): ClassifyArgs {
  let file: string | null = null;
  let modelId = 'movinet-a0-stream';
  let mode: ClassifyConfig['mode'] = 'online';
  let backend: string | null = null;
  let fps: number | null = null;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--json') {
      json = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (file !== null) throw new ClassifyError(`only one video file, got "${file}" and "${arg}"`);
      file = arg;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new ClassifyError(`${arg} needs a value`);
    if (arg === '--model') modelId = value;
    else if (arg === '--backend') backend = value;
    else if (arg === '--mode') {
      const m = MODES.find((x) => x === value);
      if (m === undefined)
        throw new ClassifyError(`--mode must be online, offline or both, got "${value}"`);
      mode = m;
    } else if (arg === '--fps') {
      fps = Number(value);
      if (!(Number.isFinite(fps) && fps > 0))
        throw new ClassifyError(`--fps must be a positive number, got "${value}"`);
    } else throw new ClassifyError(`unknown option ${arg}`);
  }
  if (file === null) {
    throw new ClassifyError(
      'usage: npm run classify -- <video> [--model id] [--mode online|offline|both] [--backend wasm|webgpu|cpu] [--fps N] [--json]',
    );
  }
  return { file, config: { modelId, mode, backend, fps }, json };
}

/** Newest mtime (ms) under a path. */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

/** Builds dist/ when classify.html is missing there or older than anything it is built from. */
async function ensureBuilt(log: (s: string) => void): Promise<void> {
  const built = join(ROOT, 'dist', 'classify.html');
  const inputs = ['src', 'public', 'index.html', 'classify.html', 'vite.config.ts'];
  const stale =
    !existsSync(built) || inputs.some((p) => newest(join(ROOT, p)) > statSync(built).mtimeMs);
  if (!stale) return;
  log('building the app (dist/ is missing or older than src/) ...');
  await build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'error' });
}

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createNetServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** One step as printed. */
export interface StepLine {
  readonly type: 'step';
  readonly step: number;
  /** Video time of the frame, s. */
  readonly time: number;
  /** The primary mode's top-5 (online unless --mode offline); empty while buffers fill. */
  readonly top5: readonly LabelledScore[];
  readonly latencyMs: number;
  /** With --mode both: the clip-based baseline's answer. */
  readonly offline?: { readonly top5: readonly LabelledScore[]; readonly latencyMs: number };
}

/** The summary line. */
export interface SummaryLine {
  readonly type: 'summary';
  readonly file: string;
  readonly model: string;
  readonly backend: string;
  readonly mode: ClassifyConfig['mode'];
  readonly fps: number;
  readonly steps: number;
  /** The last step's top-5 of the primary mode. */
  readonly top5: readonly LabelledScore[];
  /** Over the steps that gave scores (primary mode), ms. */
  readonly meanLatencyMs: number;
  readonly p95LatencyMs: number;
}

/** What {@link classify} returns. */
export interface ClassifyResult {
  readonly steps: readonly StepLine[];
  readonly summary: SummaryLine;
}

function toStepLine(
  e: Extract<ClassifyEvent, { type: 'step' }>,
  mode: ClassifyConfig['mode'],
): StepLine {
  const primary = (mode === 'offline' ? e.offline : e.online) ?? { top5: [], latencyMs: 0 };
  return {
    type: 'step',
    step: e.step,
    time: e.time,
    top5: primary.top5,
    latencyMs: primary.latencyMs,
    ...(mode === 'both' && e.offline ? { offline: e.offline } : {}),
  };
}

const fmtTop = (top: readonly LabelledScore[], n: number): string =>
  top.length === 0
    ? '(filling)'
    : top
        .slice(0, n)
        .map((s) => `${s.label} ${s.prob.toFixed(3)}`)
        .join(' | ');

/**
 * Runs the whole pipeline on one file; `onStep` sees each step as it comes. Throws
 * {@link ClassifyError} with a one-line reason on any failure.
 */
export async function classify(
  args: ClassifyArgs,
  onStep: (line: StepLine) => void = () => {},
  log: (s: string) => void = (s) => console.error(s),
): Promise<ClassifyResult> {
  const file = resolve(args.file);
  if (!existsSync(file)) throw new ClassifyError(`file not found: ${args.file}`);
  if (!statSync(file).isFile()) throw new ClassifyError(`not a file: ${args.file}`);
  await ensureBuilt(log);
  const port = await freePort();
  const server = await preview({
    root: ROOT,
    configFile: join(ROOT, 'vite.config.ts'),
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
    logLevel: 'error',
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...chromiumArgs],
  });
  try {
    const page = await browser.newPage();
    const steps: StepLine[] = [];
    let ready: Extract<ClassifyEvent, { type: 'ready' }> | null = null;
    let failure: string | null = null;
    let finished = false;
    // The backend the last steps ran on (the worker may fall back mid-run).
    let backendNow: string | null = null;
    page.on('pageerror', (e) => log(`[page] ${e.message}`));
    page.on('console', (msg) => {
      const event = parseEvent(msg.text());
      if (event === null) return;
      if (event.type === 'ready') {
        ready = event;
        backendNow = event.backend;
        log(
          `model ${event.model} on ${event.backend} (${event.backendReason}); ` +
            `${event.width}x${event.height}, ${event.duration.toFixed(2)} s at ${event.fps} fps`,
        );
      } else if (event.type === 'step') {
        const line = toStepLine(event, args.config.mode);
        steps.push(line);
        onStep(line);
      } else if (event.type === 'notice') {
        log(`[worker] ${event.message}`);
        if (event.backend !== undefined) backendNow = event.backend;
      } else if (event.type === 'error') failure = event.message;
      else finished = true;
    });
    await page.goto(`http://127.0.0.1:${port}/classify.html`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await page.setInputFiles('#file', file);
    await page.evaluate((c) => window.__classify?.(c), args.config);
    // Console events may trail the evaluate's return by a tick.
    for (let i = 0; i < 50 && failure === null && !finished; i++) await page.waitForTimeout(20);
    if (failure !== null) throw new ClassifyError(`${basename(file)}: ${String(failure)}`);
    const r = ready as Extract<ClassifyEvent, { type: 'ready' }> | null;
    if (!finished || r === null)
      throw new ClassifyError(`${basename(file)}: the page stopped without finishing`);
    const scored = steps.filter((s) => s.top5.length > 0);
    const lat = scored.map((s) => s.latencyMs);
    const summary: SummaryLine = {
      type: 'summary',
      file: args.file,
      model: r.model,
      backend: backendNow ?? r.backend,
      mode: args.config.mode,
      fps: r.fps,
      steps: steps.length,
      top5: scored.at(-1)?.top5 ?? [],
      meanLatencyMs: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : 0,
      p95LatencyMs: lat.length ? quantile(lat, 0.95) : 0,
    };
    return { steps, summary };
  } finally {
    await browser.close();
    await new Promise<void>((res) => server.httpServer.close(() => res()));
  }
}

/** The CLI: prints steps and the summary; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parseArgs(argv);
    const print = (line: StepLine): void => {
      if (args.json) console.log(JSON.stringify(line));
      else
        console.log(
          `step ${String(line.step).padStart(4)}  t=${line.time.toFixed(2).padStart(7)} s  ` +
            `${line.latencyMs.toFixed(1).padStart(7)} ms  ${fmtTop(line.top5, 3)}`,
        );
    };
    const { summary } = await classify(args, print);
    if (args.json) console.log(JSON.stringify(summary));
    else {
      console.log(
        `\n${summary.file}: ${summary.steps} steps at ${summary.fps} fps, ${summary.model} on ${summary.backend} (${summary.mode}); ` +
          `latency mean ${summary.meanLatencyMs.toFixed(1)} ms, p95 ${summary.p95LatencyMs.toFixed(1)} ms`,
      );
      summary.top5.forEach((s, i) =>
        console.log(`  ${i + 1}. ${s.label.padEnd(32)} ${s.prob.toFixed(4)}`),
      );
    }
    return 0;
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    console.error(`classify: ${text.split('\n')[0] ?? text}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
