// npm run conformance:code -- <path> [--format text|markdown|json]
// Exit 0 when no rule fired, 1 when one did, 2 on a usage error. codeConformanceCli is the whole
// program, so a test can run it in-process; the last lines run it when this file is the entry.
import { realpathSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { CliIo } from './cli.js'
import { scanCodebase } from './code.js'
import { formatReport, type Format } from './report.js'

const USAGE = 'usage: npm run conformance:code -- <path to a TypeScript/JavaScript repository> [--format text|markdown|json]'

async function main(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { format: { type: 'string', default: 'text' }, help: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  })
  if (values.help) {
    io.out(`${USAGE}\n`)
    return 0
  }
  const target = positionals[0]
  if (positionals.length !== 1 || target === undefined) throw new Error('give exactly one path')
  if (!(await stat(target)).isDirectory()) throw new Error(`${target} is not a folder`)
  const format = values.format as Format
  if (!['text', 'markdown', 'json'].includes(format)) throw new Error('--format must be text, markdown or json')
  const report = await scanCodebase(target)
  io.out(formatReport(report, format))
  if (format === 'text' && report.files.skippedAsTests > 0) io.out(`(${report.files.skippedAsTests} test files had matches and were left out)\n`)
  return report.summary.fail > 0 ? 1 : 0
}

/** Runs the CLI on `args`; resolves to its exit code (2 with the usage on stderr for a usage error). */
export async function codeConformanceCli(args: string[], io: CliIo): Promise<number> {
  try {
    return await main(args, io)
  } catch (err: unknown) {
    io.err(`conformance:code: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`)
    return 2
  }
}

const entry = process.argv[1]
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  process.exitCode = await codeConformanceCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  })
}
