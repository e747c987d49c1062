// The database schema as Kysely sees it, kept in step with migrations/ by hand (the MFA and API
// token features keep their tables in their own folders). Secrets are bytea hashes or ciphertext.
import type { ColumnType, Generated } from 'kysely'
import type { ApiTokenTables } from '../api-tokens/api-tokens.tables.js'
import type { MfaTables } from '../mfa/mfa.tables.js'
import type { PasskeyTables } from '../passkeys/passkeys.tables.js'
import type { OrgTables } from '../orgs/orgs.tables.js'
import type { ProjectTables } from '../projects/projects.tables.js'

/** A timestamptz column: read as Date, written as Date. */
export type Timestamp = ColumnType<Date, Date | undefined, Date>

export interface SecurityEventsTable {
  id: Generated<number>
  account_id: string | null
  type: string
  occurred_at: Timestamp
  ip: string | null
  user_agent: string | null
  details: ColumnType<Record<string, unknown>, string | undefined, string>
  /** SHA-256 chain (src/audit/audit-chain.ts): hash of this row's content and prev_hash. */
  prev_hash: Buffer | null
  hash: Buffer | null
  /** The organization the event belongs to (src/orgs); null for account-level events. */
  org_id: ColumnType<string | null, string | null | undefined, never>
  /** Hash of the organization's previous event: lets an organization's export be verified alone. */
  org_prev_hash: ColumnType<Buffer | null, Buffer | null | undefined, never>
  /** Which of the audit chains this row links into (docs/decisions/0069); 0 for rows before them. */
  chain: Generated<number>
}

export interface AccountsTable {
  id: Generated<string>
  email: string
  email_verified_at: Date | null
  password_hash: string
  password_changed_at: Timestamp
  /** Set on evidence of compromise; the next login must go through a password reset. */
  password_change_required_at: Date | null
  created_at: Timestamp
  /** Moves forward with every password change, reset and compromise flag (docs/decisions/0043). */
  credentials_version: ColumnType<number, number | undefined, number>
}

export interface SessionsTable {
  id: Generated<string>
  account_id: string
  token_hash: Buffer
  created_at: Date
  last_seen_at: Date
  absolute_expires_at: Date
  ip: string | null
  user_agent: string | null
}

export interface OneTimeTokensTable {
  id: Generated<string>
  account_id: string
  purpose: 'verify_email' | 'password_reset' | 'email_change'
  /** The new address an `email_change` token moves the account to; null for other purposes. */
  bound_email: ColumnType<string | null, string | null | undefined, string | null>
  token_hash: Buffer
  created_at: Date
  expires_at: Date
  used_at: Date | null
}

export interface EmailOutboxTable {
  id: Generated<string>
  to_address: string
  subject: string
  body_text: string | null
  created_at: Timestamp
  sent_at: Date | null
  attempts: Generated<number>
  next_attempt_at: Timestamp
  last_error: string | null
}

export interface AuthThrottleTable {
  key: string
  window_started_at: Date
  attempts: number
}

/** Consecutive failures per account and factor; only a success or a password reset clears one. */
export interface AuthFailureStreaksTable {
  key: string
  failures: number
  last_failed_at: Date
}

export interface KnownDevicesTable {
  account_id: string
  fingerprint: Buffer
  first_seen_at: Date
}

export interface DB extends MfaTables, ApiTokenTables, PasskeyTables, OrgTables, ProjectTables {
  security_events: SecurityEventsTable
  accounts: AccountsTable
  sessions: SessionsTable
  one_time_tokens: OneTimeTokensTable
  email_outbox: EmailOutboxTable
  auth_throttle: AuthThrottleTable
  auth_failure_streaks: AuthFailureStreaksTable
  known_devices: KnownDevicesTable
}
