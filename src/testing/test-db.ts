// One database per test file, a copy of a template migrated to the latest version once before the
// suite (src/testing/global-setup.ts): test files never see each other's rows and run in parallel
// against one real PostgreSQL.
// A database a file is done with is emptied and handed to the next file of the same worker, when
// its structure is still exactly the template's (a fingerprint of the catalog: tables, columns,
// constraints, indexes, triggers, policies, functions, grants, database settings, migrations run).
// Creating and dropping a database cost PostgreSQL about half a second of CPU and disk each
// (PostgreSQL 15 logs the copy to its WAL; a drop waits on a checkpoint); emptying one costs a
// few milliseconds. A database whose structure a test changed (a migration run down, a trigger
// dropped, a grant made) is dropped as before. The global setup drops what is left at the end.
// useTestDb() registers that for the calling file; createTestDb() is for a test that needs more.
import { sql } from 'kysely'
import { afterAll, beforeAll, inject } from 'vitest'
import { randomSecret } from '../crypto/random.js'
import { createDb, type Db } from '../db/db.js'
import { databaseUrlFor } from './test-template.js'

export interface TestDb {
  db: Db
  /** The URL of this file's own database (connect with `search_path` set to `schema`). */
  url: string
  schema: string
  drop(): Promise<void>
}

// The catalog of every schema but PostgreSQL's own and the migrations run (on the search path), as
// sorted lines, hashed: equal for two databases exactly when a test could not tell them apart by
// their structure.
const FINGERPRINT = sql<{ fingerprint: string }>`
with ns as (select oid, nspname from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema'),
rel as (select c.* from pg_class c join ns on ns.oid = c.relnamespace)
select md5(string_agg(line, E'\\n' order by line)) as fingerprint from (
  select 'schema ' || nspname || ' ' || coalesce((select nspacl::text from pg_namespace n where n.oid = ns.oid), '') as line from ns
  union all select 'rel ' || oid::regclass::text || ' ' || relkind::text || ' ' || relrowsecurity::text || relforcerowsecurity::text || ' ' || coalesce(relacl::text, '') from rel
  union all select 'col ' || a.attrelid::regclass::text || ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    from pg_attribute a join rel on rel.oid = a.attrelid left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attnum > 0 and not a.attisdropped
  union all select 'con ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(c.oid) from pg_constraint c join ns on ns.oid = c.connamespace
  union all select 'idx ' || pg_get_indexdef(i.indexrelid) from pg_index i join rel on rel.oid = i.indexrelid
  union all select 'trg ' || tgrelid::regclass::text || ' ' || tgenabled::text || ' ' || pg_get_triggerdef(t.oid) from pg_trigger t join rel on rel.oid = t.tgrelid where not tgisinternal
  union all select 'pol ' || polrelid::regclass::text || ' ' || polname || ' ' || polcmd::text || ' ' || polpermissive::text || ' ' || polroles::text || ' ' || coalesce(pg_get_expr(polqual, polrelid), '') || ' ' || coalesce(pg_get_expr(polwithcheck, polrelid), '')
    from pg_policy p join rel on rel.oid = p.polrelid
  union all select 'fn ' || p.oid::regprocedure::text || ' ' || md5(pg_get_functiondef(p.oid)) || ' ' || coalesce(proacl::text, '') from pg_proc p join ns on ns.oid = p.pronamespace
  union all select 'type ' || t.oid::regtype::text || ' ' || coalesce((select string_agg(enumlabel, ',' order by enumsortorder) from pg_enum e where e.enumtypid = t.oid), '')
    from pg_type t join ns on ns.oid = t.typnamespace where t.typtype in ('e', 'd')
  union all select 'ext ' || extname || ' ' || extversion from pg_extension
  union all select 'set ' || array_to_string(setconfig, ',') from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase where d.datname = current_database()
  union all select 'migration ' || name from kysely_migration
) lines`

// The migrations' own bookkeeping holds rows from the start; every other table starts empty.
const KEEP_ROWS = new Set(['kysely_migration', 'kysely_migration_lock'])

// This worker's emptied databases (test files of one worker share modules: vitest's isolate: false).
const idle: string[] = []
let templateShape: Promise<TemplateShape> | undefined

/** Runs `work` on a one-connection pool to `url` (with `schema` first on the search path), then closes it. */
async function withDb<T>(url: string, work: (db: Db) => Promise<T>, schema?: string): Promise<T> {
  const db = createDb({ url, maxConnections: 1, ...(schema === undefined ? {} : { searchPath: schema }) })
  try {
    return await work(db)
  } finally {
    await db.destroy()
  }
}

async function fingerprintOf(db: Db): Promise<string> {
  return (await FINGERPRINT.execute(db)).rows[0]?.fingerprint ?? ''
}

interface TemplateShape {
  fingerprint: string
  /** Its tables (emptied on reuse, but for KEEP_ROWS) and sequences (started again). */
  relations: { schema: string; name: string; kind: string }[]
}

async function shapeOf(db: Db): Promise<TemplateShape> {
  const { rows } = await sql<{ schema: string; name: string; kind: string }>`
    select n.nspname as schema, c.relname as name, c.relkind::text as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'S') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'`.execute(db)
  return { fingerprint: await fingerprintOf(db), relations: rows }
}

/**
 * Empties a database a file is done with, on one of the file's own connections (its catalog
 * already cached), when its structure is still the template's; false when it is not (then it
 * must be dropped). Ends every other session on it first: the pool's other connections, and a
 * child process a test started that may still hold one for a moment.
 */
async function emptyForReuse(db: Db): Promise<boolean> {
  const template = await templateShape
  if (template === undefined) return false
  return db.connection().execute(async (conn) => {
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(conn)
    if ((await fingerprintOf(conn)) !== template.fingerprint) return false
    const relation = (r: { schema: string; name: string }) => sql.table(`${r.schema}.${r.name}`)
    // DELETE, not TRUNCATE: a truncation syncs every new file to disk at once (about 60 ms for
    // these tables); deleting the few rows a file left costs a few milliseconds. As a
    // superuser with replication-role triggers off: security_events refuses deletion to everyone
    // else (append-only), and foreign keys need no particular order. Sequences start again, as in
    // a fresh copy.
    await conn.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx)
      for (const r of template.relations) {
        if (r.kind === 'S') await sql`alter sequence ${relation(r)} restart`.execute(trx)
        else if (!KEEP_ROWS.has(r.name)) await sql`delete from ${relation(r)}`.execute(trx)
      }
    })
    return true
  })
}

export async function createTestDb(opts: { maxConnections?: number } = {}): Promise<TestDb> {
  const serverUrl = inject('databaseUrl')
  const template = inject('testTemplate')
  let name = idle.pop()
  if (name === undefined) {
    const created = `${template.prefix}${randomSecret(6).toString('hex')}`
    await withDb(serverUrl, async (admin) => {
      await sql`create database ${sql.id(created)} template ${sql.id(template.database)}`.execute(admin)
      // A commit returns before its WAL reaches the disk (what a crash of the test server would lose
      // is a throw-away database): every other transaction sees it at once, exactly as with a
      // flush, so locking, isolation and constraints behave as in production. Saves a WAL flush per
      // commit (about 2.5 ms each on a disk with fsync on), for this database's sessions and its
      // child processes'.
      await sql`alter database ${sql.id(created)} set synchronous_commit = off`.execute(admin)
    })
    // The first fresh copy shows what the template looks like to every later check.
    templateShape ??= withDb(databaseUrlFor(serverUrl, created), shapeOf, template.schema)
    await templateShape
    name = created
  }
  const database = name
  const url = databaseUrlFor(serverUrl, database)
  const db = createDb({ url, maxConnections: opts.maxConnections ?? 8, searchPath: template.schema })
  return {
    db,
    url,
    schema: template.schema,
    drop: async () => {
      const reusable = await emptyForReuse(db).catch(() => false)
      await db.destroy()
      if (reusable) {
        idle.push(database)
        return
      }
      // with (force): a child process a test started may still hold a connection for a moment.
      await withDb(serverUrl, (admin) => sql`drop database ${sql.id(database)} with (force)`.execute(admin))
    },
  }
}

/** Registers beforeAll/afterAll for a database of the calling file; the returned object is filled in before the first test. */
export function useTestDb(opts: { maxConnections?: number } = {}): TestDb {
  const holder = {} as TestDb
  beforeAll(async () => {
    Object.assign(holder, await createTestDb(opts))
  })
  afterAll(async () => {
    await holder.drop?.()
  })
  return holder
}
