import { type Static, Type } from 'typebox'
import { AccountReply } from '../accounts/accounts.schemas.js'
import { Email, Password, StrictObject } from '../http/schemas.js'
import { SecondFactorCode } from '../mfa/mfa.schemas.js'

export const OneTimeTokenInput = Type.String({ minLength: 1, maxLength: 128 })

export const RegisterBody = StrictObject({ email: Email, password: Password })
export const RegisterReply = StrictObject({ status: Type.Literal('pending_verification') })
// The password the account was registered with: a link alone never verifies (docs/decisions/0041).
export const VerifyEmailBody = StrictObject({ token: OneTimeTokenInput, password: Password })
export const LoginBody = StrictObject({ email: Email, password: Password })
export const LoginReply = Type.Union([StrictObject({ user: AccountReply }), StrictObject({ mfaRequired: Type.Literal(true) })])
export const LoginMfaBody = StrictObject({ code: Type.String({ minLength: 6, maxLength: 32 }) })
export const LoginMfaReply = StrictObject({ user: AccountReply })
export const PasswordResetBody = StrictObject({ email: Email })
export const PasswordResetReply = StrictObject({ status: Type.Literal('accepted') })
export const PasswordResetConfirmBody = StrictObject({ token: OneTimeTokenInput, newPassword: Password })

// Changes to how the account signs in ask for full re-authentication (ASVS 5.0 V7.5.1), shaped
// like mfa.schemas ReauthBody: the password, and a TOTP or recovery code when TOTP is on.
export const ChangePasswordBody = StrictObject({ currentPassword: Password, newPassword: Password, code: Type.Optional(SecondFactorCode) })
export const ChangeEmailBody = StrictObject({ newEmail: Email, password: Password, code: Type.Optional(SecondFactorCode) })
export const ChangeEmailReply = StrictObject({ status: Type.Literal('pending_confirmation') })
export const ConfirmEmailBody = StrictObject({ token: OneTimeTokenInput })

export type RegisterBody = Static<typeof RegisterBody>
export type LoginBody = Static<typeof LoginBody>
