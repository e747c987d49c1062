import { Type } from 'typebox'
import { AccountReply } from '../accounts/accounts.schemas.js'
import { Email, StrictObject } from '../http/schemas.js'
import { CurrentPassword, SecondFactorCode } from '../mfa/mfa.schemas.js'

// Bounded far above the policy maximum: the policy (code points) decides, this only caps the work.
export const PasswordInput = Type.String({ minLength: 1, maxLength: 4096 })
export const OneTimeTokenInput = Type.String({ minLength: 1, maxLength: 128 })

export const RegisterBody = StrictObject({ email: Email, password: PasswordInput })
export const RegisterReply = Type.Object({ status: Type.Literal('pending_verification') })
// The password the account was registered with: a link alone never verifies (docs/decisions/0041).
export const VerifyEmailBody = StrictObject({ token: OneTimeTokenInput, password: PasswordInput })
export const LoginBody = StrictObject({ email: Email, password: PasswordInput })
export const LoginReply = Type.Union([Type.Object({ user: AccountReply }), Type.Object({ mfaRequired: Type.Literal(true) })])
export const LoginMfaBody = StrictObject({ code: Type.String({ minLength: 6, maxLength: 32 }) })
export const LoginMfaReply = Type.Object({ user: AccountReply })
export const PasswordResetBody = StrictObject({ email: Email })
export const PasswordResetReply = Type.Object({ status: Type.Literal('accepted') })
export const PasswordResetConfirmBody = StrictObject({ token: OneTimeTokenInput, newPassword: PasswordInput })

// Changes to how the account signs in ask for full re-authentication (ASVS 5.0 V7.5.1), shaped
// like mfa.schemas ReauthBody: the password, and a TOTP or recovery code when TOTP is on.
export const ChangePasswordBody = StrictObject({ currentPassword: CurrentPassword, newPassword: PasswordInput, code: Type.Optional(SecondFactorCode) })
export const ChangeEmailBody = StrictObject({ newEmail: Email, password: CurrentPassword, code: Type.Optional(SecondFactorCode) })
export const ChangeEmailReply = Type.Object({ status: Type.Literal('pending_confirmation') })
export const ConfirmEmailBody = StrictObject({ token: OneTimeTokenInput })
