// Key rotation for sealed TOTP secrets: re-seals, under the ring's active key, every secret still
// sealed under an older key, so the old key can then leave DATA_KEYS. Rows are walked in pages;
// each swap is a compare-and-set on the old ciphertext, so a concurrent re-enrolment wins and the
// command is safe to run while the service is up, and to run again. No secret is ever printed.
import { needsReseal, open, seal, UnsealError } from '../crypto/aead.js'
import type { KeyRing } from '../crypto/keyring.js'
import type { Db } from '../db/db.js'
import * as repo from './mfa.repo.js'
import { totpContext } from './mfa.service.js'

export interface ReencryptReport {
  /** Rows looked at. */
  scanned: number
  /** Rows re-sealed under the active key. */
  resealed: number
  /** Rows already under the active key. */
  current: number
  /** Rows changed by someone else meanwhile (left as they are; already fresh). */
  skipped: number
  /** Rows that could not be opened with any key of the ring (unknown key id, tampered). */
  failed: number
}

const PAGE_SIZE = 200

export async function reencryptTotpSecrets(db: Db, ring: KeyRing, pageSize = PAGE_SIZE): Promise<ReencryptReport> {
  const report: ReencryptReport = { scanned: 0, resealed: 0, current: 0, skipped: 0, failed: 0 }
  let after: string | null = null
  for (;;) {
    const rows = await repo.listFactorsAfter(db, after, pageSize)
    const last = rows.at(-1)
    if (last === undefined) return report
    for (const row of rows) {
      report.scanned += 1
      if (!needsReseal(ring, row.secret_ciphertext)) {
        report.current += 1
        continue
      }
      const context = totpContext(row.account_id)
      let fresh: string
      try {
        fresh = await seal(ring, await open(ring, row.secret_ciphertext, context), context)
      } catch (err) {
        if (!(err instanceof UnsealError)) throw err
        report.failed += 1
        continue
      }
      if (await repo.replaceCiphertext(db, row.account_id, row.secret_ciphertext, fresh)) report.resealed += 1
      else report.skipped += 1
    }
    after = last.account_id
  }
}
