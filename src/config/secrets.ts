// Where secrets come from, in order: the variable itself, `<NAME>_FILE` (a path, as container
// secrets are mounted), then HashiCorp Vault KV v2. Values are never logged or echoed in errors:
// every message here names the variable only.
import { readFile } from 'node:fs/promises'
import { ConfigError } from './config-error.js'
import type { EnvSettings } from './env-schema.js'

export type Env = Readonly<Record<string, string | undefined>>

export interface VaultSource {
  readonly addr: string
  readonly token: string
  readonly mount: string
  readonly path: string
  readonly namespace?: string
}

const VAULT_TIMEOUT_MS = 5_000

/** Reads `<name>_FILE` when set; trailing newlines (as `echo` writes them) are dropped. */
async function readSecretFile(env: Env, name: string): Promise<string | undefined> {
  const path = env[`${name}_FILE`]
  if (path === undefined || path === '') return undefined
  try {
    const text = await readFile(path, 'utf8')
    return text.replace(/\r?\n$/, '')
  } catch {
    throw new ConfigError(`${name}_FILE: cannot read the file it names`)
  }
}

/** The variables that locate Vault (validated by the schema before any secret is looked for). */
export const VAULT_SETTINGS = ['VAULT_ADDR', 'VAULT_PATH', 'VAULT_KV_MOUNT', 'VAULT_NAMESPACE'] as const
type VaultSettings = Pick<EnvSettings, (typeof VAULT_SETTINGS)[number]>

/** Where Vault is, or undefined without VAULT_ADDR. The token comes from `env` (or VAULT_TOKEN_FILE). */
export async function vaultSourceFrom(settings: VaultSettings, env: Env): Promise<VaultSource | undefined> {
  const addr = settings.VAULT_ADDR
  if (addr === undefined) return undefined
  const token = env['VAULT_TOKEN'] ?? (await readSecretFile(env, 'VAULT_TOKEN'))
  if (token === undefined || token === '') throw new ConfigError('VAULT_TOKEN: required when VAULT_ADDR is set (or VAULT_TOKEN_FILE)')
  const path = settings.VAULT_PATH
  if (path === undefined) throw new ConfigError('VAULT_PATH: required when VAULT_ADDR is set')
  const namespace = settings.VAULT_NAMESPACE
  return { addr: addr.replace(/\/+$/, ''), token, mount: settings.VAULT_KV_MOUNT, path, ...(namespace ? { namespace } : {}) }
}

/** Fetches one KV v2 secret (a map of names to values). A failure stops start-up without detail. */
export async function fetchVaultSecrets(vault: VaultSource, fetchImpl: typeof fetch = fetch): Promise<Record<string, string>> {
  const url = `${vault.addr}/v1/${encodeURIComponent(vault.mount)}/data/${vault.path.split('/').map(encodeURIComponent).join('/')}`
  const headers: Record<string, string> = { 'X-Vault-Token': vault.token }
  if (vault.namespace) headers['X-Vault-Namespace'] = vault.namespace
  let response: Response
  try {
    response = await fetchImpl(url, { headers, signal: AbortSignal.timeout(VAULT_TIMEOUT_MS) })
  } catch {
    throw new ConfigError('VAULT_ADDR: Vault did not answer')
  }
  if (!response.ok) throw new ConfigError(`VAULT_PATH: Vault answered ${response.status}`)
  const body = (await response.json().catch(() => null)) as { data?: { data?: unknown } } | null
  const data = body?.data?.data
  if (data === null || typeof data !== 'object') throw new ConfigError('VAULT_PATH: not a KV v2 secret')
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(data)) if (typeof value === 'string') out[key] = value
  return out
}

/**
 * Resolves each named secret from the environment, its `_FILE`, or Vault (in that order).
 * Returns only the names that were found; the caller decides what a missing one means.
 */
export async function resolveSecrets(env: Env, names: readonly string[], vault: Record<string, string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of names) {
    if (env[name] !== undefined && env[`${name}_FILE`] !== undefined) {
      throw new ConfigError(`${name}: set either ${name} or ${name}_FILE, not both`)
    }
    const value = env[name] ?? (await readSecretFile(env, name)) ?? vault[name]
    if (value !== undefined && value !== '') out[name] = value
  }
  return out
}
