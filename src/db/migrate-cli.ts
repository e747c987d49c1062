// `npm run migrate [up|down]`: runs migrations against DATABASE_MIGRATION_URL (the schema owner)
// or DATABASE_URL. Without either, in development, against the embedded PostgreSQL.
import { loadConfig } from '../config/config.js'
import { ConfigError } from '../config/config-error.js'
import { ensureTenantRole, grantAppRole } from './grants.js'
import { openCliDatabase } from './embedded.js'
import { migrateDown, migrateToLatest } from './migrate.js'

async function main(direction: string): Promise<void> {
  if (direction !== 'up' && direction !== 'down') throw new ConfigError('usage: npm run migrate [up|down]')
  const config = await loadConfig()
  const { db, close } = await openCliDatabase(config.db.migrationUrl ?? config.db.url, 1)
  try {
    const lines = direction === 'up' ? await migrateToLatest(db) : await migrateDown(db)
    process.stdout.write(`${lines.length > 0 ? lines.join('\n') : 'nothing to migrate'}\n`)
    if (direction === 'up' && (await grantAppRole(db, config.db.appRole))) process.stdout.write(`granted row access to role ${config.db.appRole}\n`)
    if (direction === 'up') await ensureTenantRole(db, config.db.tenantRole, { appRole: config.db.appRole })
  } finally {
    await close()
  }
}

main(process.argv[2] ?? 'up').catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? 'configuration error' : 'migration failed'}: ${err instanceof Error ? err.message : 'unknown'}\n`)
  process.exit(1)
})
