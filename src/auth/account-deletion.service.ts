// Account deletion crosses features: the password re-check and the record are the accounts
// feature's, the last-owner rule is the organizations'. So the flow lives here, and accounts never
// imports orgs (docs/decisions/0080-layers-enforced.md).
import { AccountErrors, deleteAccountRecord, findAccountById, verifyAccountPassword } from '../accounts/accounts.service.js'
import type { RequestMeta } from '../audit/audit.service.js'
import type { Deps } from '../deps.js'
import { assertNotLastOwnerAnywhere } from '../orgs/members.service.js'

/**
 * Deletes the account after a password re-check; everything it owns goes with it in one
 * transaction. 409 last_owner when an organization would be left without an owner.
 */
export async function deleteAccount(deps: Deps, input: { accountId: string; password: string }, meta: RequestMeta): Promise<void> {
  if (!(await verifyAccountPassword(deps, input.accountId, input.password))) throw AccountErrors.invalidPassword()
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    const account = await findAccountById(trx, input.accountId)
    if (account === undefined) return
    // 409 last_owner: an organization is never left without an owner (locks its owner rows).
    await assertNotLastOwnerAnywhere(trx, input.accountId)
    await deleteAccountRecord(trx, deps, account, meta, now)
  })
}
