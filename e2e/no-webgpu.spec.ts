import { expect, test } from '@playwright/test';

// Runs in the "chromium-no-webgpu" project: chromium started without --enable-unsafe-webgpu.

test('without WebGPU the app falls back to WASM and says why', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('status')).toHaveText('ready');
  await expect(page.getByTestId('backend')).toHaveText('wasm');
  await expect(page.getByTestId('backend-reason')).toHaveText(
    /^WebGPU is not available in this browser \(.+\); running on WASM with SIMD and threads?\b.*\.$/,
  );
  const attempts = page.getByTestId('attempts').locator('li');
  await expect(attempts).toHaveCount(2);
  await expect(attempts.nth(0)).toHaveAttribute('data-backend', 'webgpu');
  await expect(attempts.nth(0)).toHaveAttribute('data-ok', 'false');
  await expect(attempts.nth(1)).toHaveAttribute('data-ok', 'true');
  await page.screenshot({ path: 'test-results/boot-no-webgpu.png', fullPage: true });
});
