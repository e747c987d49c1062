// `npm run accounts:require-password-change -- <email>`: on evidence that an account's password is
// compromised (a leak, a phishing report), end its sessions, mail a reset link, and refuse that
// password until it is changed. See docs/runbooks/revoke-sessions.md.
import { findByEmail } from '../src/accounts/accounts.repo.js'
import { requirePasswordChange } from '../src/auth/password-compromise.service.js'
import { loadConfig } from '../src/config/config.js'
import { openCliDatabase } from '../src/db/embedded.js'
import { createHasher, systemClock } from '../src/deps.js'
import { createLogger } from '../src/logging/logger.js'

const email = process.argv[2]
if (email === undefined || !email.includes('@')) {
  process.stderr.write('usage: npm run accounts:require-password-change -- <email>\n')
  process.exit(1)
}
const config = await loadConfig()
const { db, close } = await openCliDatabase(config.db.url, 2)
try {
  const account = await findByEmail(db, email)
  const deps = { config, db, clock: systemClock, log: createLogger({ level: 'silent', pretty: false }), redis: undefined, hasher: createHasher(config) }
  if (account === undefined || !(await requirePasswordChange(deps, account.id, 'operator', null))) {
    process.stdout.write('no such account\n')
    process.exitCode = 2
  } else {
    process.stdout.write('password change required; sessions ended; reset link queued\n')
  }
} finally {
  await close()
}
