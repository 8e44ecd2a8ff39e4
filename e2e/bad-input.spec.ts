import { existsSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { ODD_MEDIA, SOURCE_VIDEO } from './media';

// Every file a person might drop that is not an ordinary clip: each gets a clear, specific
// message or simply works, the page keeps working, and the next good file is recognised.

test.skip(!existsSync(SOURCE_VIDEO), `needs the clip ${SOURCE_VIDEO} (or E2E_VIDEO)`);

async function openReady(page: Page): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('ready');
  return errors;
}

async function open(page: Page, path: string): Promise<void> {
  await page.getByTestId('file-input').setInputFiles(path);
}

/** A good file afterwards still works: the page recovered. */
async function expectRecovers(page: Page): Promise<void> {
  await open(page, SOURCE_VIDEO);
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  await expect(page.getByTestId('status')).toHaveText('running');
}

test('files that are no video: empty, random bytes, audio only', async ({ page }) => {
  const errors = await openReady(page);
  const error = page.getByTestId('error');

  await open(page, ODD_MEDIA.empty);
  await expect(error).toHaveText(
    'The file "empty.mp4" is empty (0 bytes): there is nothing to play.',
  );
  await expect(page.getByTestId('status')).toHaveText('ready');

  await open(page, ODD_MEDIA.random);
  await expect(error).toHaveText(
    'This video\'s format or codec ("random.mp4") cannot be decoded by this browser; convert it to MP4 (H.264) or WebM.',
  );

  await open(page, ODD_MEDIA.audioOnly);
  await expect(error).toHaveText(
    'The file "audio-only.mp4" has no video track the browser can show.',
  );
  await expectRecovers(page);
  expect(errors).toEqual([]);
});

test('a truncated MP4 plays what it has, then says the file may be damaged', async ({ page }) => {
  const errors = await openReady(page);
  await open(page, ODD_MEDIA.truncated);
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  await expect(page.getByTestId('error')).toContainText('truncated.mp4', { timeout: 30_000 });
  await expect(page.getByTestId('error')).toContainText(
    /stopped decoding partway: the file may be damaged/,
  );
  await expect(page.getByTestId('status')).toHaveText('ready', { timeout: 10_000 });
  await expectRecovers(page);
  expect(errors).toEqual([]);
});

test('clips shorter than the window: one frame, 0.4 s', async ({ page }) => {
  const errors = await openReady(page);
  await page.getByTestId('mode').selectOption('both');
  await open(page, ODD_MEDIA.singleFrame);
  await expect(page.getByTestId('notice')).toContainText(
    /"single-frame\.mp4" is 1 frame at 5 fps; the clip-based window needs 8/,
  );
  await open(page, ODD_MEDIA.short);
  await expect(page.getByTestId('notice')).toContainText(
    /"short\.mp4" is 2 frames at 5 fps; the clip-based window needs 8/,
  );
  // Online, MoViNet answers from the first frame, on every pass of the loop.
  await expect(page.getByTestId('top5').locator('li').first()).not.toHaveText('');
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expectRecovers(page);
  expect(errors).toEqual([]);
});

test('unusual sizes and rates are recognised: 4K, portrait, 97x61, variable frame rate', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const errors = await openReady(page);
  for (const [path, size] of [
    [ODD_MEDIA.uhd, '3840 × 2160'],
    [ODD_MEDIA.portrait, '720 × 1280'],
    [ODD_MEDIA.odd, '97 × 61'],
    [ODD_MEDIA.vfr, 'vfr.mp4'],
  ] as const) {
    await open(page, path);
    await expect(page.getByTestId('file-name')).toContainText(size);
    await expect(page.getByTestId('status')).toHaveText('running');
    await expect(page.getByTestId('error')).toHaveCount(0);
    // The portrait clip is the landscape one stretched; the others keep its look.
    if (path !== ODD_MEDIA.portrait) {
      await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
    }
  }
  expect(errors).toEqual([]);
});

test('a 1 GiB file plays without being read into memory', async ({ page }) => {
  const errors = await openReady(page);
  const heapBefore = await page.evaluate(
    () => (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize,
  );
  await open(page, ODD_MEDIA.huge);
  await expect(page.getByTestId('file-name')).toContainText('huge-1GiB.mp4');
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  const heapAfter = await page.evaluate(
    () => (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize,
  );
  // The page streams the file through an object URL; the JS heap grows by far less than 1 GiB.
  expect(heapAfter - heapBefore).toBeLessThan(100 * 2 ** 20);
  expect(errors).toEqual([]);
});

test('camera: a hidden tab pauses predictions; coming back resets the state and says so', async ({
  page,
}) => {
  const errors = await openReady(page);
  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  await expect(page.getByTestId('status')).toHaveText('running');

  // Headless chromium never hides its tab, so the page is told it is hidden, as a browser would.
  const setHidden = (hidden: boolean) =>
    page.evaluate((h) => {
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => (h ? 'hidden' : 'visible'),
      });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  await setHidden(true);
  await expect(page.getByTestId('status')).toHaveText('ready', { timeout: 10_000 });
  const painted = Number(await page.getByTestId('top5').getAttribute('data-updated'));
  await page.waitForTimeout(1500);
  // Nothing was predicted while hidden.
  expect(Number(await page.getByTestId('top5').getAttribute('data-updated'))).toBe(painted);

  await setHidden(false);
  const notice = page.getByTestId('notice');
  await expect(notice).toHaveAttribute('data-reason', 'hidden');
  await expect(notice).toContainText(/^The tab was hidden for \d+\.\d s: predictions paused/);
  await expect(page.getByTestId('status')).toHaveText('running');
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  expect(errors).toEqual([]);
});

test('no camera at all: said plainly, and a file still works', async ({ page }) => {
  await page.addInitScript(() => {
    // A machine without any camera: nothing to enumerate, and getUserMedia finds no device.
    navigator.mediaDevices.enumerateDevices = () => Promise.resolve([]);
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));
  });
  const errors = await openReady(page);
  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('error')).toHaveText(
    'No camera was found. Connect a camera and start again, or drop a video file instead.',
  );
  await expect(page.getByTestId('status')).toHaveText('ready');
  await expectRecovers(page);
  expect(errors).toEqual([]);
});
