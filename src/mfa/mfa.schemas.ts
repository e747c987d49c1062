// Request and response schemas of /v1/me/mfa. Bodies refuse unknown fields; replies name every
// field they may carry, so nothing else (a sealed secret, a hash) can be serialised by mistake.
import { type Static, Type } from 'typebox'
import { Password, StrictObject } from '../http/schemas.js'
import { RECOVERY_CODE_COUNT } from './recovery-codes.js'

export const TotpCode = Type.String({ pattern: '^[0-9]{6}$', minLength: 6, maxLength: 6, description: 'The 6-digit code from the authenticator app' })

export const ConfirmTotpBody = StrictObject({ code: TotpCode })
export const PasswordBody = StrictObject({ password: Password })
/** A TOTP code (spaces allowed, "123 456") or a recovery code, for full re-authentication. */
export const SecondFactorCode = Type.String({ minLength: 6, maxLength: 64, description: 'A current TOTP code or an unused recovery code' })
/** Full re-authentication: the password, and a code when TOTP is on (ASVS 5.0 V7.5.1). */
export const ReauthBody = StrictObject({ password: Password, code: Type.Optional(SecondFactorCode) })

export const TotpEnrolmentReply = StrictObject({
  secret: Type.String({ maxLength: 64, description: 'Base32 secret, shown this once' }),
  otpauthUrl: Type.String({ maxLength: 2048, description: 'otpauth:// URL for authenticator apps' }),
  qrSvg: Type.String({ maxLength: 200_000, description: 'The otpauth URL as an SVG QR code' }),
})

export const RecoveryCodesReply = StrictObject({
  recoveryCodes: Type.Array(Type.String({ maxLength: 64 }), {
    minItems: RECOVERY_CODE_COUNT,
    maxItems: RECOVERY_CODE_COUNT,
    description: 'Single-use recovery codes, shown this once',
  }),
})

export type ConfirmTotpBody = Static<typeof ConfirmTotpBody>
export type PasswordBody = Static<typeof PasswordBody>
export type ReauthBody = Static<typeof ReauthBody>
export type TotpEnrolmentReply = Static<typeof TotpEnrolmentReply>
export type RecoveryCodesReply = Static<typeof RecoveryCodesReply>
