// The test suite's only window onto the environment (lint forbids process.env elsewhere).
export function testDatabaseUrlFromEnv(): string | undefined {
  const url = process.env['DATABASE_URL']
  return url === undefined || url === '' ? undefined : url
}

/** Redis for the tests that prove shared counters; CI sets REDIS_URL_TEST (.ci/run). */
export function testRedisUrlFromEnv(): string | undefined {
  const url = process.env['REDIS_URL_TEST']
  return url === undefined || url === '' ? undefined : url
}

/** PATH for a child process a test starts (and nothing else of the test's environment). */
export function childProcessPath(): string {
  return process.env['PATH'] ?? ''
}
