import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'migrations/**/*.test.ts'],
    // Starts the embedded PostgreSQL when DATABASE_URL is unset; checks the server answers.
    globalSetup: ['src/testing/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each test file gets its own schema (src/testing/test-db.ts), so files run in parallel.
    fileParallelism: true,
    restoreMocks: true,
  },
})
