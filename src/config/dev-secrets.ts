// Development only: secrets missing from the environment are generated once from the CSPRNG and
// kept in a git-ignored file (mode 0600), so a restart keeps sessions and encrypted data readable.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { newKeyRingEntry, randomSecret } from '../crypto/random.js'
import { ConfigError } from './config-error.js'

export const DEV_SECRETS_FILE = '.secrets.dev.json'

const GENERATORS: Record<string, () => string> = {
  DATA_KEYS: () => newKeyRingEntry('dev1'),
  TOKEN_HMAC_KEYS: () => newKeyRingEntry('dev1'),
  EMBEDDED_PG_PASSWORD: () => randomSecret(24).toString('base64url'),
}

async function readStore(path: string): Promise<Record<string, string>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'))
    if (parsed === null || typeof parsed !== 'object') throw new Error('not an object')
    return parsed as Record<string, string>
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new ConfigError(`${DEV_SECRETS_FILE}: unreadable; delete it to generate new development secrets`)
  }
}

/** Returns a value for each name, generating and persisting the ones the file lacks. */
export async function ensureDevSecrets(cwd: string, names: readonly string[], onNotice?: (line: string) => void): Promise<Record<string, string>> {
  const path = join(cwd, DEV_SECRETS_FILE)
  const store = await readStore(path)
  const generated: string[] = []
  for (const name of names) {
    if (typeof store[name] === 'string') continue
    const generate = GENERATORS[name]
    if (generate === undefined) throw new ConfigError(`${name}: missing`)
    store[name] = generate()
    generated.push(name)
  }
  if (generated.length > 0) {
    await writeFile(path, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 })
    onNotice?.(`development: generated ${generated.join(', ')} into ${DEV_SECRETS_FILE} (git-ignored); production requires them set`)
  }
  return Object.fromEntries(names.map((name) => [name, store[name] as string]))
}
