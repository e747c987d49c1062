// A second `npm start` (or CLI) in a folder whose embedded PostgreSQL is already running used to
// stop with "fatal: unknown error": the library rejects with no Error. It now says what holds the
// folder and what to do, before trying to start a second server on the same data.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { assertNotRunning, EmbeddedPostgresError } from './embedded.js'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

describe('embedded PostgreSQL already running in the folder', () => {
  it('names the folder and the process holding it, and says what to do', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sss-running-'))
    dirs.push(dir)
    // postmaster.pid's first line is the server's pid: this live process stands in for it.
    await writeFile(path.join(dir, 'postmaster.pid'), `${process.pid}\n${dir}\n`)
    const err = await assertNotRunning(dir).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EmbeddedPostgresError)
    expect((err as Error).message).toContain(dir)
    expect((err as Error).message).toContain(String(process.pid))
    expect((err as Error).message).toMatch(/already running.*DATABASE_URL/s)
  })

  it('lets a stale lock file (its process gone) and a missing one through: PostgreSQL clears a stale one itself', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sss-stale-'))
    dirs.push(dir)
    await expect(assertNotRunning(dir)).resolves.toBeUndefined()
    await writeFile(path.join(dir, 'postmaster.pid'), '2147483646\n')
    await expect(assertNotRunning(dir)).resolves.toBeUndefined()
  })
})
