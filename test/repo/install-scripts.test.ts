// Only allow-listed packages may run install scripts (scripts/check-install-scripts.ts, run in CI
// before `npm ci`). The real lockfile passes; a lockfile that gains a script fails.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkInstallScripts, packageName, runCheck } from '../../scripts/check-install-scripts.js'

describe('scripts/check-install-scripts.ts', () => {
  it("passes on this repository's lockfile and allowScripts", () => {
    const out: string[] = []
    const err: string[] = []
    expect(runCheck(path.resolve('.'), (l) => out.push(l), (l) => err.push(l))).toBe(0)
    expect(err).toEqual([])
    expect(out[0]).toMatch(/^install scripts: \d+ packages, all allow-listed \(.*argon2.*\)$/)
  })

  it('fails on a package that gains an install script, one set to false, and a stale entry', () => {
    const lock = {
      packages: {
        '': { hasInstallScript: true },
        'node_modules/argon2': { hasInstallScript: true },
        'node_modules/left-pad': {},
        'node_modules/some-lib/node_modules/@evil/postinstall': { hasInstallScript: true },
        'node_modules/denied-one': { hasInstallScript: true },
      },
    }
    const report = checkInstallScripts(lock, { allowScripts: { argon2: true, 'denied-one': false, 'gone-now': true } })
    expect(report).toEqual({
      withScripts: ['@evil/postinstall', 'argon2', 'denied-one'],
      unlisted: ['@evil/postinstall'],
      denied: ['denied-one'],
      stale: ['gone-now'],
    })
    expect(checkInstallScripts(lock, {}).unlisted).toEqual(['@evil/postinstall', 'argon2', 'denied-one'])
  })

  it('names nested packages by their own name', () => {
    expect(packageName('node_modules/a/node_modules/@scope/b')).toBe('@scope/b')
    expect(packageName('node_modules/esbuild')).toBe('esbuild')
  })
})
