// Consecutive-failure caps per account and per factor (NIST SP 800-63B-4 §3.2.2: at most 100), on
// top of the fixed windows of throttle.service.ts. Invariants:
// - an attempt is counted before the credential is checked (atomic), so parallel guesses all count;
// - nothing but a success of that factor, or a password reset, clears a streak: waiting does not;
// - past the cap even the right credential gets 429; the way out is a password reset
//   (docs/decisions/0045-consecutive-failure-cap.md);
// - the password streak is keyed by the address's hash, so an unknown address is capped alike;
// - the owner is mailed at the cap, and at the third wrong second-factor code in a row (once a window).
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import type { Deps } from '../deps.js'
import { AppError } from '../errors.js'
import { enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'
import {
  loginWindowKey,
  clearStreaks,
  clearWindows,
  codeStreakKey,
  passwordStreakKey,
  releaseStreak,
  rememberedRefusal,
  reserveAttempt,
  reserveStreak,
  type StreakReservation,
} from './throttle.service.js'

/** Wrong second-factor codes in a row after which the owner is told (once per failure window). */
export const CODE_FAILURES_BEFORE_NOTICE = 3

export const StreakErrors = {
  capped: (retryAfterSeconds: number) =>
    new AppError('rate_limited', 429, 'Too many failed attempts in a row; reset your password to sign in again', { 'retry-after': String(retryAfterSeconds) }),
} as const

type StreakDeps = Pick<Deps, 'config' | 'db' | 'clock' | 'redis' | 'log'>
export type Factor = 'password' | 'code'

function cap(deps: Pick<Deps, 'config'>): number {
  return deps.config.auth.maxConsecutiveFailures
}

/**
 * Counts a password attempt for `email` before it is checked. Throws 429 past the cap (the same for
 * an unknown address). Returns the reservation to hand to passwordFailed().
 */
export async function reservePasswordAttempt(deps: StreakDeps, email: string, accountId: string | null, meta: RequestMeta): Promise<StreakReservation> {
  return reserve(deps, passwordStreakKey(email), 'password', accountId, meta)
}

/**
 * Throws the cap's 429 when this process saw `email`'s password streak refused moments ago, before
 * any counter or database work (throttle.service.ts, REFUSAL_MEMORY_SECONDS). Otherwise a no-op.
 */
export function refuseRememberedPasswordCap(deps: StreakDeps, email: string): void {
  if (rememberedRefusal(deps, passwordStreakKey(email), deps.clock.now()) !== undefined) throw StreakErrors.capped(deps.config.auth.loginFailureWindowSeconds)
}

/** Counts a second-factor attempt (TOTP or recovery code) before it is checked; 429 past the cap. */
export async function reserveCodeAttempt(deps: StreakDeps, accountId: string, meta: RequestMeta): Promise<StreakReservation> {
  return reserve(deps, codeStreakKey(accountId), 'code', accountId, meta)
}

async function reserve(deps: StreakDeps, key: string, factor: Factor, accountId: string | null, meta: RequestMeta): Promise<StreakReservation> {
  const now = deps.clock.now()
  const streak = await reserveStreak(deps, key, cap(deps), now)
  if (!streak.allowed) {
    if (streak.firstRefusal)
      await recordEvent(deps.db, { type: 'login.throttled', accountId, meta, at: now, details: { factor, reason: 'consecutive_failures' } })
    throw StreakErrors.capped(deps.config.auth.loginFailureWindowSeconds)
  }
  return streak
}

/** Gives back a password attempt that another limit refused before the password was checked. */
export async function passwordNotChecked(deps: StreakDeps, email: string): Promise<void> {
  await releaseStreak(deps, passwordStreakKey(email))
}

/** After a wrong password: at the cap, records it and mails the owner the way out. */
export async function passwordFailed(
  deps: StreakDeps,
  streak: StreakReservation,
  owner: { id: string; email: string } | undefined,
  meta: RequestMeta,
): Promise<void> {
  if (owner === undefined || streak.failures !== cap(deps)) return
  await capReached(deps, owner, 'password', meta)
}

/**
 * After a wrong second-factor code: from the third in a row the owner is mailed (once per failure
 * window), since whoever sends them already has the password; at the cap, the way out is mailed too.
 */
export async function codeFailed(
  deps: StreakDeps,
  streak: StreakReservation,
  owner: { id: string; email: string } | undefined,
  meta: RequestMeta,
): Promise<void> {
  if (owner === undefined || streak.failures < CODE_FAILURES_BEFORE_NOTICE) return
  const now = deps.clock.now()
  if (streak.failures === cap(deps)) {
    await capReached(deps, owner, 'code', meta)
    return
  }
  const once = await reserveAttempt(deps, { key: `codenotice:acct:${owner.id}`, limit: 1, windowSeconds: deps.config.auth.loginFailureWindowSeconds }, now)
  if (!once.allowed) return
  await deps.db.transaction().execute(async (trx) => {
    await recordEvent(trx, { type: 'mfa.repeated_failures_notified', accountId: owner.id, meta, at: now, details: { failures: streak.failures } })
    const detail = `${streak.failures} wrong two-factor codes were entered in a row after a correct password. Whoever sent them knows your password: change it now.`
    await enqueueMail(trx, mails.notice(mailContext(deps.config), owner.email, 'Repeated wrong two-factor codes', detail), now)
  })
}

async function capReached(deps: StreakDeps, owner: { id: string; email: string }, factor: Factor, meta: RequestMeta): Promise<void> {
  const now = deps.clock.now()
  const what = factor === 'password' ? 'wrong passwords' : 'wrong two-factor codes'
  await deps.db.transaction().execute(async (trx) => {
    await recordEvent(trx, { type: 'login.failure_cap_reached', accountId: owner.id, meta, at: now, details: { factor, failures: cap(deps) } })
    const detail = `After ${cap(deps)} ${what} in a row, sign-in is blocked. Reset your password at ${deps.config.http.publicOrigin}/reset-password to sign in again.`
    await enqueueMail(trx, mails.notice(mailContext(deps.config), owner.email, 'Sign-in blocked after repeated failures', detail), now)
  })
}

/** A right password clears the password streak of its address. */
export async function passwordSucceeded(deps: StreakDeps, email: string): Promise<void> {
  await clearStreaks(deps, [passwordStreakKey(email)])
}

/** A right second-factor code clears the account's code streak. */
export async function codeSucceeded(deps: StreakDeps, accountId: string): Promise<void> {
  await clearStreaks(deps, [codeStreakKey(accountId)])
}

/**
 * A password reset (proof of the mailbox) clears both streaks of the account, the way out past the
 * cap, and its login window: found by a scan, 10 guesses every 15 minutes from anywhere kept the
 * owner out for good, a reset included. The window still counts every guess after the reset.
 */
export async function clearFailureStreaks(deps: StreakDeps, account: { id: string; email: string }): Promise<void> {
  await clearStreaks(deps, [passwordStreakKey(account.email), codeStreakKey(account.id)])
  await clearWindows(deps, [loginWindowKey(account.email)])
}
