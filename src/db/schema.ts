// The database schema as Kysely sees it. Each feature adds its tables here with its migration;
// src/db/schema.int.test.ts checks every table and column named here exists after migrating.
import type { ColumnType, Generated } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>

export interface SecurityEventsTable {
  id: Generated<number>
  account_id: string | null
  type: string
  occurred_at: Timestamp
  ip: string | null
  user_agent: string | null
  details: ColumnType<Record<string, unknown>, string | undefined, string>
}

export interface DB {
  security_events: SecurityEventsTable
}
