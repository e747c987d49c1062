// What the one-shot migration job needs, and nothing else: the schema owner's connection and the
// name of the role to grant. It reads no key ring, no SMTP or Redis URL, so the job's secrets are
// the migration URL alone (docs/decisions/0075-migrations-as-a-one-shot-job.md).
import { ConfigError } from './config-error.js'
import type { NodeEnv } from './config.js'
import { assertVaultScheme, detectRuntime, type Runtime } from './deployment.js'
import { oneOf, optionalStr, str, urlWithScheme } from './readers.js'
import { type Env, fetchVaultSecrets, resolveSecrets, vaultSourceFrom } from './secrets.js'

export interface MigrationConfig {
  readonly env: NodeEnv
  /** undefined: the embedded development database. */
  readonly url: string | undefined
  readonly appRole: string
  /** The NOLOGIN role tenant transactions switch to (Row Level Security binds it): src/db/tenant.ts. */
  readonly tenantRole: string
}

export async function loadMigrationConfig(env: Env = process.env, options: { runtime?: Runtime } = {}): Promise<MigrationConfig> {
  const nodeEnv = oneOf<NodeEnv>(env, 'NODE_ENV', ['development', 'production', 'test'], 'development')
  const production = nodeEnv === 'production'
  const runtime = options.runtime ?? detectRuntime(env)
  assertVaultScheme(env, { developmentLike: !production && (optionalStr(env, 'NODE_ENV') !== undefined || !runtime.inContainer) })
  const vault = await vaultSourceFrom(env)
  const found = await resolveSecrets(env, ['DATABASE_MIGRATION_URL', 'DATABASE_URL'], vault ? await fetchVaultSecrets(vault) : {})
  const url =
    urlWithScheme('DATABASE_MIGRATION_URL', found['DATABASE_MIGRATION_URL'], ['postgres:', 'postgresql:']) ??
    urlWithScheme('DATABASE_URL', found['DATABASE_URL'], ['postgres:', 'postgresql:'])
  if (production && url === undefined) throw new ConfigError('DATABASE_MIGRATION_URL: required in production (the schema owner, e.g. app_owner)')
  const appRole = str(env, 'DATABASE_APP_ROLE', 'app')
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(appRole)) throw new ConfigError('DATABASE_APP_ROLE: must be a plain lowercase role name')
  const tenantRole = str(env, 'DATABASE_TENANT_ROLE', 'app_tenant')
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(tenantRole)) throw new ConfigError('DATABASE_TENANT_ROLE: must be a plain lowercase role name')
  return Object.freeze({ env: nodeEnv, url, appRole, tenantRole })
}
