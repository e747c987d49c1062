// Who is calling: the one shape every route sees, whether the caller came with the session cookie
// or with an API token. Resolved once per request in principal.plugin.ts, in one database round
// trip that also reads the account's state (docs/decisions/0065).

/** The caller's account as read with the credential, in the same statement (never cached). */
export interface PrincipalAccount {
  readonly email: string
  readonly emailVerified: boolean
  readonly createdAt: Date
  /** A confirmed TOTP factor exists. */
  readonly mfaEnabled: boolean
  /** TOTP or a passkey: what MFA_REQUIRED and an organization's mfaRequired ask for. */
  readonly hasSecondFactor: boolean
}

/**
 * The account's state as both credential statements return it beside the session or token
 * (src/sessions/sessions.repo.ts, src/api-tokens/api-tokens.repo.ts): flags and numbers, which pg
 * converts for less than timestamps.
 */
export interface AccountStateRow {
  readonly email: string
  /** email_verified_at is set. */
  readonly email_verified: boolean
  /** created_at in milliseconds since the epoch. */
  readonly created_at_ms: number
  /** A confirmed TOTP factor exists. */
  readonly mfa_enabled: boolean
  /** A passkey exists. */
  readonly has_passkey: boolean
}

/** The PrincipalAccount those columns describe. */
export function accountFromRow(row: AccountStateRow): PrincipalAccount {
  return {
    email: row.email,
    emailVerified: row.email_verified,
    createdAt: new Date(row.created_at_ms),
    mfaEnabled: row.mfa_enabled,
    hasSecondFactor: row.mfa_enabled || row.has_passkey,
  }
}

export type Principal =
  | {
      readonly kind: 'session'
      readonly accountId: string
      readonly sessionId: string
      /** The sign-in used two factors, or this session turned TOTP on (decision 0101). */
      readonly multiFactor: boolean
      /** MFA_REQUIRED is on and the account has no second factor yet: only enrolment is open. */
      readonly mfaEnrolmentRequired?: boolean
      readonly account?: PrincipalAccount
    }
  | {
      readonly kind: 'token'
      readonly accountId: string
      readonly tokenId: string
      readonly scopes: readonly string[]
      /** The one organization the token may reach (src/orgs); absent or null: none. */
      readonly orgId?: string | null
      /** When the token was made: it may end only sessions older than itself (decision 0042). */
      readonly createdAt?: Date
      /** The session that made the token was a multi-factor sign-in (decision 0101). */
      readonly multiFactor: boolean
      readonly account?: PrincipalAccount
    }

declare module 'fastify' {
  interface FastifyRequest {
    /** null until the principal plugin resolved a credential; use requireAuth() in routes. */
    principal: Principal | null
  }
}
