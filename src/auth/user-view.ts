// The `user` object of /v1/me and of a login answer: the account plus whether MFA is on.
import { getAccount } from '../accounts/accounts.service.js'
import type { Deps } from '../deps.js'
import { CommonErrors } from '../errors.js'
import { hasConfirmedTotp } from '../mfa/mfa.service.js'
import type { PrincipalAccount } from '../principal/principal.types.js'
import type { AccountReply } from '../accounts/accounts.schemas.js'

export type UserView = AccountReply

/** The view from the account state the principal was resolved with: no further query. */
export function userViewOf(accountId: string, account: PrincipalAccount): UserView {
  return { id: accountId, email: account.email, emailVerified: account.emailVerified, mfaEnabled: account.mfaEnabled, createdAt: account.createdAt.toISOString() }
}

export async function userView(deps: Deps, accountId: string): Promise<UserView> {
  const account = await getAccount(deps.db, accountId)
  if (account === undefined) throw CommonErrors.unauthenticated()
  return { ...account, mfaEnabled: await hasConfirmedTotp(deps.db, accountId) }
}
