// `npm run reencrypt`: after a new key was put first in DATA_KEYS (the old one kept after it),
// re-seals every stored TOTP secret under the new key. Prints counts only, never a secret.
// Afterwards the old key may be removed from DATA_KEYS. Safe to run again and while serving.
import { loadConfig } from '../src/config/config.js'
import { ConfigError } from '../src/config/config-error.js'
import { openCliDatabase } from '../src/db/embedded.js'
import { reencryptTotpSecrets } from '../src/mfa/reencrypt.js'

async function main(): Promise<number> {
  const config = await loadConfig()
  const { db, close } = await openCliDatabase(config.db.url, 2)
  try {
    const r = await reencryptTotpSecrets(db, config.keys.data)
    process.stdout.write(
      `totp_factors: scanned ${r.scanned}, re-sealed ${r.resealed} under key "${config.keys.data.activeId}", ` +
        `already current ${r.current}, changed meanwhile ${r.skipped}, failed ${r.failed}\n`,
    )
    // A row no key opens needs a person: the key it names is missing from DATA_KEYS, or the row was altered.
    return r.failed > 0 ? 2 : 0
  } finally {
    await close()
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof ConfigError ? 'configuration error' : 're-encryption failed'}: ${err instanceof Error ? err.message : 'unknown'}\n`)
    process.exit(1)
  },
)
