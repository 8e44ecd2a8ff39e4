/**
 * `npx tsx tools/reference/make-reference.ts` (npm script `reference`): writes
 * tools/reference/fixtures/<clip>.json for every ../shared/videos/*.mp4 from the original
 * MoViNet-A0-Stream TFLite model run with @tensorflow/tfjs-tflite, and prints each clip's final
 * top-5 and the time per frame.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { format, resolveConfig } from 'prettier';
import { MovinetTflite } from './movinet-tflite';
import {
  buildFixture,
  FIXTURES_DIR,
  LABELS_PATH,
  MODEL_PATH,
  VIDEOS_DIR,
  type ReferenceFixture,
} from './reference-fixture';
import { parseLabels } from './top-k';

/** Version of the installed @tensorflow/tfjs-tflite (for the fixtures' provenance). */
function tfliteVersion(): string {
  const require = createRequire(import.meta.url);
  const pkg = require('@tensorflow/tfjs-tflite/package.json') as { version: string };
  return pkg.version;
}

/** First line of `ffmpeg -version`. */
function ffmpegVersion(): string {
  const out = execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' });
  return (out.split('\n')[0] ?? '').replace(/ Copyright.*$/, '');
}

/** Fixture JSON as prettier would write it, so `format:check` stays clean. */
async function toJson(fixture: ReferenceFixture, path: string): Promise<string> {
  const config = (await resolveConfig(path)) ?? {};
  return format(JSON.stringify(fixture), { ...config, parser: 'json' });
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const modelBytes = readFileSync(MODEL_PATH);
  const labelsBytes = readFileSync(LABELS_PATH);
  const labels = parseLabels(labelsBytes.toString('utf8'));
  const model = await MovinetTflite.load(modelBytes);
  const { computed, passThrough } = model.wiring;
  const generatedBy =
    `tools/reference/make-reference.ts: @tensorflow/tfjs-tflite ${tfliteVersion()} in Node ` +
    `${process.version} (single-threaded WASM), states carried: ${computed.length} computed ` +
    `states fed back by SignatureDef name, ${passThrough.length} pass-through states fed zeros`;
  const version = ffmpegVersion();
  mkdirSync(FIXTURES_DIR, { recursive: true });
  const clips = readdirSync(VIDEOS_DIR)
    .filter((f) => f.endsWith('.mp4'))
    .sort();
  if (clips.length === 0) throw new Error(`no .mp4 clips in ${VIDEOS_DIR}`);
  for (const file of clips) {
    const videoPath = join(VIDEOS_DIR, file);
    const { fixture, msPerFrame } = await buildFixture({
      videoPath,
      videoBytes: readFileSync(videoPath),
      modelBytes,
      labelsBytes,
      labels,
      model,
      generatedBy,
      ffmpegVersion: version,
    });
    const out = join(FIXTURES_DIR, `${fixture.clip}.json`);
    const json = await toJson(fixture, out);
    writeFileSync(out, json);
    const last = fixture.perFrame.at(-1);
    console.log(
      `${fixture.clip}: ${fixture.frames} frames, ${msPerFrame.toFixed(1)} ms/frame, ` +
        `${(Buffer.byteLength(json) / 1024).toFixed(0)} KiB -> ${out}`,
    );
    for (const c of last?.top5 ?? []) {
      console.log(`  ${c.prob.toFixed(4)}  ${c.label} (${c.index})`);
    }
  }
  model.dispose();
}

await main();
