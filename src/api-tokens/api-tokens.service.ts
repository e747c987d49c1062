// Personal access tokens (docs/decisions/0020, 0021). Owns: api_tokens. Invariants:
// - a token is 32 CSPRNG bytes; it is returned once, at creation, and stored only as an HMAC-SHA-256
//   under the active key of config.keys.tokenHmac (every key of the ring is tried on lookup);
// - a malformed token (prefix, length, charset, checksum) is refused before any database query;
// - every use checks the database (revoked_at, expires_at against deps.clock): no cache outlives a revocation;
// - creation and revocation write a security event and a notice mail in the same transaction.
import { lockAccount } from '../accounts/accounts.service.js'
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import type { KeyRing } from '../crypto/keyring.js'
import type { Db, Trx } from '../db/db.js'
import { hmacSha256 } from '../crypto/hash.js'
import type { Deps } from '../deps.js'
import { CommonErrors } from '../errors.js'
import { enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'
import { accountFromRow } from '../principal/principal.types.js'
import { isOrgScope, isScope, type Scope } from '../principal/scopes.js'
import { ApiTokenErrors } from './api-tokens.errors.js'
import * as repo from './api-tokens.repo.js'
import { generateApiToken, parseApiToken } from './token-format.js'
import type { CreatedTokenReply, TokenView } from './api-tokens.schemas.js'

/** Live (unrevoked, unexpired) tokens one account may hold: bounds the rows a stolen session can mint. */
export const MAX_LIVE_TOKENS_PER_ACCOUNT = 50
const LIST_LIMIT = 100
const TOUCH_INTERVAL_SECONDS = 60
const DAY_MS = 86_400_000

export interface CreateTokenInput {
  readonly name: string
  readonly scopes: readonly string[]
  readonly expiresInDays?: number | undefined
  /** Binds the token to this organization (the caller's membership is checked by the route). */
  readonly orgId?: string | undefined
}

export interface TokenIdentity {
  readonly accountId: string
  readonly tokenId: string
  readonly scopes: readonly Scope[]
  /** The one organization this token may reach; null: none. */
  readonly orgId: string | null
  /** When the token was made: it may end only sessions older than itself. */
  readonly createdAt: Date
  /** Made by a multi-factor sign-in (what an organization requiring MFA asks; decision 0101). */
  readonly multiFactor: boolean
  /** The owner's state, read in the same statement as the token. */
  readonly account: {
    readonly email: string
    readonly emailVerified: boolean
    readonly createdAt: Date
    readonly mfaEnabled: boolean
    readonly hasSecondFactor: boolean
  }
}

export type { TokenView }
/** A new token with its secret, returned this once. */
export type CreatedToken = CreatedTokenReply

export type TokenCheck = { readonly status: 'malformed' } | { readonly status: 'unknown' } | { readonly status: 'ok'; readonly token: TokenIdentity }

/** The HMAC of `token` under each key of the ring, the active key first. */
export function tokenHashes(ring: KeyRing, token: string): { keyId: string; hash: Buffer }[] {
  const ids = [ring.activeId, ...[...ring.keys.keys()].filter((id) => id !== ring.activeId)]
  return ids.flatMap((keyId) => {
    const key = ring.keys.get(keyId)
    return key === undefined ? [] : [{ keyId, hash: hmacSha256(key, token) }]
  })
}

function toView(row: repo.ApiTokenRow): TokenView {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    ...(row.org_id !== null ? { orgId: row.org_id } : {}),
  }
}

function checkScopes(scopes: readonly string[], orgBound: boolean): Scope[] {
  const valid = scopes.filter(isScope)
  if (valid.length === 0 || valid.length !== scopes.length || new Set(valid).size !== valid.length) throw ApiTokenErrors.invalidScope()
  // Organization scopes mean nothing without the organization they apply to.
  if (!orgBound && valid.some(isOrgScope)) throw ApiTokenErrors.invalidScope()
  return valid
}

function checkExpiryDays(deps: Pick<Deps, 'config'>, requested: number | undefined): number {
  const { defaultDays, maxDays } = deps.config.apiTokens
  const days = requested ?? defaultDays
  if (!Number.isInteger(days) || days < 1 || days > maxDays) throw ApiTokenErrors.invalidExpiry(maxDays)
  return days
}

/** Checks a membership inside the token's transaction and holds it until the transaction ends (404 when none). */
/** Holds the membership while the token is made; refuses a single-factor maker where the organization requires MFA. */
export type OrgMembershipHold = (trx: Trx, orgId: string, accountId: string, multiFactor: boolean) => Promise<void>

/**
 * Creates a token for the account and returns it with its secret, the only time the secret leaves
 * the server. Throws invalid_scope / invalid_expiry / token_limit_reached (422). A token bound to an
 * organization runs `holdMembership` in the same transaction: a removal of the member either
 * came first (404) or waits for the token and then revokes it. The token is as multi-factor as the
 * session that makes it (`maker.multiFactor`), and stays so.
 */
export async function createToken(
  deps: Deps,
  maker: { readonly accountId: string; readonly multiFactor: boolean },
  input: CreateTokenInput,
  meta: RequestMeta,
  holdMembership: OrgMembershipHold,
): Promise<CreatedToken> {
  const scopes = checkScopes(input.scopes, input.orgId !== undefined)
  const days = checkExpiryDays(deps, input.expiresInDays)
  const now = deps.clock.now()
  const expiresAt = new Date(now.getTime() + days * DAY_MS)
  const ring = deps.config.keys.tokenHmac
  const { accountId } = maker
  return deps.db.transaction().execute(async (trx) => {
    const owner = await lockAccount(trx, accountId)
    if (owner === undefined) throw CommonErrors.unauthenticated()
    if (input.orgId !== undefined) await holdMembership(trx, input.orgId, accountId, maker.multiFactor)
    if ((await repo.countLive(trx, accountId, now)) >= MAX_LIVE_TOKENS_PER_ACCOUNT) throw ApiTokenErrors.tooMany(MAX_LIVE_TOKENS_PER_ACCOUNT)
    const token = generateApiToken(deps.config.apiTokens.prefix)
    const [active] = tokenHashes(ring, token)
    if (active === undefined) throw new Error('token HMAC key ring is empty')
    const row = await repo.insertToken(trx, {
      account_id: accountId,
      name: input.name,
      token_hash: active.hash,
      key_id: active.keyId,
      scopes,
      created_at: now,
      expires_at: expiresAt,
      org_id: input.orgId ?? null,
      multi_factor: maker.multiFactor,
    })
    await recordEvent(trx, {
      type: 'token.created',
      accountId,
      meta,
      at: now,
      details: { tokenId: row.id, scopes: scopes.join(' '), expiresAt: expiresAt.toISOString(), ...(row.org_id !== null ? { orgId: row.org_id } : {}) },
    })
    const detail = `Name: "${row.name}"\nScopes: ${scopes.join(', ')}\nExpires: ${expiresAt.toISOString()}\nFrom: ${meta.ip}\n\nIf this was not you, revoke the token, change your password and end your other sessions.`
    await enqueueMail(trx, mails.notice(mailContext(deps.config), owner.email, 'A new API token was created', detail), now)
    const view = toView(row)
    return {
      id: view.id,
      name: view.name,
      scopes: view.scopes,
      token,
      createdAt: view.createdAt,
      expiresAt: view.expiresAt,
      ...(view.orgId !== undefined ? { orgId: view.orgId } : {}),
    }
  })
}

/** The account's unrevoked tokens, newest first, without secrets or hashes. */
export async function listTokens(deps: Deps, accountId: string): Promise<TokenView[]> {
  const rows = await repo.listForAccount(deps.db, accountId, LIST_LIMIT)
  return rows.map(toView)
}

/** Revokes one of the account's tokens; it stops working on the next request. Throws not_found (404). */
export async function revokeToken(deps: Deps, accountId: string, tokenId: string, meta: RequestMeta): Promise<void> {
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    const owner = await lockAccount(trx, accountId)
    if (owner === undefined) throw CommonErrors.unauthenticated()
    // Another account's id answers exactly like an unknown one.
    const row = await repo.revokeOne(trx, accountId, tokenId, now)
    if (row === undefined) throw ApiTokenErrors.notFound()
    await recordEvent(trx, { type: 'token.revoked', accountId, meta, at: now, details: { tokenId: row.id } })
    const detail = `Name: "${row.name}"\nFrom: ${meta.ip}\n\nIt no longer works. If this was not you, change your password and end your other sessions.`
    await enqueueMail(trx, mails.notice(mailContext(deps.config), owner.email, 'An API token was revoked', detail), now)
  })
}

/**
 * Revokes every token of the account within the caller's transaction (password reset, compromise
 * flag, the mailbox owner taking over an address): they stop working on their next request.
 * The caller records the event and mails the owner. Returns how many were revoked.
 */
export async function revokeAllTokens(db: Db, accountId: string, now: Date): Promise<number> {
  return repo.revokeAllForAccount(db, accountId, now)
}

/**
 * Checks a presented bearer token. `malformed` is decided without touching the database; `unknown`
 * covers never-issued, revoked and expired tokens alike.
 */
export async function verifyApiToken(deps: Deps, presented: string): Promise<TokenCheck> {
  if (!parseApiToken(deps.config.apiTokens.prefix, presented).ok) return { status: 'malformed' }
  const now = deps.clock.now()
  const candidates = tokenHashes(deps.config.keys.tokenHmac, presented)
  // One round trip: find, touch and the owner's state (the re-hash below is rare: a retired key).
  const row = await repo.findLiveAndTouch(deps.db, candidates, now, new Date(now.getTime() - TOUCH_INTERVAL_SECONDS * 1000))
  if (row === undefined) return { status: 'unknown' }
  const active = candidates[0]
  if (active !== undefined && row.key_id !== active.keyId) await repo.rehash(deps.db, row.id, row.key_id, active)
  // A scope later removed from the registry grants nothing.
  const token = {
    accountId: row.account_id,
    tokenId: row.id,
    scopes: row.scopes.filter(isScope),
    orgId: row.org_id,
    createdAt: new Date(row.token_created_at_ms),
    multiFactor: row.multi_factor,
    account: accountFromRow(row),
  }
  return { status: 'ok', token }
}

/** Ends the account's tokens bound to the organization, on its removal from it; returns how many. */
export async function revokeOrgTokens(db: Db, orgId: string, accountId: string, now: Date): Promise<number> {
  return repo.revokeForOrg(db, orgId, accountId, now)
}

/** Forgets tokens that were revoked or expired more than 30 days ago. */
export async function deleteDeadTokens(deps: Pick<Deps, 'db' | 'clock'>): Promise<void> {
  await repo.deleteDeadBefore(deps.db, new Date(deps.clock.now().getTime() - 30 * DAY_MS))
}
