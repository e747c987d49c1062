// The README's configuration table must name every variable of .env.example (which another test
// keeps in step with src/config), and its commands must exist in package.json.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const readme = readFileSync(path.resolve('README.md'), 'utf8')
const example = readFileSync(path.resolve('.env.example'), 'utf8')
const pkg = JSON.parse(readFileSync(path.resolve('package.json'), 'utf8')) as { scripts: Record<string, string> }

describe('README.md', () => {
  it('documents every configuration variable in its table', () => {
    const names = [...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!).filter((n) => !n.endsWith('_FILE'))
    expect(names.length).toBeGreaterThan(40)
    expect(names.filter((n) => !readme.includes(`| \`${n}\` |`))).toEqual([])
  })

  it('names only npm scripts that exist, and the two set-up commands', () => {
    expect(readme).toContain('npm install && npm start')
    expect(readme).toContain('npm test')
    const used = [...readme.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]!)
    expect(used.filter((s) => !(s in pkg.scripts))).toEqual([])
  })
})
