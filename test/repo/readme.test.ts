// The README's configuration table is generated from the configuration schema
// (src/config/env-schema.ts, `npm run docs:config`) and must equal it, and its commands must exist
// in package.json.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readmeWithTable, TABLE_END, TABLE_START } from '../../scripts/config-docs.js'
import { EnvSchema, secretKind } from '../../src/config/env-schema.js'

const readme = readFileSync(path.resolve('README.md'), 'utf8')
const pkg = JSON.parse(readFileSync(path.resolve('package.json'), 'utf8')) as { scripts: Record<string, string> }

describe('README.md', () => {
  it('holds the configuration table `npm run docs:config` prints from the schema', () => {
    expect(readme).toBe(readmeWithTable(readme))
  })

  it('documents every variable of the schema, and no other, with its default, secrecy and meaning', () => {
    const table = readme.slice(readme.indexOf(TABLE_START), readme.indexOf(TABLE_END))
    const rows = [...table.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \| (yes)? ?\| (.+) \|$/gm)]
    const schema = EnvSchema.properties as Record<string, { default?: string | number | boolean; description?: string }>
    expect(rows.map((r) => r[1]).sort()).toEqual(Object.keys(schema).sort())
    expect(rows.length).toBeGreaterThan(40)
    for (const [, name, defaultCell, secret, meaning] of rows) {
      const property = schema[name!]!
      expect(secret === 'yes', name).toBe(secretKind(property as never) !== undefined)
      if (property.default !== undefined) expect(defaultCell, name).toBe(`\`${String(property.default)}\``)
      expect(meaning!.startsWith(property.description ?? '-'), name).toBe(true)
    }
  })

  it('names only npm scripts that exist, and the two set-up commands', () => {
    expect(readme).toContain('npm install && npm start')
    expect(readme).toContain('npm test')
    const used = [...readme.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]!)
    expect(used.filter((s) => !(s in pkg.scripts))).toEqual([])
  })
})
