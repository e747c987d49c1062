// The `user` object of /v1/me and of a login answer: the account plus whether MFA is on.
import { getAccount } from '../accounts/accounts.service.js'
import type { Deps } from '../deps.js'
import { CommonErrors } from '../errors.js'
import { hasConfirmedTotp } from '../mfa/mfa.service.js'

export interface UserView {
  id: string
  email: string
  emailVerified: boolean
  mfaEnabled: boolean
  createdAt: string
}

export async function userView(deps: Deps, accountId: string): Promise<UserView> {
  const account = await getAccount(deps.db, accountId)
  if (account === undefined) throw CommonErrors.unauthenticated()
  return { ...account, mfaEnabled: await hasConfirmedTotp(deps.db, accountId) }
}
