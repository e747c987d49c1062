// Accounts: sign-up, email verification, expiry of unverified accounts, deletion, and the account
// row's credential and address updates used by src/auth (password change, email change). Invariants:
// - passwords are NFKC-normalised, checked against the policy, then hashed with argon2id;
// - sign-up answers the same whether or not the email is taken (the owner gets a notice instead);
// - verifying an address needs the account's password, never the link alone;
// - deletion ends every session and API token at once.
import { AppError, CommonErrors } from '../errors.js'
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import type { Db } from '../db/db.js'
import type { Deps } from '../deps.js'
import { normalizeEmail } from '../mail/address.js'
import { deleteMailTo, enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'
import { consumeOneTimeToken, issueOneTimeToken, peekOneTimeToken, voidOneTimeTokens } from '../one-time-tokens/one-time-tokens.service.js'
import { accountKey, ipKey, loginWindowKey, releaseAttempt, reserveAll, reserveAttempt, type ThrottleRule } from '../throttle/throttle.service.js'
import * as repo from './accounts.repo.js'
import { isBreached } from './breach-check.js'
import { checkPasswordOffLoop, lengthProblem, normalizePassword, REASON_TEXT, type WeakPasswordReason } from './password-policy.js'
import type { AccountReply } from './accounts.schemas.js'

export const AccountErrors = {
  weakPassword: (reasons: WeakPasswordReason[]) =>
    new AppError('weak_password', 422, `The password ${reasons.map((r) => REASON_TEXT[r]).join('; ')}`, {}, { extra: { reasons } }),
  invalidToken: () => new AppError('invalid_token', 400, 'The link is invalid, used or expired'),
  invalidCredentials: () => new AppError('invalid_credentials', 401, 'Email or password is incorrect'),
  emailTaken: () => new AppError('email_taken', 409, 'That address now belongs to another account; nothing was changed'),
} as const

/** The account part of the `user` reply (AccountReply without mfaEnabled, which src/mfa knows). */
export type AccountView = Omit<AccountReply, 'mfaEnabled'>

function toView(row: repo.AccountRow): AccountView {
  return { id: row.id, email: row.email, emailVerified: row.email_verified_at !== null, createdAt: row.created_at.toISOString() }
}

/** Throws 422 weak_password with every reason; runs the breach check only when switched on. */
export async function assertAcceptablePassword(deps: Deps, password: string, email: string): Promise<void> {
  const reasons = await checkPasswordOffLoop(password, email, deps.config.passwords)
  if (reasons.length === 0 && (await isBreached(normalizePassword(password), deps.config.passwords.breachCheck))) reasons.push('breached')
  if (reasons.length > 0) throw AccountErrors.weakPassword(reasons)
}

/**
 * Signs up, or mails the owner when the email is taken. The caller cannot tell which happened.
 * An address whose account is still unverified gets a set-password link (the reset flow) and
 * nothing about that account changes: the first registrant's password stays unproven until the
 * mailbox owner either confirms it (verify-email needs it) or replaces it (docs/decisions/0041).
 */
export async function register(deps: Deps, input: { email: string; password: string }, meta: RequestMeta): Promise<void> {
  // Past the hashing queue: 503 + Retry-After at once, before the (CPU-bound) policy check.
  deps.hasher.assertCapacity()
  const email = normalizeEmail(input.email)
  // The hash runs beside the policy check (zxcvbn in its worker, the breach list), so a sign-up
  // costs its hash rather than both in turn (docs/decisions/0093). Hash in both branches so a taken
  // email costs the same time as a new one.
  const hashing = deps.hasher.hash(normalizePassword(input.password))
  // Handled at once, so a hash that fails before the verdict is no unhandled rejection; the awaits
  // below still see it.
  hashing.catch(() => undefined)
  try {
    await assertAcceptablePassword(deps, input.password, email)
  } catch (refused) {
    // A refusal answers once its hash is done (and thrown away), as an acceptance would: a client
    // sending weak passwords one after another never has more than one hash on the lanes. A hash
    // that failed meanwhile does not replace the refusal.
    await hashing.catch(() => undefined)
    throw refused
  }
  const hash = await hashing
  const now = deps.clock.now()
  const ctx = mailContext(deps.config)
  await deps.db.transaction().execute(async (trx) => {
    const id = await repo.insertIfAbsent(trx, email, hash, now)
    if (id === undefined) {
      // The owner hears about it (at most a few times an hour, so the form cannot spam them).
      const owner = await repo.findByEmail(trx, email)
      if (owner === undefined || !(await withinMailQuota(deps, trx, owner.email, now))) return
      if (owner.email_verified_at === null) {
        await enqueueMail(trx, mails.setPassword(ctx, owner.email, await issueOneTimeToken(trx, owner.id, 'password_reset', now)), now)
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

// Unsolicited mails (sign-up notices, repeated verification links) per address per hour. The
// email_not_verified message (src/auth/login.service.ts) quotes it.
export const NOTICE_MAILS_PER_HOUR = 3

/** True while `email` may get another unsolicited mail this hour (counts this one); `db` may be a transaction. */
export async function withinMailQuota(deps: Pick<Deps, 'redis' | 'config'>, db: Db, email: string, now: Date): Promise<boolean> {
  return (await reserveAttempt({ ...deps, db }, { key: accountKey('notice', email), limit: NOTICE_MAILS_PER_HOUR, windowSeconds: 3600 }, now)).allowed
}

/**
 * Mails a fresh verification link to an unverified account (within the hourly quota; past it,
 * nothing). The links mailed before stay usable until they expire or the address is verified
 * (docs/decisions/0100): the one a user opens first must not be dead.
 */
export async function resendVerification(deps: Deps, accountId: string, email: string): Promise<void> {
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    if (!(await withinMailQuota(deps, trx, email, now))) return
    const token = await issueOneTimeToken(trx, accountId, 'verify_email', now, { earlier: 'keep' })
    await enqueueMail(trx, mails.verifyEmail(mailContext(deps.config), email, token), now)
  })
}

/**
 * Marks the email verified, only for the account's own password: a link alone never activates a
 * password the clicker did not choose (pre-registration hijack, docs/decisions/0041). A wrong
 * password counts as a failed login for the account and the client address, and leaves the token
 * usable. Throws 400 invalid_token, 401 invalid_credentials or 429 rate_limited.
 */
export async function verifyEmail(deps: Deps, input: { token: string; password: string }, meta: RequestMeta): Promise<void> {
  const now = deps.clock.now()
  const accountId = await peekOneTimeToken(deps.db, input.token, 'verify_email', now)
  const account = accountId === null ? undefined : await repo.findCredentialsById(deps.db, accountId)
  if (account === undefined) throw AccountErrors.invalidToken()
  const rules = verifyThrottleRules(deps, account.email, meta.ip)
  const reservation = await reserveAll(deps, rules, now)
  if (!reservation.allowed) throw CommonErrors.rateLimited(reservation.retryAfterSeconds)
  // An oversized input is refused before hashing (no hashing-cost denial of service).
  const ok =
    lengthProblem(input.password, deps.config.passwords) !== 'too_long' && (await deps.hasher.verify(account.password_hash, normalizePassword(input.password)))
  if (!ok) {
    await recordEvent(deps.db, { type: 'login.failed', accountId: account.id, meta, at: now, details: { during: 'verify_email' } })
    throw AccountErrors.invalidCredentials()
  }
  for (const rule of rules) await releaseAttempt(deps, rule.key)
  await deps.db.transaction().execute(async (trx) => {
    // The account row first: two links used at once (or a reset) then run in turn, rather than each
    // holding its token row while voiding the other's (a deadlock).
    if ((await repo.lockContact(trx, account.id)) === undefined) throw AccountErrors.invalidToken()
    // Consume inside the transaction: of two parallel verifications, exactly one wins.
    if ((await consumeOneTimeToken(trx, input.token, 'verify_email', now)) !== account.id) throw AccountErrors.invalidToken()
    await repo.markEmailVerified(trx, account.id, now)
    // The other verification links of the account (kept live by resendVerification) have done their job.
    await voidOneTimeTokens(trx, account.id, now, 'verify_email')
    await enqueueMail(trx, mails.notice(mailContext(deps.config), account.email, 'Your email address was verified'), now)
    await recordEvent(trx, { type: 'email.verified', accountId: account.id, meta, at: now })
  })
}

/** The login failure counters (per account and per client address), shared with the login route. */
function verifyThrottleRules(deps: Deps, email: string, ip: string): ThrottleRule[] {
  const { loginMaxFailuresPerAccount, loginMaxFailuresPerIp, loginFailureWindowSeconds } = deps.config.auth
  return [
    { key: loginWindowKey(email), limit: loginMaxFailuresPerAccount, windowSeconds: loginFailureWindowSeconds },
    { key: ipKey('login', ip), limit: loginMaxFailuresPerIp, windowSeconds: loginFailureWindowSeconds },
  ]
}

/**
 * Deletes accounts never verified within UNVERIFIED_ACCOUNT_TTL_DAYS (housekeeping), so an address
 * someone registered without owning it is freed for its owner. Returns how many were deleted.
 */
export async function deleteExpiredUnverifiedAccounts(deps: Pick<Deps, 'db' | 'clock' | 'config'>): Promise<number> {
  const now = deps.clock.now()
  const before = new Date(now.getTime() - deps.config.auth.unverifiedAccountTtlDays * 86_400_000)
  return deps.db.transaction().execute(async (trx) => {
    const ids = await repo.deleteUnverifiedBefore(trx, before)
    for (const id of ids) await recordEvent(trx, { type: 'account.expired', accountId: id, meta: null, at: now })
    return ids.length
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
  const reservation = await reserveAttempt(deps, { key, limit, windowSeconds }, deps.clock.now())
  if (!reservation.allowed)
    throw new AppError('rate_limited', 429, 'Too many attempts; try again later', { 'retry-after': String(reservation.retryAfterSeconds) })
  const hash = await repo.findPasswordHash(deps.db, accountId)
  // An oversized input is refused before hashing (no hashing-cost denial of service).
  if (hash === undefined || lengthProblem(password, deps.config.passwords) === 'too_long') return false
  const ok = await deps.hasher.verify(hash, normalizePassword(password))
  if (ok) await releaseAttempt(deps, key)
  return ok
}

/**
 * Deletes the account within the caller's transaction (the flow, with its password re-check and
 * the organizations' last-owner rule, is src/auth/account-deletion.service.ts). Sessions, API
 * tokens, MFA factors and mail tokens go with it (foreign keys cascade), so every credential stops
 * working on its very next request. Security events stay, holding the account id but no email.
 */
export async function deleteAccountRecord(
  trx: Db,
  deps: Pick<Deps, 'config'>,
  account: { id: string; email: string },
  meta: RequestMeta,
  now: Date,
): Promise<void> {
  await deleteMailTo(trx, account.email)
  await repo.deleteAccount(trx, account.id)
  await enqueueMail(trx, mails.notice(mailContext(deps.config), account.email, 'Your account was deleted', 'Its sessions and API tokens stopped working.'), now)
  await recordEvent(trx, { type: 'account.deleted', accountId: account.id, meta, at: now })
}

/** The account row's credentials version (see lockCredentials). */
export async function credentialsVersion(db: Db, accountId: string): Promise<number | undefined> {
  return repo.findCredentialsVersion(db, accountId)
}

/**
 * Locks the account row (FOR UPDATE) in the caller's transaction and returns its credentials
 * version; a password change, reset or compromise flag waits for this transaction and moves the
 * version. Undefined when the account is gone.
 */
export async function lockCredentials(trx: Db, accountId: string): Promise<number | undefined> {
  return repo.lockCredentialsVersion(trx, accountId)
}

/**
 * Moves the account to `email` (marked verified) within the caller's transaction, once the caller
 * proved the mailbox (a link mailed there came back). Throws 409 email_taken when another verified
 * account holds it, checked here and by the unique index. An unverified account holding it gives
 * it up and is deleted: nobody but the mailbox owner could ever verify it (found by a scan: a
 * squatter registered the address after the request and blocked the change for 7 days).
 */
export async function replaceEmail(trx: Db, accountId: string, email: string, now: Date, meta: RequestMeta): Promise<void> {
  const holder = await repo.findByEmail(trx, email)
  if (holder !== undefined && holder.id !== accountId) {
    if (holder.email_verified_at !== null) throw AccountErrors.emailTaken()
    await repo.deleteAccount(trx, holder.id)
    await recordEvent(trx, { type: 'account.deleted', accountId: holder.id, meta, at: now, details: { reason: 'address_claimed_by_its_mailbox' } })
  }
  await repo.replaceEmail(trx, accountId, email, now)
}

// The account record as the cross-feature flows (src/auth/) and other features read and change it.
// The accounts table has one owner, this folder: nobody else imports accounts.repo or reads the
// table (docs/decisions/0080-layers-enforced.md). Each takes `db`, so it joins the caller's transaction.

export async function findAccountById(db: Db, accountId: string): Promise<repo.AccountRow | undefined> {
  return repo.findById(db, accountId)
}

export async function findAccountByEmail(db: Db, email: string): Promise<repo.AccountRow | undefined> {
  return repo.findByEmail(db, email)
}

/** The address notices go to; undefined when the account is gone. */
export async function accountEmail(db: Db, accountId: string): Promise<string | undefined> {
  return (await repo.findById(db, accountId))?.email
}

/** A canonical account id (how PostgreSQL prints a uuid); anything else names no account. */
const ACCOUNT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * The addresses of a list's accounts (members, inviters, audit actors), by id; an id without an
 * account is absent from the map. For other features' lists: they read ids, this owner the addresses.
 */
export async function accountEmails(db: Db, accountIds: Iterable<string>): Promise<Map<string, string>> {
  const ids = [...new Set(accountIds)].filter((id) => ACCOUNT_ID.test(id))
  const rows = await repo.findEmails(db, ids)
  return new Map(rows.map((r) => [r.id, r.email]))
}

/** The address and its verification state (to match an invitation). */
export async function accountContact(db: Db, accountId: string): Promise<{ email: string; email_verified_at: Date | null } | undefined> {
  return repo.findContact(db, accountId)
}

/** Locks the account row (FOR UPDATE) in the caller's transaction, so concurrent work on it runs in turn. */
export async function lockAccount(trx: Db, accountId: string): Promise<{ id: string; email: string } | undefined> {
  return repo.lockContact(trx, accountId)
}

/** The row a password login checks: hash, change-required flag, credentials version. */
export async function findCredentialsByEmail(db: Db, email: string): Promise<repo.CredentialsRow | undefined> {
  return repo.findCredentialsByEmail(db, email)
}

/** Stores a re-hash made under newer argon2 parameters, unless the password changed meanwhile. */
export async function rehashPasswordIfUnchanged(db: Db, accountId: string, verifiedHash: string, newHash: string): Promise<boolean> {
  return repo.rehashIfUnchanged(db, accountId, verifiedHash, newHash)
}

export async function setPasswordHash(db: Db, accountId: string, passwordHash: string, now: Date, changed: boolean): Promise<void> {
  await repo.setPasswordHash(db, accountId, passwordHash, now, changed)
}

export async function markEmailVerified(db: Db, accountId: string, now: Date): Promise<void> {
  await repo.markEmailVerified(db, accountId, now)
}

export async function flagPasswordChangeRequired(db: Db, accountId: string, now: Date): Promise<boolean> {
  return repo.flagPasswordChangeRequired(db, accountId, now)
}

export async function isPasswordChangeRequired(db: Db, accountId: string): Promise<boolean> {
  return repo.isPasswordChangeRequired(db, accountId)
}

/** Known devices (new-device notices): whether the account has any, and remembering one (true when new). */
export async function hasAnyDevice(db: Db, accountId: string): Promise<boolean> {
  return repo.hasAnyDevice(db, accountId)
}

export async function rememberDevice(db: Db, accountId: string, fingerprint: Buffer, now: Date): Promise<boolean> {
  return repo.rememberDevice(db, accountId, fingerprint, now)
}
