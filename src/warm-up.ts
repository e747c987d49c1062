// Work done once before the server listens, so the first real request does not pay for lazy
// loading: argon2's native module and its first 64 MiB allocation, zxcvbn's worker and dictionaries, the
// login's dummy hash, the WebAuthn library (imported on first use, src/passkeys/webauthn.ts) and a
// first database connection. /readyz cannot say ready before this finished, because nothing
// listens until it has (src/server.ts).
import { sql } from 'kysely'
import { checkPasswordOffLoop } from './accounts/password-policy.js'
import { randomToken } from './crypto/random.js'
import type { Deps } from './deps.js'
import { loadWebAuthn } from './passkeys/webauthn.js'

export async function warmUp(deps: Deps): Promise<{ ms: number }> {
  const started = performance.now()
  // Started first: its import runs on this thread while the hashing below runs on argon2's.
  const webauthn = loadWebAuthn()
  // Handled here too, so a failing import is not an unhandled rejection when a step below fails
  // first; the await at the end still throws it.
  webauthn.catch(() => undefined)
  const sample = randomToken(24)
  await checkPasswordOffLoop(sample, 'warm-up@example.invalid', deps.config.passwords)
  const hash = await deps.hasher.hash(sample)
  await deps.hasher.verify(hash, sample)
  await deps.hasher.dummyHash()
  await sql`select 1`.execute(deps.db)
  await webauthn
  return { ms: Math.round(performance.now() - started) }
}
