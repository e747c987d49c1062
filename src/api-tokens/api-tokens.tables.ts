// Tables owned by src/api-tokens (migrations/202611251410_create_api_tokens.ts).
import type { ColumnType, Generated } from 'kysely'

export interface ApiTokensTable {
  id: Generated<string>
  account_id: string
  name: string
  /** HMAC-SHA-256 of the whole token under the key `key_id`; the token itself is never stored. */
  token_hash: Buffer
  key_id: string
  scopes: string[]
  created_at: ColumnType<Date, Date | undefined, Date>
  expires_at: Date
  last_used_at: Date | null
  revoked_at: Date | null
  /** The one organization the token may reach (src/orgs); null: none. */
  org_id: ColumnType<string | null, string | null | undefined, string | null>
}

export interface ApiTokenTables {
  api_tokens: ApiTokensTable
}
