// Accounts: sign-up, email verification, password change, deletion. Invariants:
// - passwords are NFKC-normalised, checked against the policy, then hashed with argon2id;
// - sign-up answers the same whether or not the email is taken (the owner gets a notice instead);
// - a password change ends every other session and voids pending mail tokens, in one transaction
//   with its audit event and notice mail; deletion ends every session and API token at once.
import { AppError } from '../errors.js'
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import type { Db } from '../db/db.js'
import type { Deps } from '../deps.js'
import { deleteMailTo, enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'
import { issueOneTimeToken, consumeOneTimeToken, voidOneTimeTokens } from '../one-time-tokens/one-time-tokens.service.js'
import { revokeAllSessions } from '../sessions/sessions.service.js'
import { accountKey, reserveAttempt, releaseAttempt } from '../throttle/throttle.service.js'
import * as repo from './accounts.repo.js'
import { isBreached } from './breach-check.js'
import { checkPasswordOffLoop, lengthProblem, normalizePassword, REASON_TEXT, type WeakPasswordReason } from './password-policy.js'

export const AccountErrors = {
  weakPassword: (reasons: WeakPasswordReason[]) =>
    new AppError('weak_password', 422, `The password ${reasons.map((r) => REASON_TEXT[r]).join('; ')}`, {}, { extra: { reasons } }),
  invalidToken: () => new AppError('invalid_token', 400, 'The link is invalid, used or expired'),
  invalidPassword: () => new AppError('invalid_password', 403, 'The current password is not correct'),
} as const

export interface AccountView {
  id: string
  email: string
  emailVerified: boolean
  createdAt: string
}

function toView(row: repo.AccountRow): AccountView {
  return { id: row.id, email: row.email, emailVerified: row.email_verified_at !== null, createdAt: row.created_at.toISOString() }
}

/** Throws 422 weak_password with every reason; runs the breach check only when switched on. */
export async function assertAcceptablePassword(deps: Deps, password: string, email: string): Promise<void> {
  const reasons = await checkPasswordOffLoop(password, email, deps.config.passwords)
  if (reasons.length === 0 && (await isBreached(normalizePassword(password), deps.config.passwords.breachCheck))) reasons.push('breached')
  if (reasons.length > 0) throw AccountErrors.weakPassword(reasons)
}

export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim()
}

/** Signs up, or mails the owner when the email is taken. The caller cannot tell which happened. */
export async function register(deps: Deps, input: { email: string; password: string }, meta: RequestMeta): Promise<void> {
  // Past the hashing queue: 503 + Retry-After at once, before the (CPU-bound) policy check.
  deps.hasher.assertCapacity()
  const email = normalizeEmail(input.email)
  await assertAcceptablePassword(deps, input.password, email)
  // Hash in both branches so a taken email costs the same time as a new one.
  const hash = await deps.hasher.hash(normalizePassword(input.password))
  const now = deps.clock.now()
  const ctx = mailContext(deps.config)
  await deps.db.transaction().execute(async (trx) => {
    const id = await repo.insertIfAbsent(trx, email, hash, now)
    if (id === undefined) {
      // The owner hears about it (at most a few times an hour, so the form cannot spam them);
      // an owner who never verified gets a fresh verification link instead.
      const owner = await repo.findByEmail(trx, email)
      if (owner === undefined || !(await withinMailQuota(trx, owner.email, now))) return
      if (owner.email_verified_at === null) {
        await enqueueMail(trx, mails.verifyEmail(ctx, owner.email, await issueOneTimeToken(trx, owner.id, 'verify_email', now)), now)
      } else {
        await enqueueMail(trx, mails.alreadyRegistered(ctx, owner.email), now)
      }
      return
    }
    const token = await issueOneTimeToken(trx, id, 'verify_email', now)
    await enqueueMail(trx, mails.verifyEmail(ctx, email, token), now)
    await recordEvent(trx, { type: 'account.registered', accountId: id, meta, at: now })
  })
}

// Unsolicited mails (sign-up notices, repeated verification links) per address per hour.
const NOTICE_MAILS_PER_HOUR = 3

/** True while `email` may get another unsolicited mail this hour (counts this one). */
export async function withinMailQuota(db: Db, email: string, now: Date): Promise<boolean> {
  return (await reserveAttempt(db, { key: accountKey('notice', email), limit: NOTICE_MAILS_PER_HOUR, windowSeconds: 3600 }, now)).allowed
}

/** Mails a fresh verification link to an unverified account (within the hourly quota). */
export async function resendVerification(deps: Deps, accountId: string, email: string): Promise<void> {
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    if (!(await withinMailQuota(trx, email, now))) return
    const token = await issueOneTimeToken(trx, accountId, 'verify_email', now)
    await enqueueMail(trx, mails.verifyEmail(mailContext(deps.config), email, token), now)
  })
}

/** Marks the email verified; throws 400 invalid_token for an unknown, used or expired token. */
export async function verifyEmail(deps: Deps, token: string, meta: RequestMeta): Promise<void> {
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    const accountId = await consumeOneTimeToken(trx, token, 'verify_email', now)
    if (accountId === null) throw AccountErrors.invalidToken()
    await repo.markEmailVerified(trx, accountId, now)
    const account = await repo.findById(trx, accountId)
    if (account) await enqueueMail(trx, mails.notice(mailContext(deps.config), account.email, 'Your email address was verified'), now)
    await recordEvent(trx, { type: 'email.verified', accountId, meta, at: now })
  })
}

export async function getAccount(db: Db, accountId: string): Promise<AccountView | undefined> {
  const row = await repo.findById(db, accountId)
  return row ? toView(row) : undefined
}

/**
 * Re-checks the password of a signed-in account before a sensitive change (OWASP ASVS 5.0 V6.2.3).
 * Attempts count against the account like logins, so a stolen session cannot guess at leisure.
 */
export async function verifyAccountPassword(deps: Deps, accountId: string, password: string): Promise<boolean> {
  const { loginMaxFailuresPerAccount: limit, loginFailureWindowSeconds: windowSeconds } = deps.config.auth
  const key = `reauth:acct:${accountId}`
  const reservation = await reserveAttempt(deps.db, { key, limit, windowSeconds }, deps.clock.now())
  if (!reservation.allowed) throw new AppError('rate_limited', 429, 'Too many attempts; try again later', { 'retry-after': String(reservation.retryAfterSeconds) })
  const hash = await repo.findPasswordHash(deps.db, accountId)
  // An oversized input is refused before hashing (no hashing-cost denial of service).
  if (hash === undefined || lengthProblem(password, deps.config.passwords) === 'too_long') return false
  const ok = await deps.hasher.verify(hash, normalizePassword(password))
  if (ok) await releaseAttempt(deps.db, key)
  return ok
}

/** Changes the password; every other session ends and pending reset links die. */
export async function changePassword(
  deps: Deps,
  input: { accountId: string; sessionId: string; currentPassword: string; newPassword: string },
  meta: RequestMeta,
): Promise<void> {
  if (!(await verifyAccountPassword(deps, input.accountId, input.currentPassword))) throw AccountErrors.invalidPassword()
  const account = await repo.findById(deps.db, input.accountId)
  if (account === undefined) throw new AppError('unauthenticated', 401, 'Authentication required')
  await assertAcceptablePassword(deps, input.newPassword, account.email)
  const hash = await deps.hasher.hash(normalizePassword(input.newPassword))
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await repo.setPasswordHash(trx, input.accountId, hash, now, true)
    await revokeAllSessions(trx, input.accountId, input.sessionId)
    await voidOneTimeTokens(trx, input.accountId, now, 'password_reset')
    await enqueueMail(trx, mails.notice(mailContext(deps.config), account.email, 'Your password was changed', 'Every other session was signed out.'), now)
    await recordEvent(trx, { type: 'password.changed', accountId: input.accountId, meta, at: now })
  })
}

/**
 * Deletes the account after a password re-check. Sessions, API tokens, MFA factors and mail
 * tokens go with it in the same transaction (foreign keys cascade), so every credential stops
 * working on its very next request. Security events stay, holding the account id but no email.
 */
export async function deleteAccount(deps: Deps, input: { accountId: string; password: string }, meta: RequestMeta): Promise<void> {
  if (!(await verifyAccountPassword(deps, input.accountId, input.password))) throw AccountErrors.invalidPassword()
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    const account = await repo.findById(trx, input.accountId)
    if (account === undefined) return
    await deleteMailTo(trx, account.email)
    await repo.deleteAccount(trx, input.accountId)
    await enqueueMail(trx, mails.notice(mailContext(deps.config), account.email, 'Your account was deleted', 'Its sessions and API tokens stopped working.'), now)
    await recordEvent(trx, { type: 'account.deleted', accountId: input.accountId, meta, at: now })
  })
}
