import { defineConfig } from '@playwright/test';
import { CHROMIUM_PATH, chromiumArgs } from './tools/chromium';
import { fakeCameraArgs } from './e2e/media';

/** Where `vite preview` serves the production build (see package.json "preview"). */
const baseURL = 'http://127.0.0.1:4173/';

/** The same flags without WebGPU, to check the fallback path a browser without it takes. */
const argsWithoutWebGpu = [
  ...chromiumArgs.filter((a) => a !== '--enable-unsafe-webgpu'),
  '--disable-features=WebGPU',
];

/** End-to-end tests against the built app, in Debian's chromium (never a downloaded browser). */
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  // Makes the fake camera's .y4m, a WebM and broken files from the shared clip (see e2e/media.ts).
  globalSetup: './e2e/global-setup.ts',
  // One worker: the software WebGPU adapter and WASM threads compete for the same few cores.
  workers: 1,
  timeout: 120_000,
  expect: { timeout: 60_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL,
    browserName: 'chromium',
    headless: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [...chromiumArgs],
    },
  },
  projects: [
    {
      name: 'chromium',
      testIgnore: /no-webgpu\.spec\.ts/,
      use: {
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          // A fake camera that films the arm-wrestling clip, permission granted.
          args: [...chromiumArgs, ...fakeCameraArgs],
        },
      },
    },
    {
      name: 'chromium-no-webgpu',
      testMatch: /no-webgpu\.spec\.ts/,
      use: {
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          args: argsWithoutWebGpu,
        },
      },
    },
  ],
  webServer: {
    command: 'npm run build && npm run preview',
    url: baseURL,
    reuseExistingServer: !process.env.CI,
    timeout: 180_000,
    stdout: 'pipe',
  },
});
