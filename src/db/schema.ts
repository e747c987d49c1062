// The database schema as Kysely sees it: the one definition of every table (docs/decisions/0085).
// Repos derive their row types from it (Selectable<DB['table']>, Pick); src/db/schema.int.test.ts
// migrates a fresh schema and fails when a table, a column or its nullability differs from here.
// Secrets are bytea hashes or ciphertext.
import type { ColumnType, Generated } from 'kysely'

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
  /** The sign-in used two factors (TOTP after the password, or a passkey with UV), or this session turned TOTP on. */
  multi_factor: Generated<boolean>
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

// Tables owned by src/mfa (migrations/202611251400_create_mfa.ts). Secrets: the TOTP seed is a
// compact JWE (src/crypto/aead.ts); recovery codes and pending-login tokens are SHA-256 hashes.
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

// Tables owned by src/api-tokens (migrations/202611251410_create_api_tokens.ts).
export interface ApiTokensTable {
  id: Generated<string>
  account_id: string
  name: string
  /** HMAC-SHA-256 of the whole token under the key `key_id`; the token itself is never stored. */
  token_hash: Buffer
  key_id: string
  scopes: string[]
  created_at: ColumnType<Date, Date | undefined, Date>
  expires_at: Date
  last_used_at: Date | null
  revoked_at: Date | null
  /** The one organization the token may reach (src/orgs); null: none. */
  org_id: ColumnType<string | null, string | null | undefined, string | null>
  /** Made by a multi-factor session (sessions.multi_factor): what an organization requiring MFA asks of a token. */
  multi_factor: Generated<boolean>
}

// Tables owned by src/orgs (migrations/202612011200_create_organizations.ts): the tenancy directory.
export interface OrganizationsTable {
  id: Generated<string>
  name: string
  mfa_required: Generated<boolean>
  created_at: ColumnType<Date, Date | undefined, Date>
}

export interface MembershipsTable {
  org_id: string
  account_id: string
  /** A role of src/orgs/roles.ts. */
  role: string
  created_at: ColumnType<Date, Date | undefined, Date>
}

export interface InvitationsTable {
  id: Generated<string>
  org_id: string
  email: string
  role: string
  /** SHA-256 of the mailed token; the token itself is never stored. */
  token_hash: Buffer
  invited_by: string | null
  created_at: Date
  expires_at: Date
  accepted_at: Date | null
  revoked_at: Date | null
}

// Tables owned by src/projects (migrations/202612011210_create_projects.ts). Tenant-owned: org_id
// plus a Row Level Security policy; only read or written inside withTenant() (src/db/tenant.ts).
export interface ProjectsTable {
  id: Generated<string>
  org_id: string
  name: string
  created_at: Date
  updated_at: Date
}

// Tables owned by src/passkeys (migrations/202612011300_create_passkeys.ts). No secret is stored:
// a passkey row holds a public key; a pending ceremony holds SHA-256 hashes of its challenge and
// of its pending-sign-in cookie.
export interface PasskeysTable {
  id: Generated<string>
  account_id: string
  /** base64url credential id; unique across accounts. */
  credential_id: string
  /** COSE_Key of the credential. */
  public_key: Buffer
  sign_count: Generated<number>
  transports: Generated<string[]>
  backup_eligible: boolean
  backed_up: boolean
  /** The WebAuthn user.id given at registration (random, base64url). */
  user_handle: string
  name: string
  created_at: Timestamp
  last_used_at: Date | null
}

export interface PasskeyChallengesTable {
  id: Generated<string>
  purpose: 'registration' | 'authentication'
  challenge_hash: Buffer
  session_id: string | null
  account_id: string | null
  pending_token_hash: Buffer | null
  user_handle: string | null
  created_at: Timestamp
  expires_at: Date
}

export interface DB {
  security_events: SecurityEventsTable
  accounts: AccountsTable
  sessions: SessionsTable
  one_time_tokens: OneTimeTokensTable
  email_outbox: EmailOutboxTable
  auth_throttle: AuthThrottleTable
  auth_failure_streaks: AuthFailureStreaksTable
  known_devices: KnownDevicesTable
  totp_factors: TotpFactorsTable
  recovery_codes: RecoveryCodesTable
  mfa_challenges: MfaChallengesTable
  api_tokens: ApiTokensTable
  organizations: OrganizationsTable
  memberships: MembershipsTable
  invitations: InvitationsTable
  projects: ProjectsTable
  passkeys: PasskeysTable
  passkey_challenges: PasskeyChallengesTable
}
