// .env.example must list every variable src/config/ reads, and hold no secret value.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const example = readFileSync(path.resolve('.env.example'), 'utf8')
const configSources = ['src/config/config.ts', 'src/config/secrets.ts'].map((f) => readFileSync(path.resolve(f), 'utf8')).join('\n')

function variablesReadByConfig(): string[] {
  const names = new Set<string>()
  for (const m of configSources.matchAll(/\b(?:str|int|bool|oneOf|optionalStr|origin)\(env, '([A-Z][A-Z0-9_]+)'/g)) names.add(m[1]!)
  for (const m of configSources.matchAll(/env\['([A-Z][A-Z0-9_]+)'\]/g)) names.add(m[1]!)
  const secretLists = /(REQUIRED|OPTIONAL)_SECRETS = \[([^\]]+)\]/g
  for (const m of configSources.matchAll(secretLists)) for (const n of m[2]!.matchAll(/'([A-Z][A-Z0-9_]+)'/g)) names.add(n[1]!)
  return [...names].sort()
}

describe('.env.example', () => {
  it('names every variable src/config reads', () => {
    const names = variablesReadByConfig()
    expect(names.length).toBeGreaterThan(30)
    const missing = names.filter((name) => !new RegExp(`^#? ?${name}=`, 'm').test(example))
    expect(missing).toEqual([])
  })

  it('leaves every secret empty and points to its _FILE variant', () => {
    for (const name of ['DATA_KEYS', 'TOKEN_HMAC_KEYS', 'DATABASE_URL', 'DATABASE_MIGRATION_URL', 'REDIS_URL', 'SMTP_URL', 'VAULT_TOKEN']) {
      expect(example).toMatch(new RegExp(`^${name}=$`, 'm'))
      expect(example).toMatch(new RegExp(`^# ${name}_FILE=/run/secrets/`, 'm'))
    }
  })
})
