// Runs migrations/ with Kysely's Migrator. The Migrator reports failures in its result rather than
// throwing; this wrapper turns them into one thrown error so a failed migration stops start-up.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Kysely, MigrationResultSet } from 'kysely'
import { Migrator } from 'kysely'
import { migrations } from '../../migrations/index.js'

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations')

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Kysely instance may be migrated
type AnyDb = Kysely<any>

function migrator(db: AnyDb, schema: string | undefined): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    // Always name the schema: the "does the table exist" check otherwise looks in every schema
    // and would find another test file's migration table.
    migrationTableSchema: schema ?? 'public',
  })
}

function check({ error, results }: MigrationResultSet): string[] {
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new Error(`migration ${failed} failed`, { cause: error })
  }
  return (results ?? []).map((r) => `${r.direction === 'Up' ? 'applied' : 'reverted'} ${r.migrationName}`)
}

export async function migrateToLatest(db: AnyDb, opts: { schema?: string } = {}): Promise<string[]> {
  return check(await migrator(db, opts.schema).migrateToLatest())
}

export async function migrateDown(db: AnyDb, opts: { schema?: string } = {}): Promise<string[]> {
  return check(await migrator(db, opts.schema).migrateDown())
}
