/**
 * `npx tsx tools/adapters/time-variants.ts <dir> [--steps 20] [--rounds 3] [--report tools/adapters/variants-report.json]`
 *
 * Re-measures ms per streaming step (cpu backend in Node, 172x172 frames) of the dense model
 * and of every variant weights folder under <dir>, interleaved in rounds (dense, v1, v2, ...,
 * dense, v1, ...) so that load from other processes on a shared machine spreads over all of
 * them, and writes the medians into the report's rows (msPerStep), keeping the rest.
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

async function main(argv: readonly string[]): Promise<number> {
  const dir = argv[0];
  if (dir === undefined) {
    console.error(
      'usage: time-variants.ts <dir of variant folders> [--steps N] [--rounds N] [--report file]',
    );
    return 1;
  }
  let steps = 20;
  let rounds = 3;
  let report = join(ROOT, 'tools/adapters/variants-report.json');
  for (let i = 1; i < argv.length; i += 2) {
    const value = argv[i + 1] ?? '';
    if (argv[i] === '--steps') steps = Number(value);
    else if (argv[i] === '--rounds') rounds = Number(value);
    else if (argv[i] === '--report') report = resolve(value);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  await tf.setBackend('cpu');
  const ids = readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'manifest.json')))
    .sort();
  const networks = new Map<string, CoModule>([[DENSE_ID, await load(DENSE_DIR, 'float')]]);
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
  json.rows = json.rows.map((row) => {
    const ms = medians.get(row.id);
    return ms === undefined ? row : { ...row, msPerStep: Math.round(ms * 10) / 10 };
  });
  json.timing = {
    how: `median of ${rounds} interleaved rounds x ${steps} steps of 172x172 frames, tfjs-backend-cpu in Node, read-back included`,
    date: new Date().toISOString().slice(0, 10),
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
