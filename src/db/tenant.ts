// The tenant transaction: every read or write of tenant-owned rows (tables with org_id and a Row
// Level Security policy, docs/tenancy.md) runs inside withTenant(). It sets app.org_id and switches
// to the tenant role for this transaction only (is_local = true), in one statement, so:
// - the policy sees the organization the route resolved, and nothing else;
// - the role has no BYPASSRLS and owns no table, so the policy binds even when the pool connects as
//   a superuser (tests) or as the tables' owner (development);
// - both settings end with the transaction: a pooled connection never carries them to another request.
import { sql } from 'kysely'
import { isUuid } from '../crypto/random.js'
import type { Db, Trx } from './db.js'

export interface TenantDeps {
  readonly db: Db
  readonly config: { readonly db: { readonly tenantRole: string } }
}

/** Runs `work` in a transaction bound to organization `orgId` (Row Level Security applies). */
export async function withTenant<T>(deps: TenantDeps, orgId: string, work: (trx: Trx) => Promise<T>): Promise<T> {
  if (!isUuid(orgId)) throw new Error('withTenant: orgId is not a uuid')
  return deps.db.transaction().execute(async (trx) => {
    await sql`select set_config('app.org_id', ${orgId}, true), set_config('role', ${deps.config.db.tenantRole}, true)`.execute(trx)
    return work(trx)
  })
}
