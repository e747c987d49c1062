import { defineConfig } from 'vitest/config'

// Three projects, each runnable alone (`npm run test:unit`, `test:integration`, `test:repo`);
// `npm test` runs them all at once.
// - unit: pure functions, no I/O, no database (`*.test.ts` beside the code);
// - integration: PostgreSQL (and Redis where named) through the app (`*.int.test.ts`);
// - repo: checks of the repository itself: docs, infra, workflows, lint rules, the backup drill.
const databaseSetup = ['src/testing/global-setup.ts']
// Files that replace a module with vi.mock need a module registry of their own; every other file
// shares its worker's (isolate: false), which halves the suite: importing the app graph anew for
// each file cost more CPU than the tests themselves. Files must not leave global state behind.
const needsIsolation = ['src/mfa/totp-enrolment.int.test.ts']

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each integration test file gets its own database (src/testing/test-db.ts), so files run in parallel.
    fileParallelism: true,
    // Integration files spend most of their time waiting on PostgreSQL: four workers on a 2-core
    // machine took the auth and orgs folders from 98 s to 58 s (six were no faster).
    maxWorkers: 4,
    restoreMocks: true,
    // expect.poll waits for a page to show what a request answered (the browser tests): one second
    // is too short when an argon2 hash shares a busy CI machine; a poll ends as soon as it passes.
    expect: { poll: { timeout: 15_000 } },
    isolate: false,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts', 'migrations/**/*.test.ts'], exclude: ['**/*.int.test.ts', '**/node_modules/**'] },
      },
      {
        extends: true,
        // Starts the embedded PostgreSQL when DATABASE_URL is unset; checks the server answers.
        test: {
          name: 'integration',
          include: ['src/**/*.int.test.ts', 'migrations/**/*.int.test.ts'],
          exclude: [...needsIsolation, '**/node_modules/**'],
          globalSetup: databaseSetup,
        },
      },
      {
        extends: true,
        test: { name: 'integration-isolated', include: needsIsolation, isolate: true, globalSetup: databaseSetup },
      },
      {
        extends: true,
        test: { name: 'repo', include: ['test/**/*.test.ts'], globalSetup: databaseSetup },
      },
    ],
  },
})
