// Who is calling: the one shape every route sees, whether the caller came with the session cookie
// or with an API token. Resolved once per request in principal.plugin.ts.
export type Principal =
  | {
      readonly kind: 'session'
      readonly accountId: string
      readonly sessionId: string
      /** MFA_REQUIRED is on and the account has no second factor yet: only enrolment is open. */
      readonly mfaEnrolmentRequired?: boolean
    }
  | {
      readonly kind: 'token'
      readonly accountId: string
      readonly tokenId: string
      readonly scopes: readonly string[]
      /** The one organization the token may reach (src/orgs); absent or null: none. */
      readonly orgId?: string | null
    }

declare module 'fastify' {
  interface FastifyRequest {
    /** null until the principal plugin resolved a credential; use requireAuth() in routes. */
    principal: Principal | null
  }
}
