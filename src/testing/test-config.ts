// A Config for tests: fixed keys (never used outside tests), the cheapest argon2 parameters the
// config accepts, and any overrides given as environment variables.
import { type Config, loadConfig } from '../config/config.js'

export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  DATA_KEYS: `test1:${Buffer.alloc(32, 1).toString('base64url')}`,
  TOKEN_HMAC_KEYS: `test1:${Buffer.alloc(32, 2).toString('base64url')}`,
  LOG_LEVEL: 'silent',
  PUBLIC_ORIGIN: 'http://localhost:3000',
  // The cheapest parameters the config accepts (OWASP's floor), to keep the suite fast.
  ARGON2_MEMORY_KIB: '19456',
  ARGON2_ITERATIONS: '2',
  PASSWORD_HASH_CONCURRENCY: '4',
  // Load shedding answers 503 when the event loop lags; a busy CI machine must not fail unrelated
  // tests with it. src/http/load-shedding.int.test.ts turns it on with its own threshold.
  LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
}

export async function testConfig(overrides: Record<string, string> = {}): Promise<Config> {
  return loadConfig({ ...TEST_ENV, ...overrides })
}

/** Lifts the per-client request limits, for files that send many requests from one test address
 * so that only the account rules under test apply. */
export const NO_REQUEST_LIMITS: Record<string, string> = { UNAUTHENTICATED_RATE_LIMIT_MAX: '100000', RATE_LIMIT_MAX: '100000' }
