// What the one-shot migration job needs, and nothing else: the schema owner's connection and the
// name of the role to grant. It reads no key ring, no SMTP or Redis URL, so the job's secrets are
// the migration URL alone (docs/decisions/0075-migrations-as-a-one-shot-job.md).
import Type from 'typebox'
import { ConfigError } from './config-error.js'
import type { NodeEnv } from './config.js'
import { assertVaultScheme, detectRuntime, type Runtime } from './deployment.js'
import { EnvSchema } from './env-schema.js'
import { readEnv } from './read-env.js'
import { type Env, fetchVaultSecrets, resolveSecrets, VAULT_SETTINGS, vaultSourceFrom } from './secrets.js'

export interface MigrationConfig {
  readonly env: NodeEnv
  /** undefined: the embedded development database. */
  readonly url: string | undefined
  readonly appRole: string
  /** The NOLOGIN role tenant transactions switch to (Row Level Security binds it): src/db/tenant.ts. */
  readonly tenantRole: string
}

/** The variables the job reads, validated by the same schema as the server's (role names included). */
const MigrationSchema = Type.Pick(EnvSchema, ['NODE_ENV', 'DATABASE_MIGRATION_URL', 'DATABASE_URL', 'DATABASE_APP_ROLE', 'DATABASE_TENANT_ROLE'])

export async function loadMigrationConfig(env: Env = process.env, options: { runtime?: Runtime } = {}): Promise<MigrationConfig> {
  const early = readEnv(Type.Pick(EnvSchema, ['NODE_ENV', ...VAULT_SETTINGS]), env)
  const production = early.NODE_ENV === 'production'
  const runtime = options.runtime ?? detectRuntime(env)
  assertVaultScheme(early.VAULT_ADDR, { developmentLike: !production && ((env['NODE_ENV'] ?? '') !== '' || !runtime.inContainer) })
  const vault = await vaultSourceFrom(early, env)
  const found = await resolveSecrets(env, ['DATABASE_MIGRATION_URL', 'DATABASE_URL'], vault ? await fetchVaultSecrets(vault) : {})
  const e = readEnv(MigrationSchema, { ...env, ...found })
  const url = e.DATABASE_MIGRATION_URL ?? e.DATABASE_URL
  if (production && url === undefined) throw new ConfigError('DATABASE_MIGRATION_URL: required in production (the schema owner, e.g. app_owner)')
  return Object.freeze({ env: e.NODE_ENV, url, appRole: e.DATABASE_APP_ROLE, tenantRole: e.DATABASE_TENANT_ROLE })
}
