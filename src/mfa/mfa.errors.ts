// Error codes of the MFA feature (stable; clients and tests match the code, never the message).
import { AppError } from '../errors.js'

export const MfaErrors = {
  alreadyEnabled: () => new AppError('mfa_already_enabled', 409, 'Two-factor sign-in is already on; turn it off first'),
  notPending: () => new AppError('totp_not_pending', 409, 'There is no pending TOTP enrolment to confirm; start one first'),
  requiredByPolicy: () => new AppError('mfa_required', 409, 'Two-factor sign-in is required here; it cannot be turned off'),
  notEnabled: () => new AppError('mfa_not_enabled', 409, 'Two-factor sign-in is not on'),
  // The account has a second factor and this session did not sign in with one: adding another
  // needs that level first (NIST SP 800-63B-4 §4.1.2.1; decision 0101).
  stepUpRequired: () => new AppError('mfa_required', 403, 'Sign in with your second factor (TOTP or a passkey) to add another'),
  invalidCode: () => new AppError('invalid_code', 401, 'The code is not valid'),
  // Full re-authentication (password, and a code when TOTP is on) failed: one answer for either part.
  reauthFailed: () => new AppError('invalid_credentials', 401, 'The password or code is not correct'),
  // TOTP is on and the re-authentication came without a code: the client should ask for one.
  codeRequired: () => new AppError('mfa_code_required', 401, 'A current two-factor code (or a recovery code) is required'),
  // The pending login (its cookie) is unknown, expired, used up or already completed: log in again.
  challengeInvalid: () => new AppError('unauthenticated', 401, 'The sign-in has expired; sign in again'),
} as const
