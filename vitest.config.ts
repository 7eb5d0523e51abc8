import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no server and starts none (npm run test:unit); `integration` (contract, sandbox, CLI,
// package, docs) gets real Prism mock servers from the global setup. `npm test` runs both.
const shared = { testTimeout: 30_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          ...shared,
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**'],
          globalSetup: ['test/helpers/prism-global-setup.ts'],
        },
      },
    ],
  },
});
