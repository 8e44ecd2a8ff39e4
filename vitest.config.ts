import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { CHROMIUM_PATH, chromiumArgs } from './tools/chromium';
import { extractClipFrames } from './tools/vitest/commands';

const chromium = () =>
  playwright({
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [...chromiumArgs],
    },
    contextOptions: {},
  });

// Tests that need Node (fs, child processes) are named *.node.test.ts and run only on cpu in Node.
// Every other *.test.ts runs three times: cpu in Node, wasm and webgpu in headless chromium.
const shared = ['src/**/*.test.ts', 'tools/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: [...shared, 'src/**/*.node.test.ts', 'tools/**/*.node.test.ts'],
          setupFiles: ['tools/vitest/setup-cpu.ts'],
          testTimeout: 120_000,
        },
      },
      ...(['wasm', 'webgpu'] as const).map((backend) => ({
        // Every dependency a browser test imports, so Vite never re-optimizes (and reloads) mid-run.
        optimizeDeps: {
          include: [
            '@tensorflow/tfjs-core',
            '@tensorflow/tfjs-backend-cpu',
            '@tensorflow/tfjs-backend-wasm',
            '@tensorflow/tfjs-backend-webgl',
            '@tensorflow/tfjs-backend-webgpu',
            'zustand',
            'zustand/vanilla',
            'flatbuffers',
          ],
        },
        server: {
          headers: {
            'Cross-Origin-Opener-Policy': 'same-origin',
            'Cross-Origin-Embedder-Policy': 'require-corp',
          },
        },
        test: {
          name: backend,
          include: shared,
          exclude: ['**/*.node.test.ts', '**/node_modules/**'],
          setupFiles: [`tools/vitest/setup-${backend}.ts`],
          testTimeout: 300_000,
          browser: {
            enabled: true,
            headless: true,
            provider: chromium(),
            instances: [{ browser: 'chromium' as const }],
            screenshotFailures: false,
            commands: { extractClipFrames },
          },
        },
      })),
    ],
  },
});
