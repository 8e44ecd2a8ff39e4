import { existsSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { SOURCE_VIDEO } from './media';

// A real WebGPU device destroyed under the running model (in the inference worker, where the
// backend lives): the app must fall back to WASM without a reload, say so, and keep predicting.
// CoSlow-small: small enough for chromium's software adapter to run it at a few frames a second
// (MoViNet's first readback there loses the device on its own, before any test could).

test.skip(!existsSync(SOURCE_VIDEO), `needs the clip ${SOURCE_VIDEO} (or E2E_VIDEO)`);

test('WebGPU device lost mid-stream: falls back to WASM, says why, predictions go on', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=webgpu&model=coslow-small');
  await expect(page.getByTestId('status')).toHaveText('ready', { timeout: 240_000 });
  const backend = page.getByTestId('backend');
  test.skip((await backend.textContent()) !== 'webgpu', 'no WebGPU adapter in this browser');

  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('top5').locator('li').first()).not.toHaveText('', {
    timeout: 120_000,
  });
  // TF.js keeps its engine on the worker's global; its WebGPU backend holds the device.
  const outcomes = await Promise.all(
    page.workers().map((worker) =>
      worker.evaluate(() => {
        const engine = (globalThis as { _tfengine?: { backendName: string; backend: unknown } })
          ._tfengine;
        const device = (engine?.backend as { device?: { destroy(): void } } | undefined)?.device;
        if (device === undefined) return `no device (backend ${engine?.backendName ?? 'none'})`;
        device.destroy();
        return 'destroyed';
      }),
    ),
  );
  expect(outcomes).toContain('destroyed');

  await expect(backend).toHaveText('wasm', { timeout: 120_000 });
  await expect(page.getByTestId('notice')).toContainText(/^WebGPU stopped working/);
  await expect(page.getByTestId('error')).toHaveCount(0);
  // Predictions go on (CoSlow-small is untrained, so what it names means nothing).
  const top5 = page.getByTestId('top5');
  const painted = Number(await top5.getAttribute('data-updated'));
  await expect
    .poll(async () => Number(await top5.getAttribute('data-updated')), { timeout: 60_000 })
    .toBeGreaterThan(painted + 3);
  await expect(page.getByTestId('status')).toHaveText('running');
  await page.screenshot({ path: 'test-results/device-lost-fallback.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('the inference worker crashes mid-stream: restarted with a message, predictions resume', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('ready');
  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');

  // An uncaught exception in the worker: what a bug or an out-of-memory abort looks like to the
  // page (the worker's global error event).
  // Other workers (WASM's pthread pool) may close while we ask, or sit blocked in Atomics.wait
  // and never answer: either way they are not the inference worker.
  const notAnswering = () =>
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000));
  const injected = await Promise.all(
    page.workers().map((w) =>
      Promise.race([
        w
          .evaluate(() => {
            if (!('_tfengine' in globalThis)) return false;
            setTimeout(() => {
              throw new Error('injected crash');
            });
            return true;
          })
          .catch(() => false),
        notAnswering(),
      ]),
    ),
  );
  expect(injected.filter(Boolean)).toHaveLength(1);
  await expect(page.getByTestId('notice')).toContainText(
    'The inference worker crashed and was restarted; predictions resume once the model has reloaded.',
  );
  await expect(page.getByTestId('status')).toHaveText('running', { timeout: 60_000 });
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('broken weights: a wrong hash, a missing shard, a malformed manifest are named; nothing half-loads', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const error = page.getByTestId('error');
  const status = page.getByTestId('status');
  // Verified shards are cached (Cache Storage); each case starts from an empty cache.
  const clearCache = () =>
    page.evaluate(async () => {
      for (const key of await caches.keys()) await caches.delete(key);
    });

  // One flipped byte in a shard.
  await page.route('**/weights/movinet-a0-stream/shard-01.bin', async (route) => {
    const response = await route.fetch();
    const body = Buffer.from(await response.body());
    body[1000] = (body[1000] ?? 0) ^ 0xff;
    await route.fulfill({ response, body });
  });
  await page.goto('/?backend=wasm');
  await expect(status).toHaveText('error');
  await expect(error).toContainText(
    'shard-01.bin is corrupt or stale (its SHA-256 does not match the manifest)',
  );
  // No model runs: the camera gives no predictions.
  await expect(page.getByTestId('model')).not.toContainText('Parameters');
  await page.unrouteAll();
  await clearCache();

  // A shard the server does not have.
  await page.route('**/weights/movinet-a0-stream/shard-02.bin', (route) =>
    route.fulfill({ status: 404, body: 'not found' }),
  );
  await page.goto('/?backend=wasm');
  await expect(error).toContainText('shard-02.bin is missing on the server');
  await expect(status).toHaveText('error');
  await page.unrouteAll();
  await clearCache();

  // A manifest that is not JSON.
  await page.route('**/weights/movinet-a0-stream/manifest.json', (route) =>
    route.fulfill({ status: 200, contentType: 'application/json', body: '{"format": ' }),
  );
  await page.goto('/?backend=wasm');
  await expect(error).toContainText('manifest.json is not valid JSON');
  await expect(status).toHaveText('error');

  // The page still works: another model loads and runs.
  await page.getByTestId('model-select').selectOption('coslow-small');
  await expect(status).toHaveText('ready');
  await expect(error).toHaveCount(0);
  await page.getByTestId('webcam-start').click();
  await expect(status).toHaveText('running');
  expect(errors).toEqual([]);
});
