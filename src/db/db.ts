// Kysely over a pg pool. Statement and connection timeouts are bounded so a stuck database turns
// into a 503 (see http/error-handler.ts), never into requests that hang forever.
import { Kysely, PostgresDialect, type Transaction } from 'kysely'
import pg from 'pg'
import type { DB } from './schema.js'

export type Db = Kysely<DB>
export type Trx = Transaction<DB>

export interface DbOptions {
  url: string
  maxConnections: number
  /** Only set by tests (a generated schema name), never from user input. */
  searchPath?: string
  onPoolError?: (err: Error) => void
}

// pg returns int8/bigint as strings by default; counts in this codebase stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10))

export function createDb(opts: DbOptions): Db {
  if (opts.searchPath !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(opts.searchPath)) {
    throw new Error('invalid search path')
  }
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.maxConnections,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 15_000,
    application_name: 'secure-saas-starter',
    ...(opts.searchPath !== undefined ? { options: `-c search_path=${opts.searchPath}` } : {}),
  })
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', (err) => opts.onPoolError?.(err))
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
}
