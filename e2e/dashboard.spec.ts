import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { BROKEN_VIDEO, HEVC_VIDEO, SOURCE_VIDEO, WEBM_VIDEO } from './media';

// The dashboard against the production build, fed by chromium's fake camera (the arm-wrestling
// clip, see e2e/media.ts) and by uploads of the same clip. WASM runs these: the software WebGPU
// adapter is correct but too slow to keep up with a stream.

test.skip(!existsSync(SOURCE_VIDEO), `needs the clip ${SOURCE_VIDEO} (or E2E_VIDEO)`);

/** Opens the page and waits until the model is loaded, failing fast on a start-up error. */
async function openReady(page: Page, query = '?backend=wasm'): Promise<void> {
  await page.goto(`/${query}`);
  const status = page.getByTestId('status');
  await expect(status).toHaveText(/^(ready|error)$/);
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(status).toHaveText('ready');
}

/** Predictions painted into a top-5 list so far. */
async function paintedCount(list: Locator): Promise<number> {
  return Number((await list.getAttribute('data-updated')) ?? '0');
}

/** Waits until a top-5 list has been repainted with `more` further predictions. */
async function expectKeepsUpdating(list: Locator, more = 3): Promise<void> {
  const before = await paintedCount(list);
  await expect
    .poll(() => paintedCount(list), { timeout: 60_000 })
    .toBeGreaterThanOrEqual(before + more);
}

/** Collects uncaught page errors. */
function trackErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/${name}.png`, fullPage: true });
}

test('loading shows the weights download, then the model is ready', async ({ page }) => {
  // Hold back the last shard so the loading state lasts long enough to be read.
  await page.route('**/weights/movinet-a0-stream/shard-02.bin', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await route.continue();
  });
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('loading');
  const progress = page.getByTestId('progress');
  await expect(progress).toHaveAttribute('data-phase', 'weights');
  await expect(progress).toContainText('MoViNet-A0-Stream');
  await expect(progress).toContainText(/Downloading weights [\d.]+ [kM]B of [\d.]+ MB/);
  const bar = progress.getByRole('progressbar');
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThan(0);
  await shot(page, 'dashboard-loading');
  await expect(page.getByTestId('status')).toHaveText('ready');
  await expect(progress).toHaveCount(0);
  await expect(page.getByTestId('flops-clip')).toHaveText(/^[\d.]+ MFLOPs$/);
});

test('webcam: predictions appear, keep updating and name the action', async ({ page }) => {
  const errors = trackErrors(page);
  await openReady(page);
  await expect(page.getByTestId('model')).toContainText('MoViNet-A0-Stream');
  await expect(page.getByTestId('model')).toHaveAttribute('data-trained', 'true');
  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('camera-settings')).toContainText('344 × 256');
  await expect(page.getByTestId('notice')).toContainText('Camera started');

  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  await expect(page.getByTestId('status')).toHaveText('running');
  const top5 = page.getByTestId('top5');
  await expect(top5.locator('li').first()).toContainText('arm wrestling');
  await expectKeepsUpdating(top5);
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');

  // The figures beside the video are measured and filled in.
  await expect(page.getByTestId('latency-online-p50')).toHaveText(/^[\d.]+ ms$/);
  await expect(page.getByTestId('fps-in')).toHaveText(/^\d+\.\d\/s$/);
  await expect(page.getByTestId('fps-out')).toHaveText(/^\d+\.\d\/s$/);
  await expect(page.getByTestId('dropped')).toHaveText(/^\d[\d\u202f]*$/);
  await expect(page.getByTestId('flops-step')).toHaveText(/^[\d.]+ MFLOPs$/);
  await expect(page.getByTestId('flops-saved')).toContainText(/\d+\.\d\d GFLOPs/);
  await expect(page.getByTestId('flops-saved')).toContainText(/[\d.]+× fewer FLOPs/);
  await expect(page.getByTestId('state-bytes')).toHaveText(/^[\d.]+ [kM]B$/);
  await expect(page.getByTestId('timeline-legend')).toContainText('arm wrestling');
  await shot(page, 'dashboard-webcam');

  // A new resolution restarts the live camera with it.
  await page.getByTestId('resolution').selectOption('320x240');
  await expect(page.getByTestId('camera-settings')).toContainText('320 × 240');
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');

  // Stopping the camera stops the predictions: 'running' falls back to 'ready'.
  await page.getByTestId('webcam-stop').click();
  await expect(page.getByTestId('status')).toHaveText('ready', { timeout: 10_000 });
  await expect(page.getByTestId('webcam-start')).toBeVisible();
  expect(errors).toEqual([]);
});

test('predictions reach the screen without re-rendering React', async ({ page }) => {
  // A minimal React DevTools hook: react-dom reports every commit to it, production builds too.
  await page.addInitScript(() => {
    const w = window as unknown as { __commits: number; __REACT_DEVTOOLS_GLOBAL_HOOK__: object };
    w.__commits = 0;
    w.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
      supportsFiber: true,
      renderers: new Map(),
      inject: () => 1,
      checkDCE: () => undefined,
      onScheduleFiberRoot: () => undefined,
      onCommitFiberUnmount: () => undefined,
      onPostCommitFiberRoot: () => undefined,
      onCommitFiberRoot: () => {
        w.__commits++;
      },
    };
  });
  await openReady(page);
  const commits = () => page.evaluate(() => (window as unknown as { __commits: number }).__commits);
  expect(await commits()).toBeGreaterThan(0);
  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('status')).toHaveText('running');
  await expect(page.getByTestId('notice')).toHaveCount(0, { timeout: 15_000 });

  const top5 = page.getByTestId('top5');
  const paintedBefore = await paintedCount(top5);
  const commitsBefore = await commits();
  await page.waitForTimeout(5000);
  const painted = (await paintedCount(top5)) - paintedBefore;
  const committed = (await commits()) - commitsBefore;
  // About 25 predictions painted in 5 s (5 fps), and no React commit for any of them.
  expect(painted).toBeGreaterThanOrEqual(10);
  expect(committed).toBe(0);
});

test('files: a picked MP4 and a dropped WebM are recognised; a seek resets the state', async ({
  page,
}) => {
  const errors = trackErrors(page);
  await openReady(page);
  const video = page.getByTestId('video');
  const notice = page.getByTestId('notice');

  await page.getByTestId('file-input').setInputFiles(SOURCE_VIDEO);
  await expect(notice).toContainText('Opened "arm_wrestling.mp4": the model state was reset');
  await expect(page.getByTestId('file-name')).toContainText('arm_wrestling.mp4');
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  await expect(page.getByTestId('status')).toHaveText('running');

  // Seeking: the pump resets the model state and the page says so. Paused first, so that the
  // clip's loop (every 10 s) cannot replace the notice before it is read.
  await video.evaluate((v: HTMLVideoElement) => {
    v.pause();
    v.currentTime = 4;
  });
  await expect(notice).toHaveAttribute('data-reason', 'seek');
  await expect(notice).toContainText('Jumped to 0:04.0: the model state was reset');
  await video.evaluate((v: HTMLVideoElement) => v.play());
  await expectKeepsUpdating(page.getByTestId('top5'));
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');

  // The speed picker drives the video.
  await page.getByTestId('playback-rate').selectOption('0.5');
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.playbackRate)).toBe(0.5);
  await shot(page, 'dashboard-file-mp4');

  // Pausing stops the predictions.
  await video.evaluate((v: HTMLVideoElement) => v.pause());
  await expect(page.getByTestId('status')).toHaveText('ready', { timeout: 10_000 });

  // The WebM arrives by drag and drop onto the video.
  const dataTransfer = await page.evaluateHandle((base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], 'arm_wrestling.webm', { type: 'video/webm' }));
    return transfer;
  }, readFileSync(WEBM_VIDEO).toString('base64'));
  await page.getByTestId('dropzone').dispatchEvent('dragover', { dataTransfer });
  await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer });
  await expect(notice).toContainText('Opened "arm_wrestling.webm"');
  await expect(page.getByTestId('file-name')).toContainText('arm_wrestling.webm');
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  await expect(page.getByTestId('status')).toHaveText('running');
  await expectKeepsUpdating(page.getByTestId('top5'));
  await shot(page, 'dashboard-file-webm');

  // The file loops; each wrap is a new pass over the clip, so the state is reset and said so
  // (not mistaken for a seek).
  await video.evaluate((v: HTMLVideoElement) => {
    v.currentTime = Math.max(0, v.duration - 1.2);
  });
  await expect(notice).toHaveAttribute('data-reason', 'loop', { timeout: 20_000 });
  await expect(notice).toContainText('The video looped: the model state was reset');
  await expectKeepsUpdating(page.getByTestId('top5'));
  expect(errors).toEqual([]);
});

test('compare mode "both": both top-5s update, with agreement and max difference', async ({
  page,
}) => {
  const errors = trackErrors(page);
  await openReady(page);
  await page.getByTestId('mode').selectOption('both');
  await expect(page.getByTestId('mode')).toHaveValue('both');
  await page.getByTestId('file-input').setInputFiles(SOURCE_VIDEO);

  const online = page.getByTestId('top5');
  const offline = page.getByTestId('top5-offline');
  await expect(online).toHaveAttribute('data-mode', 'online');
  await expect(offline).toHaveAttribute('data-mode', 'offline');
  await expect(online.locator('li').first()).toContainText('arm wrestling');
  await expect(offline.locator('li').first()).toContainText('arm wrestling');
  await expectKeepsUpdating(online);
  await expectKeepsUpdating(offline);
  await expect(page.getByTestId('agreement')).toHaveText(/^\d+\.\d%$/);
  await expect(page.getByTestId('max-diff')).toHaveText(/^(0|[\d.]+(e-\d+)?)$/);
  await expect(page.getByTestId('latency-online')).toHaveText(/p50 [\d.]+ ms/);
  await expect(page.getByTestId('latency-offline')).toHaveText(/p50 [\d.]+ ms/);
  await expect(page.getByTestId('latency-offline-p50')).toHaveText(/^[\d.]+ ms$/);
  // Let the timeline and the latency chart fill a little for the README's picture.
  await page.waitForTimeout(8000);
  await shot(page, 'dashboard-both');
  // The README's picture, without a transient notice over it.
  mkdirSync('docs', { recursive: true });
  await page.setViewportSize({ width: 1280, height: 1000 });
  await expect(page.getByTestId('notice')).toHaveCount(0, { timeout: 15_000 });
  await page.screenshot({ path: 'test-results/docs-dashboard-full.png', fullPage: true });
  // A 256-colour palette keeps the README's PNG small (the UI has few colours; the video frame
  // takes the rest).
  execFileSync('ffmpeg', [
    '-y',
    '-loglevel',
    'error',
    '-i',
    'test-results/docs-dashboard-full.png',
    '-vf',
    'split[a][b];[a]palettegen=max_colors=256:stats_mode=full[p];[b][p]paletteuse=dither=none',
    'docs/dashboard.png',
  ]);
  expect(statSync('docs/dashboard.png').size).toBeLessThanOrEqual(300_000);

  // Back to online only: the clip-based list goes away.
  await page.getByTestId('mode').selectOption('online');
  await expect(page.getByTestId('top5-offline')).toHaveCount(0);
  await expectKeepsUpdating(online);
  expect(errors).toEqual([]);
});

test('CoX3D-XS in mode "both": the offline twin agrees with the stream, 100% and max difference ~0', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await openReady(page);
  await page.getByTestId('model-select').selectOption('cox3d-xs');
  await expect(page.getByTestId('status')).toHaveText('ready');
  await expect(page.getByTestId('notice')).toContainText('Switched to CoX3D-XS');
  await expect(page.getByTestId('model')).toHaveAttribute('data-trained', 'false');
  await expect(page.getByTestId('model')).toContainText('untrained');
  // The twin is the unpadded clip model over the network's receptive field.
  const twinFrames = Number.parseInt((await page.getByTestId('twin-length').textContent()) ?? '');
  expect(twinFrames).toBeGreaterThan(4);
  await page.getByTestId('mode').selectOption('both');
  await page.getByTestId('webcam-start').click();

  await expect(page.getByTestId('agreement')).toHaveText(/^\d+\.\d%$/, { timeout: 240_000 });
  await expectKeepsUpdating(page.getByTestId('top5-offline'), 2);
  await expectKeepsUpdating(page.getByTestId('top5'), 2);

  // The rate shown is agreed / compared, as the detail line counts them.
  const detail = await page.getByTestId('agreement-detail').textContent();
  const [, agreed, compared] = /^(\d+) of (\d+) frames$/.exec(detail ?? '') ?? [];
  expect(Number(compared)).toBeGreaterThan(0);
  expect(agreed).toBe(compared);
  await expect(page.getByTestId('agreement')).toHaveText('100.0%');
  // Stream and twin differ by float32 rounding only: probabilities near 1/400 differ by ~1e-8.
  const diff = Number(await page.getByTestId('max-diff').textContent());
  expect(diff).toBeGreaterThanOrEqual(0);
  expect(diff).toBeLessThan(1e-5);
  test.info().annotations.push({
    type: 'cox3d-xs',
    description: `${compared} frames compared, all agree; max |Δp| ${diff}; twin ${twinFrames} frames`,
  });
  await shot(page, 'dashboard-cox3d-xs-both');
});

test('CoSlowFast-small in mode "both": two pathways stream, and the twin agrees', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await openReady(page);
  await page.getByTestId('model-select').selectOption('coslowfast-small');
  await expect(page.getByTestId('status')).toHaveText('ready');
  await expect(page.getByTestId('notice')).toContainText('Switched to CoSlowFast-small');
  await expect(page.getByTestId('model')).toHaveAttribute('data-trained', 'false');
  await page.getByTestId('mode').selectOption('both');
  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('agreement')).toHaveText(/^\d+\.\d%$/, { timeout: 180_000 });
  await expectKeepsUpdating(page.getByTestId('top5-offline'), 3);
  // The twin starts in step with the slow pathway, so it is the stream's exact counterpart.
  await expect(page.getByTestId('agreement')).toHaveText('100.0%');
  expect(Number(await page.getByTestId('max-diff').textContent())).toBeLessThan(1e-5);
  await shot(page, 'dashboard-coslowfast-small-both');
});

test('the variant toggle: a pruned MoViNet replaces the dense one live, says so, and costs less', async ({
  page,
}) => {
  const errors = trackErrors(page);
  await openReady(page);
  const variant = page.getByTestId('variant');
  await expect(variant).toBeEnabled();
  await expect(variant.locator('option')).toHaveText([
    'Dense',
    '30 % pruned + SPLoRA r8',
    '50 % pruned + fine-tuned',
  ]);
  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  // Dense MoViNet-A0 at 172x172: 49.7 M multiply-adds per step (tools/adapters/variants-report.json).
  await expect(page.getByTestId('flops-step')).toHaveText('49.7 MFLOPs');
  await expect(page.getByTestId('variant-pruned')).toHaveCount(0);

  await variant.selectOption('p30-splora8');
  await expect(page.getByTestId('notice')).toContainText(
    'Switched to MoViNet-A0-Stream, 30 % pruned + SPLoRA r8: a new model starts with an empty state',
  );
  await expect(page.getByTestId('model')).toContainText('30 % pruned + SPLoRA r8');
  await expect(page.getByTestId('flops-step')).toHaveText('36.7 MFLOPs');
  await expect(page.getByTestId('model-params')).toHaveText('2\u202f589\u202f723');
  await expect(page.getByTestId('variant-pruned')).toContainText('30 % of inner channels');
  await expect(page.getByTestId('variant-recovery')).toHaveText(
    'SPLoRA, rank 8: 54\u202f155 learned weights, fused',
  );
  await expect(page.getByTestId('variant-agreement')).toHaveText(
    /^top-1 8\d\.\d %, mean KL 0\.\d{3} \(211 held-out frames\)$/,
  );
  // The camera kept running: the variant recognises the same action from its own empty state.
  await expect(page.getByTestId('status')).toHaveText('running');
  await expectKeepsUpdating(page.getByTestId('top5'));
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  await shot(page, 'dashboard-variant');

  // Half the inner channels: 28.0 M multiply-adds per step.
  await variant.selectOption('p50-ft');
  await expect(page.getByTestId('notice')).toContainText(
    'Switched to MoViNet-A0-Stream, 50 % pruned + fine-tuned: a new model starts with an empty state',
  );
  await expect(page.getByTestId('flops-step')).toHaveText('28 MFLOPs');
  await expect(page.getByTestId('variant-recovery')).toHaveText(
    'fine-tuned: 225\u202f528 learned weights',
  );
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');

  // And back to the dense model.
  await variant.selectOption('dense');
  await expect(page.getByTestId('notice')).toContainText('Switched to MoViNet-A0-Stream:');
  await expect(page.getByTestId('flops-step')).toHaveText('49.7 MFLOPs');
  await expect(page.getByTestId('variant-pruned')).toHaveCount(0);
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  expect(errors).toEqual([]);
});

test('errors are explained and the page keeps working', async ({ page }) => {
  const errors = trackErrors(page);
  await openReady(page);
  const error = page.getByTestId('error');

  await page.getByTestId('file-input').setInputFiles(BROKEN_VIDEO);
  await expect(error).toHaveText(
    /^This video's format or codec \("broken\.mp4"\) cannot be decoded by this browser; convert it to MP4 \(H\.264\) or WebM\.$/,
  );
  await expect(page.getByTestId('status')).toHaveText('ready');
  await shot(page, 'dashboard-error-file');

  await page.getByTestId('file-input').setInputFiles(HEVC_VIDEO);
  await expect(error).toContainText('arm_wrestling_hevc.mp4');
  await expect(error).toContainText('convert it to MP4 (H.264) or WebM');

  // The camera goes away while streaming (unplugged): the track ends.
  await page.getByTestId('tab-camera').click();
  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  await page.getByTestId('video').evaluate((v: HTMLVideoElement) => {
    const track = (v.srcObject as MediaStream).getVideoTracks()[0];
    track?.stop();
    track?.dispatchEvent(new Event('ended'));
  });
  await expect(error).toHaveText(/^The camera was disconnected or stopped by the system\./);
  await expect(page.getByTestId('status')).toHaveText('ready', { timeout: 10_000 });

  // And a good file still works afterwards.
  await page.getByTestId('file-input').setInputFiles(SOURCE_VIDEO);
  await expect(error).toHaveCount(0);
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  expect(errors).toEqual([]);
});

test('camera permission denied is explained', async ({ page }) => {
  await page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await openReady(page);
  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('error')).toHaveText(/^Camera access was denied\./);
  await expect(page.getByTestId('status')).toHaveText('ready');
  await expect(page.getByTestId('webcam-start')).toBeVisible();
  await shot(page, 'dashboard-error-permission');
});
