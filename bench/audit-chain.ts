// `npx tsx bench/audit-chain.ts`: how many security events per second the hash chain accepts when
// every append runs in parallel (the chain's advisory lock serialises them), beside the same
// inserts without the chain. DATABASE_URL must be set; a scratch schema is made and dropped.
import { sql } from 'kysely'
import { recordEvent } from '../src/audit/audit.service.js'
import { randomSecret } from '../src/crypto/random.js'
import { createDb } from '../src/db/db.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { loadConfig } from '../src/config/config.js'

const config = await loadConfig(process.env, { cwd: '/tmp' })
if (config.db.url === undefined) throw new Error('set DATABASE_URL')
const schema = `bench_audit_${randomSecret(4).toString('hex')}`
const admin = createDb({ url: config.db.url, maxConnections: 1 })
await sql`create schema ${sql.id(schema)}`.execute(admin)
const db = createDb({ url: config.db.url, maxConnections: 10, searchPath: schema })
try {
  await migrateToLatest(db, { schema })
  const n = 400
  const meta = { ip: '192.0.2.1', userAgent: 'bench' }
  let start = performance.now()
  await Promise.all(Array.from({ length: n }, () => recordEvent(db, { type: 'login.failed', accountId: null, meta, at: new Date() })))
  const chained = n / ((performance.now() - start) / 1000)
  start = performance.now()
  await Promise.all(
    Array.from({ length: n }, () =>
      db
        .transaction()
        .execute((trx) =>
          trx
            .insertInto('security_events')
            .values({ account_id: null, type: 'login.failed', occurred_at: new Date(), ip: meta.ip, user_agent: meta.userAgent, details: '{}' })
            .execute(),
        ),
    ),
  )
  const plain = n / ((performance.now() - start) / 1000)
  process.stdout.write(
    `security events/s, ${n} in parallel on 10 connections: chained ${chained.toFixed(0)}/s, unchained ${plain.toFixed(0)}/s (ratio ${(chained / plain).toFixed(2)})\n`,
  )
} finally {
  await db.destroy()
  await sql`drop schema ${sql.id(schema)} cascade`.execute(admin)
  await admin.destroy()
}
