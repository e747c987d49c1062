// `npm run bench`: the speed goals, measured (never asserted by timed tests).
// - argon2id at the configured parameters: the login cost budget (target 100-300 ms on a 2-core box);
// - a full password login through the app;
// - an authenticated GET /v1/me (one indexed session lookup; target well under 5 ms).
// Uses DATABASE_URL when set, else the embedded PostgreSQL in a temporary directory.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/config.js'
import { randomSecret } from '../src/crypto/random.js'
import { createDb } from '../src/db/db.js'
import { startEmbeddedPostgres } from '../src/db/embedded.js'
import { ensureTenantRole } from '../src/db/grants.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { createHasher, systemClock } from '../src/deps.js'
import { createLogger } from '../src/logging/logger.js'
import { benchTenantRequest } from './tenant.js'

async function time<T>(label: string, runs: number, fn: () => Promise<T>): Promise<void> {
  await fn() // warm-up
  const samples: number[] = []
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint()
    await fn()
    samples.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  samples.sort((a, b) => a - b)
  const pick = (q: number) => (samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0).toFixed(2)
  process.stdout.write(`${label.padEnd(40)} runs=${runs}  p50=${pick(0.5)} ms  p95=${pick(0.95)} ms\n`)
}

const config = await loadConfig({ ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'silent', UNAUTHENTICATED_RATE_LIMIT_MAX: '100000', RATE_LIMIT_MAX: '100000', LOGIN_MAX_FAILURES_PER_IP: '100000' }, { cwd: await mkdtemp(path.join(tmpdir(), 'sss-bench-secrets-')) })
let url = config.db.url
let stop = async (): Promise<void> => undefined
if (url === undefined) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sss-bench-pg-'))
  const embedded = await startEmbeddedPostgres({ dataDir, password: randomSecret(12).toString('hex'), persistent: false })
  url = embedded.url
  stop = async () => {
    await embedded.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
}
const schema = `bench_${randomSecret(4).toString('hex')}`
const admin = createDb({ url, maxConnections: 1 })
await sql`create schema ${sql.id(schema)}`.execute(admin)
const db = createDb({ url, maxConnections: 10, searchPath: schema })
try {
  await migrateToLatest(db, { schema })
  await ensureTenantRole(db, config.db.tenantRole, { schema })
  const hasher = createHasher(config)
  const app = await buildApp({ config, db, clock: systemClock, log: createLogger({ level: 'silent', pretty: false }), redis: undefined, hasher })
  const { memoryKiB, iterations, parallelism } = config.passwords.argon2
  await time(`argon2id hash m=${memoryKiB} t=${iterations} p=${parallelism}`, 10, () => hasher.hash('correct horse battery staple orbit'))

  const email = 'bench@example.test'
  const password = 'correct horse battery staple orbit'
  await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password } })
  await db.updateTable('accounts').set({ email_verified_at: new Date() }).execute()
  let cookie = ''
  await time('POST /v1/auth/login (argon2 verify + session)', 10, async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } })
    const value = res.cookies.find((c) => c.name === '__Host-session')?.value
    if (res.statusCode !== 200 || value === undefined) throw new Error(`login answered ${res.statusCode}`)
    cookie = `__Host-session=${value}`
  })
  await time('GET /v1/me (session lookup)', 300, async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })
    if (res.statusCode !== 200) throw new Error(`me answered ${res.statusCode}`)
  })
  await benchTenantRequest(app, cookie, time)
  await app.close()
} finally {
  await db.destroy()
  await sql`drop schema ${sql.id(schema)} cascade`.execute(admin)
  await admin.destroy()
  await stop()
}
