// Single-use tokens sent by mail (verify email: 24 h; reset password, email change: at most 1 h).
// An email-change token is bound to (account, new address): the address is stored beside it. Invariants:
// 32 CSPRNG bytes; only the SHA-256 is stored; a newer token of the same purpose voids older ones,
// unless the issuer says `earlier: 'keep'` (verification links, docs/decisions/0100; an email change,
// which voids the pending link itself first);
// consuming is one atomic UPDATE ... WHERE used_at IS NULL, so a token works exactly once.
import { sql } from 'kysely'
import { sha256 } from '../crypto/hash.js'
import { randomToken } from '../crypto/random.js'
import type { Db } from '../db/db.js'

export type Purpose = 'verify_email' | 'password_reset' | 'email_change'

// OWASP ASVS 5.0 V6.4.1 (reset links short-lived); NIST SP 800-63B-4 §3.1.1.3.
export const TOKEN_LIFETIME_SECONDS: Record<Purpose, number> = {
  verify_email: 24 * 3600,
  password_reset: 3600,
  email_change: 3600,
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

export interface IssueOptions {
  /** The address the token is bound to (email change); null for the others. */
  boundEmail?: string | null
  /**
   * What happens to the account's earlier unused tokens of the same purpose: 'void' (the default;
   * reset and address-change links must die with a newer one) or 'keep' (verification links: every
   * one confirms the same mailbox for the same account, docs/decisions/0100; the caller voids them
   * all once the address is verified or changed), or a caller that voided them itself just before.
   */
  earlier?: 'void' | 'keep'
}

/** Issues a token (voiding older unused ones of the same purpose unless told to keep them); returns the only plain copy. */
export async function issueOneTimeToken(db: Db, accountId: string, purpose: Purpose, now: Date, opts: IssueOptions = {}): Promise<string> {
  if (opts.earlier !== 'keep') await voidOneTimeTokens(db, accountId, now, purpose)
  const token = randomToken(32)
  await db
    .insertInto('one_time_tokens')
    .values({
      account_id: accountId,
      purpose,
      bound_email: opts.boundEmail ?? null,
      token_hash: sha256(token),
      created_at: now,
      expires_at: new Date(now.getTime() + TOKEN_LIFETIME_SECONDS[purpose] * 1000),
    })
    .execute()
  return token
}

/** The account a live token of `purpose` belongs to, without consuming it; null otherwise. */
export async function peekOneTimeToken(db: Db, token: string, purpose: Purpose, now: Date): Promise<string | null> {
  if (!TOKEN_SHAPE.test(token)) return null
  const row = await db
    .selectFrom('one_time_tokens')
    .select('account_id')
    .where('token_hash', '=', sha256(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst()
  return row?.account_id ?? null
}

/** Like peekOneTimeToken, with the address the token is bound to (email change). */
export async function peekBoundToken(db: Db, token: string, purpose: Purpose, now: Date): Promise<{ accountId: string; boundEmail: string | null } | null> {
  if (!TOKEN_SHAPE.test(token)) return null
  const row = await db
    .selectFrom('one_time_tokens')
    .select(['account_id', 'bound_email'])
    .where('token_hash', '=', sha256(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst()
  return row === undefined ? null : { accountId: row.account_id, boundEmail: row.bound_email }
}

/** Marks the token used and returns its account, or null when unknown, used, expired or malformed. */
export async function consumeOneTimeToken(db: Db, token: string, purpose: Purpose, now: Date): Promise<string | null> {
  if (!TOKEN_SHAPE.test(token)) return null
  const row = await db
    .updateTable('one_time_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', sha256(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('account_id')
    .executeTakeFirst()
  return row?.account_id ?? null
}

/** Voids every unused token of the account (a password change makes pending resets useless). */
export async function voidOneTimeTokens(db: Db, accountId: string, now: Date, purpose?: Purpose): Promise<void> {
  let query = db.updateTable('one_time_tokens').set({ used_at: now }).where('account_id', '=', accountId).where('used_at', 'is', null)
  if (purpose !== undefined) query = query.where('purpose', '=', purpose)
  await query.execute()
}

export async function deleteStaleOneTimeTokens(db: Db, now: Date): Promise<void> {
  await db
    .deleteFrom('one_time_tokens')
    .where(sql<boolean>`coalesce(used_at, expires_at) < ${new Date(now.getTime() - 7 * 86_400_000)}`)
    .execute()
}
