import { beforeEach, describe, expect, it } from 'vitest'
import { parseKeyRing } from '../crypto/keyring.js'
import { sealedKeyId } from '../crypto/aead.js'
import type { Deps } from '../deps.js'
import { accountWithTotp } from '../testing/mfa.js'
import { runTs } from '../testing/run-ts.js'
import { useTestApp } from '../testing/test-app.js'
import { TEST_ENV } from '../testing/test-config.js'
import { referenceTotpForStep, stepAt } from '../testing/totp-reference.js'
import { completeMfaChallenge, startMfaChallenge } from './mfa.service.js'
import { reencryptTotpSecrets } from './reencrypt.js'

const META = { ip: '192.0.2.1', userAgent: 'vitest' }
const KEY_A = `keyA:${Buffer.alloc(32, 0x0a).toString('base64url')}`
const KEY_B = `keyB:${Buffer.alloc(32, 0x0b).toString('base64url')}`
const KEY_C = `keyC:${Buffer.alloc(32, 0x0c).toString('base64url')}`

/** The same app with another DATA_KEYS ring (what a restart with new configuration gives). */
function withDataKeys(deps: Deps, value: string): Deps {
  return { ...deps, config: { ...deps.config, keys: { ...deps.config.keys, data: parseKeyRing('DATA_KEYS', value) } } }
}

describe('re-encryption of TOTP secrets under a new key', () => {
  const t = useTestApp({ env: { DATA_KEYS: KEY_A, UNAUTHENTICATED_RATE_LIMIT_MAX: '100000' } })
  async function enrolled(deps: Deps): Promise<{ accountId: string; secret: string }> {
    const { id, secret } = await accountWithTotp({ deps, clock: t.clock })
    return { accountId: id, secret }
  }

  // The command reseals the whole table: each test starts with no factor, so it counts only its own.
  beforeEach(async () => {
    await t.deps.db.deleteFrom('totp_factors').execute()
  })

  const kidOf = async (accountId: string) =>
    sealedKeyId(
      (await t.deps.db.selectFrom('totp_factors').select('secret_ciphertext').where('account_id', '=', accountId).executeTakeFirstOrThrow()).secret_ciphertext,
    )

  async function logsInWith(deps: Deps, accountId: string, secret: string): Promise<void> {
    t.clock.advance(30)
    const { token } = await startMfaChallenge(deps, deps.db, accountId)
    await expect(completeMfaChallenge(deps, token, await referenceTotpForStep(secret, stepAt(deps.clock.now())), META)).resolves.toMatchObject({ accountId })
  }

  it('moves every secret from key A to key B; TOTP still verifies, then even without key A', async () => {
    const a = await enrolled(t.deps)
    const b = await enrolled(t.deps)
    expect(await kidOf(a.accountId)).toBe('keyA')

    const rotated = withDataKeys(t.deps, `${KEY_B},${KEY_A}`)
    // Before the command runs, the new ring already reads the old rows.
    await logsInWith(rotated, a.accountId, a.secret)

    const report = await reencryptTotpSecrets(t.deps.db, rotated.config.keys.data, 1)
    expect(report).toMatchObject({ resealed: 2, failed: 0, skipped: 0 })
    expect(await kidOf(a.accountId)).toBe('keyB')
    expect(await kidOf(b.accountId)).toBe('keyB')
    await logsInWith(rotated, a.accountId, a.secret)
    await logsInWith(withDataKeys(t.deps, KEY_B), b.accountId, b.secret)

    // A second run has nothing to do.
    expect(await reencryptTotpSecrets(t.deps.db, rotated.config.keys.data)).toMatchObject({ resealed: 0, current: report.scanned })
  })

  it('reports rows that no key of the ring opens, and leaves them untouched', async () => {
    const c = await enrolled(withDataKeys(t.deps, KEY_C))
    const report = await reencryptTotpSecrets(t.deps.db, parseKeyRing('DATA_KEYS', `${KEY_B},${KEY_A}`))
    expect(report.failed).toBe(1)
    expect(await kidOf(c.accountId)).toBe('keyC')
  })

  it('runs as `npm run reencrypt` (scripts/reencrypt-secrets.ts) and prints counts only', async () => {
    const d = await enrolled(t.deps)
    const url = new URL(t.testDb.url)
    url.searchParams.set('options', `-c search_path=${t.testDb.schema}`)
    const env = { ...TEST_ENV, DATABASE_URL: url.toString(), DATA_KEYS: `${KEY_C},${KEY_B},${KEY_A}` }
    const result = await runTs('scripts/reencrypt-secrets.ts', [], { env })
    expect(result.stdout).toMatch(/re-sealed \d+ under key "keyC"/)
    expect(result.stdout).not.toContain(d.secret)
    expect(await kidOf(d.accountId)).toBe('keyC')
    await logsInWith(withDataKeys(t.deps, KEY_C), d.accountId, d.secret)
  })
})
