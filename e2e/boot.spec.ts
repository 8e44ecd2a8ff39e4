import { expect, test, type Page } from '@playwright/test';

/** Waits until the app has picked and checked a backend, failing fast on a start-up error. */
async function waitForReady(page: Page): Promise<void> {
  await expect(page.getByTestId('status')).toHaveText(/^(ready|error)$/);
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('status')).toHaveText('ready');
}

/** Collects uncaught page errors (e.g. a WASM thread that failed to start). */
function trackErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

test('boots, picks the preferred backend and says why', async ({ page }) => {
  const errors = trackErrors(page);
  await page.goto('/');
  await expect(page).toHaveTitle('continual-video');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('continual-video');
  await waitForReady(page);

  // Debian's chromium with --enable-unsafe-webgpu offers SwiftShader, a software WebGPU adapter.
  await expect(page.getByTestId('backend')).toHaveText('webgpu');
  await expect(page.getByTestId('backend-reason')).toHaveText(
    /^Running on WebGPU on .+, the preferred backend\.$/,
  );
  await expect(page.getByTestId('backend-reason')).toContainText('software adapter');
  await page.screenshot({ path: 'test-results/boot-webgpu.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('?backend=wasm runs the threaded SIMD build in a cross-origin-isolated page', async ({
  page,
}) => {
  const errors = trackErrors(page);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('/?backend=wasm');
  await waitForReady(page);
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
  // The binaries come from the app's own origin (no CDN), the threaded SIMD one among them.
  const origin = new URL(page.url()).origin;
  expect(requests.filter((u) => !u.startsWith(origin) && !/^(blob|data):/.test(u))).toEqual([]);
  expect(requests.some((u) => /tfjs-backend-wasm-threaded-simd-[\w-]+\.wasm$/.test(u))).toBe(true);
  await expect(page.getByTestId('backend')).toHaveText('wasm');
  await expect(page.getByTestId('backend-reason')).toHaveText(
    /^Running on WASM with SIMD and threads?\b.*, as requested by \?backend=wasm\.$/,
  );
  await expect(page.getByTestId('backend-detail')).toContainText('SIMD · multi-threaded');
  await page.screenshot({ path: 'test-results/boot-wasm.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('the WASM thread pool computes in the production build (8 cores simulated)', async ({
  page,
}) => {
  // TF.js sizes its pool at half of navigator.hardwareConcurrency; faking 8 cores asks for 4
  // threads even on a 2-core CI machine, so the start-up check product runs on pool threads.
  // The backend starts in the inference worker, which init scripts do not reach: the override
  // goes into each worker as it attaches, well before the WASM backend has been fetched and
  // reads the core count (the expected "4 threads" below fails if it came too late).
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 8 });
  });
  page.on('worker', (worker) => {
    worker
      .evaluate(() => {
        Object.defineProperty(WorkerNavigator.prototype, 'hardwareConcurrency', { get: () => 8 });
      })
      .catch(() => undefined);
  });
  const errors = trackErrors(page);
  await page.goto('/?backend=wasm');
  await waitForReady(page);
  await expect(page.getByTestId('backend-reason')).toHaveText(
    'Running on WASM with SIMD and 4 threads, as requested by ?backend=wasm.',
  );
  await expect(page.getByTestId('backend-detail')).toHaveText(
    'SIMD · multi-threaded · 4 threads in the pool',
  );
  expect(errors).toEqual([]);
});

test('an unknown ?backend= is explained and the default order used', async ({ page }) => {
  await page.goto('/?backend=metal');
  await waitForReady(page);
  await expect(page.getByTestId('backend')).toHaveText('webgpu');
  await expect(page.getByTestId('backend-reason')).toContainText(
    '"metal" (from ?backend=metal) is not a backend',
  );
});

test('?backend=cpu is honoured', async ({ page }) => {
  await page.goto('/?backend=cpu');
  await waitForReady(page);
  await expect(page.getByTestId('backend')).toHaveText('cpu');
  await expect(page.getByTestId('backend-reason')).toHaveText(
    'Running on the plain JavaScript CPU backend (slow), as requested by ?backend=cpu.',
  );
});

test('the backend picker switches the backend live and keeps the choice in the URL', async ({
  page,
}) => {
  const errors = trackErrors(page);
  await page.goto('/?backend=wasm');
  await waitForReady(page);
  const picker = page.getByTestId('backend-picker');
  const backend = page.getByTestId('backend');
  await expect(picker).toHaveValue('wasm');
  await expect(backend).toHaveText('wasm');

  // Another backend: the model loads again on it, and the page says why it runs there.
  await picker.selectOption('cpu');
  await expect(backend).toHaveText('cpu');
  await waitForReady(page);
  await expect(page.getByTestId('backend-reason')).toHaveText(
    'Running on the plain JavaScript CPU backend (slow), as requested by ?backend=cpu.',
  );
  expect(new URL(page.url()).searchParams.get('backend')).toBe('cpu');

  // Best available: the default order again, and the URL no longer asks for anything.
  await picker.selectOption('auto');
  await expect(backend).toHaveText('webgpu');
  await waitForReady(page);
  await expect(page.getByTestId('backend-reason')).toHaveText(/the preferred backend\.$/);
  expect(new URL(page.url()).searchParams.has('backend')).toBe(false);

  // A reload keeps the last choice.
  await picker.selectOption('wasm');
  await expect(backend).toHaveText('wasm');
  await page.reload();
  await waitForReady(page);
  await expect(picker).toHaveValue('wasm');
  await expect(backend).toHaveText('wasm');
  expect(errors).toEqual([]);
});
