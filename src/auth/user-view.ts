// The `user` object of a login answer (src/accounts/user-view.ts), with the mfa feature's answer.
import { userView as accountUserView, type UserView } from '../accounts/user-view.js'
import type { Deps } from '../deps.js'
import { hasConfirmedTotp } from '../mfa/mfa.service.js'

export async function userView(deps: Deps, accountId: string): Promise<UserView> {
  return accountUserView(deps, accountId, hasConfirmedTotp)
}
