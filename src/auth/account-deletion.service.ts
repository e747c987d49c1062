// Account deletion crosses features: the password re-check and the record are the accounts
// feature's, the last-owner rule and the organizations' audit trails are the organizations'. So the
// flow lives here, and accounts never imports orgs (docs/decisions/0080-layers-enforced.md).
// Invariant: every organization the account belonged to records its departure (member.left, reason
// account_deleted, ids only) in the deleting transaction, so a deletion and its trail commit together.
import { deleteAccountRecord, findAccountById, lockAccount } from '../accounts/accounts.service.js'
import type { RequestMeta } from '../audit/audit.service.js'
import type { Deps } from '../deps.js'
import { reauthenticate } from '../mfa/mfa.service.js'
import { assertNotLastOwnerAnywhere, leaveEveryOrganization, lockMembershipsOf } from '../orgs/members.service.js'

/**
 * Deletes the account after full re-authentication (the password, and a code when TOTP is on: 401
 * invalid_credentials or mfa_code_required, counted like logins); everything it owns goes with it
 * in one transaction. 409 last_owner when an organization would be left without an owner.
 */
export async function deleteAccount(
  deps: Deps,
  input: { accountId: string; password: string; code?: string },
  meta: RequestMeta & { readonly requestId?: string },
): Promise<void> {
  const { accountId, ...reauth } = input
  await reauthenticate(deps, accountId, reauth, meta)
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    const account = await findAccountById(trx, accountId)
    if (account === undefined) return
    // 409 last_owner: an organization is never left without an owner (locks its owner rows).
    await assertNotLastOwnerAnywhere(trx, accountId)
    // Memberships, then the account row (the order an invitation the account sends takes them in);
    // with the row held, no join slips in between the departures recorded below and the deletion.
    await lockMembershipsOf(trx, accountId)
    await lockAccount(trx, accountId)
    await leaveEveryOrganization(trx, accountId, meta, now)
    await deleteAccountRecord(trx, deps, account, meta, now)
  })
}
