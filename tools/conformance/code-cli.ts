// npm run conformance:code -- <path> [--format text|markdown|json]
// Exit 0 when no rule fired, 1 when one did, 2 on a usage error.
import { stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { scanCodebase } from './code.js'
import { formatReport, type Format } from './report.js'

const USAGE = 'usage: npm run conformance:code -- <path to a TypeScript/JavaScript repository> [--format text|markdown|json]'

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { format: { type: 'string', default: 'text' }, help: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const target = positionals[0]
  if (positionals.length !== 1 || target === undefined) throw new Error('give exactly one path')
  if (!(await stat(target)).isDirectory()) throw new Error(`${target} is not a folder`)
  const format = values.format as Format
  if (!['text', 'markdown', 'json'].includes(format)) throw new Error('--format must be text, markdown or json')
  const report = await scanCodebase(target)
  process.stdout.write(formatReport(report, format))
  if (format === 'text' && report.files.skippedAsTests > 0) console.log(`(${report.files.skippedAsTests} test files had matches and were left out)`)
  return report.summary.fail > 0 ? 1 : 0
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`conformance:code: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`)
    process.exitCode = 2
  },
)
