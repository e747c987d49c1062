// `npm run migrate [up|down]`: runs migrations against DATABASE_MIGRATION_URL (the schema owner)
// or DATABASE_URL. Without either, in development, against the embedded PostgreSQL. In a container
// it is the one-shot migration job (`node dist/src/db/migrate-cli.js up`: Compose service and
// Kubernetes Job `migrate`), which needs the migration URL and nothing else (loadMigrationConfig).
import { ConfigError } from '../config/config-error.js'
import { loadMigrationConfig } from '../config/migration-config.js'
import { connectedRole, ensureTenantRole, grantAppRole } from './grants.js'
import { openCliDatabase } from './embedded.js'
import { migrateDown, migrateToLatest } from './migrate.js'

async function main(direction: string): Promise<void> {
  if (direction !== 'up' && direction !== 'down') throw new ConfigError('usage: npm run migrate [up|down]')
  const config = await loadMigrationConfig()
  const { db, close } = await openCliDatabase(config.url, 1)
  try {
    const role = await connectedRole(db)
    if (config.env === 'production' && role.superuser) {
      process.stdout.write(
        `warning: migrating as the superuser ${role.name}; use a schema owner without superuser rights (infra/postgres/create-app-role.sh)\n`,
      )
    }
    const lines = direction === 'up' ? await migrateToLatest(db) : await migrateDown(db)
    process.stdout.write(`${lines.length > 0 ? lines.join('\n') : 'nothing to migrate'}\n`)
    if (direction === 'up' && (await grantAppRole(db, config.appRole))) process.stdout.write(`granted row access to role ${config.appRole}\n`)
    if (direction === 'up') await ensureTenantRole(db, config.tenantRole, { appRole: config.appRole })
  } finally {
    await close()
  }
}

main(process.argv[2] ?? 'up').catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? 'configuration error' : 'migration failed'}: ${err instanceof Error ? err.message : 'unknown'}\n`)
  process.exit(1)
})
