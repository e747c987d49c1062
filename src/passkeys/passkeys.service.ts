// Passkeys (WebAuthn L3, NIST SP 800-63B-4 multi-factor cryptographic authenticator): registration,
// listing, renaming and removal. Invariants:
// - registration and removal need full re-authentication (password, and a code when TOTP is on);
// - a challenge is 32 CSPRNG bytes, stored only as SHA-256, bound to the session that asked, spent
//   by its first use (even a failed one) and dead after PASSKEY_CHALLENGE_TTL_SECONDS;
// - user verification is required, attestation is `none`, RP ID and origin come from PUBLIC_ORIGIN;
// - every change writes a security event and mails the owner in the same transaction;
// - under MFA_REQUIRED the last second factor cannot be removed (rows locked against a parallel delete).
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import { getAccount } from '../accounts/accounts.service.js'
import { constantTimeEqual, sha256 } from '../crypto/hash.js'
import { randomSecret } from '../crypto/random.js'
import type { Db } from '../db/db.js'
import { isUniqueViolation } from '../db/pg-errors.js'
import type { Deps } from '../deps.js'
import { CommonErrors } from '../errors.js'
import { enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'
import { MfaErrors } from '../mfa/mfa.errors.js'
import { hasConfirmedTotp, reauthenticate } from '../mfa/mfa.service.js'
import { markSessionMultiFactor } from '../sessions/sessions.service.js'
import { PasskeyErrors } from './passkeys.errors.js'
import * as repo from './passkeys.repo.js'
import type { PasskeyView, RegistrationResponse } from './passkeys.schemas.js'
import { registrationOptions, relyingParty, verifyRegistration } from './webauthn.js'

/** Lifetime of a registration or sign-in challenge (WebAuthn L3 §13.4.3: short, single use). */
export const PASSKEY_CHALLENGE_TTL_SECONDS = 5 * 60
/** Bytes of randomness in a challenge (WebAuthn L3 §13.4.3 asks for at least 16). */
export const PASSKEY_CHALLENGE_BYTES = 32
/** Passkeys one account may hold (bounded rows, bounded excludeCredentials). */
export const PASSKEYS_PER_ACCOUNT_MAX = 20
const USER_HANDLE_BYTES = 32

/** True when `presented` (clientDataJSON.challenge) is the one whose hash was stored. */
export function challengeMatcher(storedHash: Buffer): (presented: string) => boolean {
  return (presented) => constantTimeEqual(sha256(presented), storedHash)
}

export function newChallenge(): Buffer {
  return randomSecret(PASSKEY_CHALLENGE_BYTES)
}

/** The challenge as the options JSON carries it (base64url), which is what the client signs over. */
export function challengeText(challenge: Buffer): string {
  return challenge.toString('base64url')
}

function toView(row: { id: string; name: string; created_at: Date; last_used_at: Date | null; backed_up: boolean }): PasskeyView {
  return { id: row.id, name: row.name, createdAt: row.created_at.toISOString(), lastUsedAt: row.last_used_at?.toISOString() ?? null, backedUp: row.backed_up }
}

async function notifyOwner(deps: Deps, db: Db, accountId: string, what: string, detail: string, now: Date): Promise<void> {
  const account = await getAccount(db, accountId)
  if (account !== undefined) await enqueueMail(db, mails.notice(mailContext(deps.config), account.email, what, detail), now)
}

/** True when the account holds at least one passkey (a second factor: see docs/decisions/0060). */
export async function hasPasskey(db: Db, accountId: string): Promise<boolean> {
  return repo.hasAny(db, accountId)
}

/** True when the account has any second factor: confirmed TOTP or a passkey. */
export async function hasSecondFactor(db: Db, accountId: string): Promise<boolean> {
  return (await hasConfirmedTotp(db, accountId)) || (await repo.hasAny(db, accountId))
}

/** Who registers a passkey: the account, its session, and whether that session signed in with two factors. */
export interface Registrant {
  readonly accountId: string
  readonly sessionId: string
  readonly multiFactor: boolean
}

/**
 * Re-authenticates, then opens a registration bound to this session (a newer one replaces it).
 * Throws 401 invalid_credentials / mfa_code_required, 429, 422 passkey_limit_reached, or 403
 * mfa_required when the account has a second factor and this session did not sign in with one: an
 * authenticator is added at the level it will be used at (NIST SP 800-63B-4 §4.1.2.1, decision 0101).
 */
export async function startRegistration(deps: Deps, who: Registrant, reauth: { password: string; code?: string | undefined }, meta: RequestMeta) {
  await reauthenticate(deps, who.accountId, reauth, meta)
  if (!who.multiFactor && (await hasSecondFactor(deps.db, who.accountId))) throw MfaErrors.stepUpRequired()
  const account = await getAccount(deps.db, who.accountId)
  if (account === undefined) throw CommonErrors.unauthenticated()
  const existing = await repo.listCredentialIds(deps.db, who.accountId)
  if (existing.length >= PASSKEYS_PER_ACCOUNT_MAX) throw PasskeyErrors.limitReached(PASSKEYS_PER_ACCOUNT_MAX)
  // One user handle per account, so an authenticator keeps one credential per account and site.
  const userHandle = existing[0] !== undefined ? Buffer.from(existing[0].user_handle, 'base64url') : randomSecret(USER_HANDLE_BYTES)
  const challenge = newChallenge()
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await repo.deleteRegistrationChallenges(trx, who.sessionId)
    await repo.insertChallenge(trx, {
      purpose: 'registration',
      challenge_hash: sha256(challengeText(challenge)),
      session_id: who.sessionId,
      account_id: who.accountId,
      user_handle: userHandle.toString('base64url'),
      created_at: now,
      expires_at: new Date(now.getTime() + PASSKEY_CHALLENGE_TTL_SECONDS * 1000),
    })
  })
  return registrationOptions(relyingParty(deps.config), {
    challenge,
    userHandle,
    userName: account.email,
    exclude: existing.map((c) => ({ id: c.credential_id, transports: c.transports })),
  })
}

/**
 * Verifies the attestation against this session's pending registration and stores the passkey.
 * Throws 400 passkey_rejected (no live challenge, or it does not verify), 409 passkey_exists, 422.
 */
export async function finishRegistration(
  deps: Deps,
  who: Registrant,
  input: { name: string; response: RegistrationResponse },
  meta: RequestMeta,
): Promise<{ id: string; name: string; createdAt: string }> {
  const now = deps.clock.now()
  // Spent before it is checked: a failed attempt cannot be retried with the same challenge.
  const pending = await repo.takeRegistrationChallenge(deps.db, who.sessionId, who.accountId, now)
  if (pending === undefined || pending.user_handle === null) throw PasskeyErrors.registrationRejected()
  const verified = await verifyRegistration(relyingParty(deps.config), input.response, challengeMatcher(pending.challenge_hash))
  if (verified === null) throw PasskeyErrors.registrationRejected()
  const userHandle = pending.user_handle
  try {
    const row = await deps.db.transaction().execute(async (trx) => {
      const held = await repo.lockAccountPasskeys(trx, who.accountId)
      if (held.length >= PASSKEYS_PER_ACCOUNT_MAX) throw PasskeyErrors.limitReached(PASSKEYS_PER_ACCOUNT_MAX)
      // A factor added since the options were given: this single-factor session may no longer add one.
      if (!who.multiFactor && (held.length > 0 || (await hasConfirmedTotp(trx, who.accountId)))) throw MfaErrors.stepUpRequired()
      const inserted = await repo.insertPasskey(trx, {
        account_id: who.accountId,
        credential_id: verified.credentialId,
        public_key: verified.publicKey,
        sign_count: verified.signCount,
        transports: (input.response.response.transports ?? []).slice(0, 8),
        backup_eligible: verified.backupEligible,
        backed_up: verified.backedUp,
        user_handle: userHandle,
        name: input.name,
        created_at: now,
      })
      await recordEvent(trx, { type: 'passkey.registered', accountId: who.accountId, meta, at: now, details: { passkeyId: inserted.id } })
      // The account's first factor, proved in this session: it counts as a multi-factor sign-in now.
      if (!who.multiFactor) await markSessionMultiFactor(trx, who.accountId, who.sessionId)
      await notifyOwner(deps, trx, who.accountId, 'A passkey was added to your account', `Name: ${input.name}. It can sign in to your account on its own.`, now)
      return inserted
    })
    return { id: row.id, name: row.name, createdAt: row.created_at.toISOString() }
  } catch (err) {
    if (isUniqueViolation(err, 'passkeys_credential_id_key')) throw PasskeyErrors.alreadyRegistered()
    throw err
  }
}

export async function listPasskeys(deps: Deps, accountId: string): Promise<PasskeyView[]> {
  return (await repo.listForAccount(deps.db, accountId)).map(toView)
}

/** Renames one of the account's passkeys; 404 for an id that is not the caller's. */
export async function renamePasskey(deps: Deps, accountId: string, id: string, name: string, meta: RequestMeta): Promise<PasskeyView> {
  const now = deps.clock.now()
  return deps.db.transaction().execute(async (trx) => {
    const row = await repo.rename(trx, accountId, id, name)
    if (row === undefined) throw PasskeyErrors.notFound()
    await recordEvent(trx, { type: 'passkey.renamed', accountId, meta, at: now, details: { passkeyId: id } })
    return toView(row)
  })
}

/**
 * How many passkeys the account has, with their rows held until `db`'s transaction ends: a change
 * that must leave the account a second factor (turning TOTP off under MFA_REQUIRED) counts them while
 * no removal can run, as deletePasskey counts TOTP under the same locks.
 */
export async function holdPasskeys(db: Db, accountId: string): Promise<number> {
  return (await repo.lockAccountPasskeys(db, accountId)).length
}

/**
 * Removes one passkey after full re-authentication, and mails the owner. 404 for an id that is not
 * the caller's; 409 mfa_required when MFA_REQUIRED and it is the account's last second factor.
 */
export async function deletePasskey(
  deps: Deps,
  accountId: string,
  id: string,
  reauth: { password: string; code?: string | undefined },
  meta: RequestMeta,
): Promise<void> {
  if ((await repo.findOne(deps.db, accountId, id)) === undefined) throw PasskeyErrors.notFound()
  await reauthenticate(deps, accountId, reauth, meta)
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    const held = await repo.lockAccountPasskeys(trx, accountId)
    if (!held.includes(id)) throw PasskeyErrors.notFound()
    if (deps.config.auth.mfaRequired && held.length === 1 && !(await hasConfirmedTotp(trx, accountId))) throw PasskeyErrors.lastFactor()
    const removed = await repo.deleteOne(trx, accountId, id)
    if (removed === undefined) throw PasskeyErrors.notFound()
    await recordEvent(trx, { type: 'passkey.deleted', accountId, meta, at: now, details: { passkeyId: id } })
    await notifyOwner(deps, trx, accountId, 'A passkey was removed from your account', `Name: ${removed.name}. It can no longer sign in.`, now)
  })
}

/**
 * Removes every passkey of the account; returns how many. For the password-reset flow (a passkey
 * an intruder added is a full sign-in), called inside its transaction; the caller records the event.
 */
export async function removeAllPasskeys(db: Db, accountId: string): Promise<number> {
  return repo.deleteAllForAccount(db, accountId)
}

/** Removes ceremonies past their expiry (housekeeping). */
export async function deleteExpiredPasskeyChallenges(deps: Pick<Deps, 'db' | 'clock'>): Promise<void> {
  await repo.deleteExpiredChallenges(deps.db, deps.clock.now())
}

// The passkey side of a sign-in (the flow itself is src/auth/passkey-login.service.ts, since it
// crosses features): challenges, the credential lookup and the sign counter. passkeys and
// passkey_challenges have one owner, this folder.

/** Stores a sign-in ceremony's challenge, bound to the hash of its pending-cookie token; 5 minutes. */
export async function storeSignInChallenge(db: Db, challenge: Buffer, pendingTokenHash: Buffer, now: Date): Promise<void> {
  await repo.insertChallenge(db, {
    purpose: 'authentication',
    challenge_hash: sha256(challengeText(challenge)),
    pending_token_hash: pendingTokenHash,
    created_at: now,
    expires_at: new Date(now.getTime() + PASSKEY_CHALLENGE_TTL_SECONDS * 1000),
  })
}

/** Takes (deletes and returns) the live sign-in challenge of a pending-cookie token: single use. */
export async function takeSignInChallenge(db: Db, pendingTokenHash: Buffer, now: Date) {
  return repo.takeAuthenticationChallenge(db, pendingTokenHash, now)
}

export async function findPasskeyByCredentialId(db: Db, credentialId: string) {
  return repo.findByCredentialId(db, credentialId)
}

/** Moves the sign counter forward after a verified assertion; false when it went backwards (a clone). */
export async function advanceSignCount(db: Db, passkeyId: string, signCount: number, backedUp: boolean, now: Date): Promise<boolean> {
  return repo.advanceSignCount(db, passkeyId, signCount, backedUp, now)
}
