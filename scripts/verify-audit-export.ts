// `npm run audit:verify-export -- <file>`: verifies an organization's audit export (NDJSON from
// GET /v1/orgs/:orgId/audit-events with Accept: application/x-ndjson) offline, with no database:
// every line's hash re-computes from its content, and every event links to the one before it.
// Prints the head hash: compare it with a copy pinned elsewhere (or with the server's chain, by
// `npm run audit:verify`) to detect a truncated tail. Exit code 0 when intact, 2 when broken.
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { verifyExportLines } from '../src/audit/audit-org.js'

const file = process.argv[2]
if (file === undefined) {
  process.stderr.write('usage: npm run audit:verify-export -- <export.ndjson>\n')
  process.exit(1)
}
// eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator names the file to check
const report = await verifyExportLines(createInterface({ input: createReadStream(file), crlfDelay: Infinity }))
if (report.ok) process.stdout.write(`export intact: ${report.events} events, head ${report.head}\n`)
else {
  process.stdout.write(`export BROKEN at line ${report.line} (after ${report.events} intact events): ${report.reason}\n`)
  process.exitCode = 2
}
