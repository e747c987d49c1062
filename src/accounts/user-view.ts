// The `user` object of /v1/me and of a login answer: the account plus whether MFA is on.
import type { Db } from '../db/db.js'
import type { Deps } from '../deps.js'
import { CommonErrors } from '../errors.js'
import type { PrincipalAccount } from '../principal/principal.types.js'
import type { AccountReply } from './accounts.schemas.js'
import { getAccount } from './accounts.service.js'

/** The wire view: exactly the reply schema's shape. */
export type UserView = AccountReply

/** Whether the account has a confirmed TOTP factor. The mfa feature answers it (it sits above accounts). */
export type MfaStatus = (db: Db, accountId: string) => Promise<boolean>

/** The view from the account state the principal was resolved with: no further query. */
export function userViewOf(accountId: string, account: PrincipalAccount): UserView {
  return {
    id: accountId,
    email: account.email,
    emailVerified: account.emailVerified,
    mfaEnabled: account.mfaEnabled,
    createdAt: account.createdAt.toISOString(),
  }
}

export async function userView(deps: Deps, accountId: string, mfaEnabled: MfaStatus): Promise<UserView> {
  const account = await getAccount(deps.db, accountId)
  if (account === undefined) throw CommonErrors.unauthenticated()
  return { ...account, mfaEnabled: await mfaEnabled(deps.db, accountId) }
}
