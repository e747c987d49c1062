// Passwordless sign-in with a discoverable passkey (WebAuthn L3 §7.2). Invariants:
// - the options carry no account hint: every caller gets the same shape, so nothing is enumerable;
// - the challenge is bound to a pending cookie (only its SHA-256 is stored), spent on first use
//   (a failed or replayed assertion cannot reuse it) and dead after PASSKEY_CHALLENGE_TTL_SECONDS;
// - an assertion for a known credential is counted like a password guess (per account and per
//   address, reserved before the check); past the limit even a valid one gets 429;
// - a verified assertion passes the same account checks as a password login (deleted, flagged
//   password, unverified email) and then counts as multi-factor (user verification is required);
// - a sign counter that does not move forward on a verified assertion (a cloned authenticator)
//   refuses the sign-in and mails the owner; the passkey stays for the owner to judge.
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import { credentialsVersion, findAccountById, isPasswordChangeRequired, resendVerification } from '../accounts/accounts.service.js'
import { completeLogin, LoginErrors, loginThrottleRules, type LoginResult } from './login.service.js'
import { CompromiseErrors, sendChangeLink } from './password-compromise.service.js'
import { constantTimeEqual, sha256 } from '../crypto/hash.js'
import { randomToken } from '../crypto/random.js'
import type { Deps } from '../deps.js'
import { enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'
import { ipKey, refuseThrottled, releaseAttempt, reserveAll, type ThrottleRule } from '../throttle/throttle.service.js'
import { PasskeyErrors } from '../passkeys/passkeys.errors.js'
import type { AuthenticationResponse } from '../passkeys/passkeys.schemas.js'
import * as passkeys from '../passkeys/passkeys.service.js'
import { authenticationOptions, relyingParty, verifyAssertion } from '../passkeys/webauthn.js'

const PENDING_TOKEN_BYTES = 32
const PENDING_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

/** Opens a sign-in ceremony: the options for navigator.credentials.get() and the pending-cookie token. */
export async function startPasskeySignIn(deps: Deps) {
  const now = deps.clock.now()
  const challenge = passkeys.newChallenge()
  const pendingToken = randomToken(PENDING_TOKEN_BYTES)
  await passkeys.storeSignInChallenge(deps.db, challenge, sha256(pendingToken), now)
  return { options: await authenticationOptions(relyingParty(deps.config), challenge), pendingToken }
}

function ipRule(deps: Deps, ip: string): ThrottleRule {
  const { loginMaxFailuresPerIp: limit, loginFailureWindowSeconds: windowSeconds } = deps.config.auth
  return { key: ipKey('login', ip), limit, windowSeconds }
}

/**
 * Verifies the assertion against the ceremony of `pendingToken` and signs in. Throws 401
 * invalid_credentials for anything that does not verify, 429 when throttled, 403
 * email_not_verified or password_change_required after a valid assertion.
 */
export async function finishPasskeySignIn(deps: Deps, pendingToken: string, response: AuthenticationResponse, meta: RequestMeta): Promise<LoginResult> {
  const now = deps.clock.now()
  const pending = PENDING_TOKEN_SHAPE.test(pendingToken) ? await passkeys.takeSignInChallenge(deps.db, sha256(pendingToken), now) : undefined
  const passkey = await passkeys.findPasskeyByCredentialId(deps.db, response.id)
  const account = passkey === undefined ? undefined : await findAccountById(deps.db, passkey.account_id)

  const rules = account === undefined ? [ipRule(deps, meta.ip)] : loginThrottleRules(deps, account.email, meta.ip)
  const reservation = await reserveAll(deps, rules, now)
  if (!reservation.allowed) await refuseThrottled(deps, reservation, { accountId: account?.id ?? null, meta, at: now, details: { factor: 'passkey' } })
  const refuse = async (reason: string): Promise<never> => {
    await recordEvent(deps.db, { type: 'login.failed', accountId: account?.id ?? null, meta, at: now, details: { factor: 'passkey', reason } })
    throw PasskeyErrors.invalidAssertion()
  }
  if (passkey === undefined || account === undefined) return refuse('unknown_credential')
  if (pending === undefined) return refuse('no_challenge')
  // Read before the assertion is checked: a password reset landing meanwhile (it removes every
  // passkey and moves the version) must not be outlived by this sign-in (decision 0043).
  const version = await credentialsVersion(deps.db, account.id)
  if (version === undefined) return refuse('unknown_credential')
  // WebAuthn L3 §7.2 step 6: the user handle, when given, must be the one this credential was made for.
  const handle = response.response.userHandle
  if (handle !== undefined && !constantTimeEqual(handle, passkey.user_handle)) return refuse('user_handle')

  const rp = relyingParty(deps.config)
  const verified = await verifyAssertion(
    rp,
    response,
    { id: passkey.credential_id, publicKey: passkey.public_key, transports: passkey.transports },
    passkeys.challengeMatcher(pending.challenge_hash),
  )
  if (verified === null) return refuse('assertion')
  // Checked (and moved) after the signature verified, so only the real key can raise this alarm.
  const stored = passkey.sign_count
  if (!(await passkeys.advanceSignCount(deps.db, passkey.id, verified.newSignCount, verified.backedUp, now))) {
    await deps.db.transaction().execute(async (trx) => {
      await recordEvent(trx, {
        type: 'passkey.counter_regressed',
        accountId: account.id,
        meta,
        at: now,
        details: { passkeyId: passkey.id, stored, presented: verified.newSignCount },
      })
      await enqueueMail(
        trx,
        mails.notice(
          mailContext(deps.config),
          account.email,
          'A copy of one of your passkeys may exist',
          `A sign-in with the passkey "${passkey.name}" was refused: its signature counter went backwards, which is what a cloned authenticator does. If you did not just restore or copy it, remove it and review your account.`,
        ),
        now,
      )
    })
    return refuse('counter_regressed')
  }
  for (const rule of rules) await releaseAttempt(deps, rule.key)

  // The same account checks as the password path (src/auth/login.service.ts).
  if (await isPasswordChangeRequired(deps.db, account.id)) {
    await sendChangeLink(deps, account.email, meta)
    throw CompromiseErrors.changeRequired()
  }
  if (deps.config.auth.requireVerifiedEmail && account.email_verified_at === null) {
    await resendVerification(deps, account.id, account.email)
    throw LoginErrors.emailNotVerified()
  }
  return completeLogin(deps, account.id, meta, 'passkey', version)
}
