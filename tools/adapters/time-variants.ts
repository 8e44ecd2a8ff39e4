/**
 * `npx tsx tools/adapters/time-variants.ts <dir> [--backend cpu|wasm] [--steps 20] [--rounds 3]
 *   [--report tools/adapters/variants-report.json]`
 *
 * Re-measures ms per streaming step (172x172 frames, read-back included) of the dense model and
 * of every variant weights folder under <dir>, interleaved in rounds (dense, v1, v2, ..., dense,
 * v1, ...) so that load from other processes on a shared machine spreads over all of them.
 * - `--backend cpu` (default) writes each folder's median into the row of the same id
 *   (msPerStep).
 * - `--backend wasm` (TF.js's WASM backend in Node: SIMD, one thread, like the app's default on
 *   two cores) writes `wasmMsPerStep` into every row of the folder's prune ratio: the variants of
 *   one ratio (pruned only, SPLoRA fused, fine-tuned) have the same shapes, so one folder per
 *   ratio times them all.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CoModule } from '../../src/continual/module';
import { buildMovinetA0 } from '../../src/models/movinet/movinet-a0';
import { parseMovinetConfig } from '../../src/models/movinet/movinet-config';
import { loadWeights } from '../../src/models/weights/load-weights';
import { DENSE_DIR, DENSE_ID, ROOT, type VariantRow } from './variant-run';

async function load(dir: string, quantization: 'float' | undefined): Promise<CoModule> {
  const weights = await loadWeights('/w', {
    cache: false,
    fetchImpl: async (url) => new Response(await readFile(join(dir, url.slice(3)))),
  });
  const spec = parseMovinetConfig(weights.manifest.config);
  return buildMovinetA0(spec, weights, quantization === undefined ? {} : { quantization });
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function timeSteps(network: CoModule, frame: tf.Tensor4D, steps: number): number[] {
  network.resetState();
  const times: number[] = [];
  for (let i = 0; i < steps + 2; i++) {
    const start = performance.now();
    const out = network.forwardStep(frame);
    out?.dataSync();
    out?.dispose();
    if (i >= 2) times.push(performance.now() - start);
  }
  return times;
}

/**
 * The report's rows with the measured medians written in: on cpu by row id (msPerStep), on wasm
 * by prune ratio (wasmMsPerStep), rounded to 0.1 ms. Rows nothing was measured for are kept.
 */
export function withTimings(
  rows: readonly VariantRow[],
  medians: ReadonlyMap<string, number>,
  backend: 'cpu' | 'wasm',
): VariantRow[] {
  const round = (ms: number) => Math.round(ms * 10) / 10;
  if (backend === 'cpu') {
    return rows.map((row) => {
      const ms = medians.get(row.id);
      return ms === undefined ? row : { ...row, msPerStep: round(ms) };
    });
  }
  const byPrune = new Map<number, number>();
  for (const row of rows) {
    const ms = medians.get(row.id);
    if (ms === undefined) continue;
    const earlier = byPrune.get(row.prune);
    if (earlier !== undefined && earlier !== ms) {
      throw new Error(`Two folders timed for the prune ratio ${row.prune}: keep one per ratio.`);
    }
    byPrune.set(row.prune, ms);
  }
  return rows.map((row) => {
    const ms = byPrune.get(row.prune);
    return ms === undefined ? row : { ...row, wasmMsPerStep: round(ms) };
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const dir = argv[0];
  if (dir === undefined) {
    console.error(
      'usage: time-variants.ts <dir of variant folders> [--backend cpu|wasm] [--steps N] [--rounds N] [--report file]',
    );
    return 1;
  }
  let steps = 20;
  let rounds = 3;
  let backend: 'cpu' | 'wasm' = 'cpu';
  let report = join(ROOT, 'tools/adapters/variants-report.json');
  for (let i = 1; i < argv.length; i += 2) {
    const value = argv[i + 1] ?? '';
    if (argv[i] === '--steps') steps = Number(value);
    else if (argv[i] === '--rounds') rounds = Number(value);
    else if (argv[i] === '--report') report = resolve(value);
    else if (argv[i] === '--backend' && (value === 'cpu' || value === 'wasm')) backend = value;
    else throw new Error(`unknown option ${argv[i]} ${value}`);
  }
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(backend))) throw new Error(`The ${backend} backend did not start.`);
  const ids = readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'manifest.json')))
    .sort();
  // The dense row is timed as the app runs it on wasm (int8 head), as the teacher (float) on cpu.
  const networks = new Map<string, CoModule>([
    [DENSE_ID, await load(DENSE_DIR, backend === 'wasm' ? undefined : 'float')],
  ]);
  for (const id of ids) networks.set(id, await load(join(dir, id), undefined));
  const frame = tf.randomUniform([1, 172, 172, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const times = new Map<string, number[]>([...networks.keys()].map((id) => [id, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [id, network] of networks) times.get(id)?.push(...timeSteps(network, frame, steps));
    console.error(`round ${r + 1}/${rounds} done`);
  }
  const json = JSON.parse(await readFile(report, 'utf8')) as {
    rows: VariantRow[];
    timing?: unknown;
  };
  const medians = new Map([...times].map(([id, t]) => [id, median(t)]));
  json.rows = withTimings(json.rows, medians, backend);
  const how = `median of ${rounds} interleaved rounds x ${steps} steps of 172x172 frames, read-back included`;
  json.timing = {
    ...(typeof json.timing === 'object' && json.timing !== null ? json.timing : {}),
    [backend]: {
      how:
        backend === 'wasm'
          ? `${how}, tfjs-backend-wasm in Node (SIMD, 1 thread); per prune ratio`
          : `${how}, tfjs-backend-cpu in Node`,
      date: new Date().toISOString().slice(0, 10),
    },
  };
  await writeFile(report, `${JSON.stringify(json, null, 2)}\n`);
  for (const [id, ms] of medians) console.log(`${id.padEnd(34)} ${ms.toFixed(1)} ms/step`);
  for (const n of networks.values()) n.dispose();
  frame.dispose();
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
