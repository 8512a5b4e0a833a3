import { defineConfig } from 'vitest/config';

// Unit tests are pure and fast; integration tests use real SQLCipher files, the real OS keychain
// and real HTTP, so they run one file at a time to keep the keychain and the two cores calm.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
