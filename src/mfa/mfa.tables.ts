// Tables owned by src/mfa (migrations/202611251400_create_mfa.ts). Secrets: the TOTP seed is a
// compact JWE (src/crypto/aead.ts); recovery codes and pending-login tokens are SHA-256 hashes.
import type { Generated } from 'kysely'
import type { Timestamp } from '../db/schema.js'

export interface TotpFactorsTable {
  account_id: string
  secret_ciphertext: string
  /** null while the enrolment waits for its first code. */
  confirmed_at: Date | null
  /** The highest RFC 6238 time step accepted so far; codes at or below it are refused. */
  last_used_step: number | null
  created_at: Timestamp
  /** The session that started a pending enrolment; only it may confirm it. */
  pending_session_id: string | null
}

export interface RecoveryCodesTable {
  id: Generated<string>
  account_id: string
  code_hash: Buffer
  used_at: Date | null
  created_at: Timestamp
}

export interface MfaChallengesTable {
  id: Generated<string>
  account_id: string
  token_hash: Buffer
  created_at: Timestamp
  expires_at: Date
  failures: Generated<number>
}

export interface MfaTables {
  totp_factors: TotpFactorsTable
  recovery_codes: RecoveryCodesTable
  mfa_challenges: MfaChallengesTable
}
