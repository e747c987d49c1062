// Account deletion crosses features: the password re-check and the record are the accounts
// feature's, the last-owner rule is the organizations'. So the flow lives here, and accounts never
// imports orgs (docs/decisions/0080-layers-enforced.md).
import { deleteAccountRecord, findAccountById } from '../accounts/accounts.service.js'
import type { RequestMeta } from '../audit/audit.service.js'
import type { Deps } from '../deps.js'
import { reauthenticate } from '../mfa/mfa.service.js'
import { assertNotLastOwnerAnywhere } from '../orgs/members.service.js'

/**
 * Deletes the account after full re-authentication (the password, and a code when TOTP is on: 401
 * invalid_credentials or mfa_code_required, counted like logins); everything it owns goes with it
 * in one transaction. 409 last_owner when an organization would be left without an owner.
 */
export async function deleteAccount(deps: Deps, input: { accountId: string; password: string; code?: string }, meta: RequestMeta): Promise<void> {
  const { accountId, ...reauth } = input
  await reauthenticate(deps, accountId, reauth, meta)
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    const account = await findAccountById(trx, accountId)
    if (account === undefined) return
    // 409 last_owner: an organization is never left without an owner (locks its owner rows).
    await assertNotLastOwnerAnywhere(trx, accountId)
    await deleteAccountRecord(trx, deps, account, meta, now)
  })
}
