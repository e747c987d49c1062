// Error codes of the passkeys feature (stable; clients and tests match the code, never the message).
import { AppError } from '../errors.js'

export const PasskeyErrors = {
  // Any registration that does not verify: no live challenge for this session, a spent or foreign
  // one, wrong origin or RP ID, no user verification, a malformed attestation. One answer for all.
  registrationRejected: () => new AppError('passkey_rejected', 400, 'The passkey could not be registered; start again'),
  // The credential id is already registered (to this account or another).
  alreadyRegistered: () => new AppError('passkey_exists', 409, 'This passkey is already registered'),
  limitReached: (max: number) => new AppError('passkey_limit_reached', 422, `An account may hold at most ${max} passkeys; remove one first`),
  notFound: () => new AppError('not_found', 404, 'Passkey not found'),
  // MFA_REQUIRED and this is the account's last second factor.
  lastFactor: () => new AppError('mfa_required', 409, 'Two-factor sign-in is required here; add another factor before removing this one'),
  // Every sign-in assertion that does not verify, whatever the reason (WebAuthn reveals nothing).
  invalidAssertion: () => new AppError('invalid_credentials', 401, 'The passkey sign-in did not succeed; try again'),
  // MFA_REQUIRED: the account's only second factor is a passkey, so a password alone opens nothing.
  passkeyRequired: () => new AppError('passkey_required', 403, 'This account signs in with its passkey (two-factor sign-in is required)'),
} as const
