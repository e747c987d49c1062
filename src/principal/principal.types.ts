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

export type Principal =
  | {
      readonly kind: 'session'
      readonly accountId: string
      readonly sessionId: string
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
      readonly account?: PrincipalAccount
    }

declare module 'fastify' {
  interface FastifyRequest {
    /** null until the principal plugin resolved a credential; use requireAuth() in routes. */
    principal: Principal | null
  }
}
