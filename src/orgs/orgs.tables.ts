// Tables owned by src/orgs (migrations/202612011200_create_organizations.ts): the tenancy directory.
import type { ColumnType, Generated } from 'kysely'

export interface OrganizationsTable {
  id: Generated<string>
  name: string
  mfa_required: Generated<boolean>
  created_at: ColumnType<Date, Date | undefined, Date>
}

export interface MembershipsTable {
  org_id: string
  account_id: string
  /** A role of src/orgs/roles.ts. */
  role: string
  created_at: ColumnType<Date, Date | undefined, Date>
}

export interface InvitationsTable {
  id: Generated<string>
  org_id: string
  email: string
  role: string
  /** SHA-256 of the mailed token; the token itself is never stored. */
  token_hash: Buffer
  invited_by: string | null
  created_at: Date
  expires_at: Date
  accepted_at: Date | null
  revoked_at: Date | null
}

export interface OrgTables {
  organizations: OrganizationsTable
  memberships: MembershipsTable
  invitations: InvitationsTable
}
