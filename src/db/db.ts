// Kysely over a pg pool. Statement and connection timeouts are bounded so a stuck database turns
// into a 503 (see http/error-handler.ts), never into requests that hang forever.
import { CompiledQuery, type DatabaseIntrospector, Kysely, type LogConfig, PostgresDialect, type Transaction } from 'kysely'
import pg from 'pg'
import { SearchPathIntrospector } from './introspector.js'
import type { DB } from './schema.js'

export type Db = Kysely<DB>
export type Trx = Transaction<DB>

export interface DbOptions {
  url: string
  maxConnections: number
  /** Only set by tests (a generated schema name), never from user input. */
  searchPath?: string
  onPoolError?: (err: Error) => void
  /** Sees every statement sent, however it was built (tests count round trips with it). */
  log?: LogConfig
}

// pg returns int8/bigint as strings by default; counts in this codebase stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10))

// Hot statements (one per authenticated request, made with hotStatement() below) open with this
// marker; they run as named prepared statements, so PostgreSQL parses and plans them once per
// connection instead of on every request (planning cost several times the execution; docs/benchmarks.md).
export const PREPARED_MARKER = '/* prepared */'
const preparedNames = new Map<string, string>()
const patched = new WeakSet<pg.PoolClient>()

function prepareMarkedStatements(client: pg.PoolClient): void {
  if (patched.has(client)) return
  patched.add(client)
  const query = client.query.bind(client) as (config: unknown, values?: unknown) => Promise<unknown>
  const wrapped = (config: unknown, values?: unknown): Promise<unknown> => {
    if (typeof config !== 'string' || !config.startsWith(PREPARED_MARKER)) return query(config, values)
    let name = preparedNames.get(config)
    if (name === undefined) {
      name = `sss_${preparedNames.size}`
      preparedNames.set(config, name)
    }
    return query({ name, text: config, values })
  }
  client.query = wrapped as typeof client.query
}

/**
 * A hot statement written once as SQL text with $n parameters: it runs as a named prepared
 * statement (above) and skips Kysely's template building and compiling on every call (the text is
 * fixed, so there is nothing to build). Parameters are still sent apart from the text, never
 * spliced into it.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the tuple types the $n parameters at each call site
export function hotStatement<Row, Params extends readonly unknown[]>(text: string): (db: Db, ...params: Params) => Promise<Row[]> {
  const marked = `${PREPARED_MARKER}\n${text}`
  return async (db, ...params) => (await db.executeQuery<Row>(CompiledQuery.raw(marked, [...params]))).rows
}

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
  // pg-pool passes the client as a second argument and also hangs it on err.client: never log
  // the error object whole (see describePoolError).
  pool.on('error', (err) => opts.onPoolError?.(err))
  pool.on('connect', prepareMarkedStatements)
  return new Kysely<DB>({ dialect: new AppDialect({ pool }), ...(opts.log !== undefined ? { log: opts.log } : {}) })
}

/** PostgreSQL, with introspection limited to the search path (see introspector.ts). */
class AppDialect extends PostgresDialect {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the dialect's own signature
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SearchPathIntrospector(db)
  }
}

/**
 * The one line to log when an idle pooled connection drops (a restart, a failover,
 * pg_terminate_backend): the server's message and its SQLSTATE. Never the error object itself:
 * pg-pool attaches the whole pg client to it (connection parameters, type parsers, sockets),
 * which the logger would dump over a hundred lines. The pool opens a new connection on the next query.
 */
export function describePoolError(err: unknown): string {
  const { message, code } = (err ?? {}) as { message?: unknown; code?: unknown }
  const text = typeof message === 'string' && message.trim() !== '' ? (message.split('\n')[0] ?? '').slice(0, 200) : 'unknown error'
  const state = typeof code === 'string' && /^[0-9A-Z_]{1,32}$/.test(code) ? ` (${/^[0-9A-Z]{5}$/.test(code) ? 'SQLSTATE ' : ''}${code})` : ''
  return `database connection lost: ${text}${state}; the pool reconnects on the next query`
}
