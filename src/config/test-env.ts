// The test suite's only window onto the environment (lint forbids process.env elsewhere).
export function testDatabaseUrlFromEnv(): string | undefined {
  const url = process.env['DATABASE_URL']
  return url === undefined || url === '' ? undefined : url
}
