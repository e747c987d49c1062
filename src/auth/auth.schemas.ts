import { Type } from 'typebox'
import { AccountReply } from '../accounts/accounts.schemas.js'
import { Email, StrictObject } from '../http/schemas.js'

// Bounded far above the policy maximum: the policy (code points) decides, this only caps the work.
export const PasswordInput = Type.String({ minLength: 1, maxLength: 4096 })
export const OneTimeTokenInput = Type.String({ minLength: 1, maxLength: 128 })

export const RegisterBody = StrictObject({ email: Email, password: PasswordInput })
export const RegisterReply = Type.Object({ status: Type.Literal('pending_verification') })
export const VerifyEmailBody = StrictObject({ token: OneTimeTokenInput })
export const LoginBody = StrictObject({ email: Email, password: PasswordInput })
export const LoginReply = Type.Union([Type.Object({ user: AccountReply }), Type.Object({ mfaRequired: Type.Literal(true) })])
export const LoginMfaBody = StrictObject({ code: Type.String({ minLength: 6, maxLength: 32 }) })
export const LoginMfaReply = Type.Object({ user: AccountReply })
export const PasswordResetBody = StrictObject({ email: Email })
export const PasswordResetReply = Type.Object({ status: Type.Literal('accepted') })
export const PasswordResetConfirmBody = StrictObject({ token: OneTimeTokenInput, newPassword: PasswordInput })
