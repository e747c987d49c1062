// `npm run audit:verify`: re-computes the security_events hash chain and names the first row
// that does not match. Exit code 0 when intact, 2 when broken.
import { verifyChain } from '../src/audit/audit-chain.js'
import { loadConfig } from '../src/config/config.js'
import { createDb } from '../src/db/db.js'

const config = await loadConfig()
if (config.db.url === undefined) {
  process.stderr.write('set DATABASE_URL (the embedded development database is not started by this command)\n')
  process.exit(1)
}
const db = createDb({ url: config.db.url, maxConnections: 1 })
try {
  const report = await verifyChain(db)
  if (report.ok) process.stdout.write(`audit chain intact: ${report.events} events\n`)
  else {
    process.stdout.write(`audit chain BROKEN at security_events.id = ${report.brokenAtId} (after ${report.events} intact events)\n`)
    process.exitCode = 2
  }
} finally {
  await db.destroy()
}
