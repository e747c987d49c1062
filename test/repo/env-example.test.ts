// .env.example is generated from the configuration schema (src/config/env-schema.ts) by
// `npm run docs:config`: it must equal what the generator prints, list exactly the schema's
// variables, and hold no secret value.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderEnvExample } from '../../scripts/config-docs.js'
import { EnvSchema, secretKind } from '../../src/config/env-schema.js'

const example = readFileSync(path.resolve('.env.example'), 'utf8')
const schemaNames = Object.keys(EnvSchema.properties).sort()
const secrets = Object.entries(EnvSchema.properties)
  .filter(([, schema]) => secretKind(schema) !== undefined)
  .map(([name]) => name)

describe('.env.example', () => {
  it('is what `npm run docs:config` prints from the schema', () => {
    expect(example).toBe(renderEnvExample())
  })

  it('names every variable of the schema, and no other', () => {
    expect(schemaNames.length).toBeGreaterThan(40)
    const named = [...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!).filter((n) => !n.endsWith('_FILE'))
    expect([...new Set(named)].sort()).toEqual(schemaNames)
  })

  it('leaves every secret empty and points to its _FILE variant', () => {
    expect(secrets).toEqual(
      expect.arrayContaining(['DATA_KEYS', 'TOKEN_HMAC_KEYS', 'DATABASE_URL', 'DATABASE_MIGRATION_URL', 'REDIS_URL', 'SMTP_URL', 'VAULT_TOKEN']),
    )
    for (const name of secrets) {
      expect(example).toMatch(new RegExp(`^${name}=$`, 'm'))
      expect(example).not.toMatch(new RegExp(`^#? ?${name}=.`, 'm'))
      expect(example).toMatch(new RegExp(`^# ${name}_FILE=/run/secrets/`, 'm'))
    }
  })
})
