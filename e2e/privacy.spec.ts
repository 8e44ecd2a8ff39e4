import { existsSync } from 'node:fs';
import { expect, test, type Page, type Request } from '@playwright/test';
import { SOURCE_VIDEO } from './media';

// Privacy and security of the built app: a strict Content-Security-Policy, and not one request
// leaves the page's origin while it films the camera and recognises an uploaded file.

test.skip(!existsSync(SOURCE_VIDEO), `needs the clip ${SOURCE_VIDEO} (or E2E_VIDEO)`);

/** Every request the page and its workers make, and every CSP complaint in any console. */
function record(page: Page): { requests: Request[]; violations: string[] } {
  const requests: Request[] = [];
  const violations: string[] = [];
  page.on('request', (r) => requests.push(r));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => {
    if (/Content Security Policy/i.test(e.message)) violations.push(e.message);
  });
  return { requests, violations };
}

test('the page sends a strict Content-Security-Policy and obeys it while it works', async ({
  page,
}) => {
  const { violations } = record(page);
  const response = await page.goto('/?backend=wasm');
  const header = (await response?.headerValue('content-security-policy')) ?? '';
  expect(header).toContain("default-src 'self'");
  expect(header).toContain("script-src 'self' 'wasm-unsafe-eval' blob:");
  expect(header).toContain("connect-src 'self' blob: data:");
  expect(header).toContain("frame-ancestors 'none'");
  expect(header).not.toMatch(/'unsafe-inline'|'unsafe-eval'|https?:|\*/);
  // The same policy (less frame-ancestors, which a meta tag cannot set) is in the built page.
  const meta = await page
    .locator('meta[http-equiv="Content-Security-Policy"]')
    .getAttribute('content');
  expect(header.startsWith(meta ?? '-')).toBe(true);

  // Under the policy: a script from elsewhere is refused (what an injected tag would try).
  const blocked = await page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), {
          once: true,
        });
        const script = document.createElement('script');
        script.src = 'https://example.invalid/x.js';
        document.head.append(script);
      }),
  );
  expect(blocked).toMatch(/^script-src/);
  violations.length = 0; // that one was ours

  await expect(page.getByTestId('status')).toHaveText('ready');
  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('status')).toHaveText('running');
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  expect(violations).toEqual([]);
});

test('no request leaves the origin during a webcam session and an upload', async ({ page }) => {
  const { requests, violations } = record(page);
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('ready');
  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');
  await page.getByTestId('webcam-stop').click();
  await page.getByTestId('file-input').setInputFiles(SOURCE_VIDEO);
  await expect(page.getByTestId('file-name')).toContainText('arm_wrestling.mp4');
  await expect(page.getByTestId('status')).toHaveText('running');
  await expect(page.getByTestId('top1-label')).toHaveText('arm wrestling');

  const origin = new URL(page.url()).origin;
  const elsewhere = requests
    .map((r) => r.url())
    .filter((u) => !u.startsWith(`${origin}/`) && !/^(blob|data):/.test(u));
  expect(elsewhere).toEqual([]);
  // Frames and predictions stay in the page: nothing is sent, only fetched (GET), and what is
  // fetched is the app, its weights and its WASM binaries.
  expect(requests.filter((r) => r.method() !== 'GET').map((r) => r.url())).toEqual([]);
  const paths = requests
    .map((r) => r.url())
    .filter((u) => u.startsWith(origin))
    .map((u) => new URL(u).pathname);
  expect(paths.some((p) => p.startsWith('/weights/movinet-a0-stream/'))).toBe(true);
  expect(
    paths.filter((p) => !/^\/(|index\.html|assets\/.+|weights\/.+|favicon\.ico)$/.test(p)),
  ).toEqual([]);
  expect(violations).toEqual([]);
});
