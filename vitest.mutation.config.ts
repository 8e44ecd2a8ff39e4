import { defineConfig } from 'vitest/config';

/** Mutation testing (npm run mutation): the src/continual unit tests on cpu in Node. */
export default defineConfig({
  test: {
    name: 'mutation',
    environment: 'node',
    include: ['src/continual/**/*.test.ts'],
    setupFiles: ['tools/vitest/setup-cpu.ts'],
    testTimeout: 120_000,
  },
});
