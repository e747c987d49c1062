// The report in three forms: text for a terminal, markdown for a pull request, JSON for tools.
import type { Finding } from './check.js'

export interface Reportable {
  target: string
  profile: string
  findings: Finding[]
  summary: Record<'pass' | 'fail' | 'skip', number>
  requests?: number
  budget?: number
  /** Why the run observed too little to judge (exit 3); absent or empty when it could. */
  couldNotCheck?: string[]
}

export type Format = 'text' | 'markdown' | 'json'

const MARK = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const

function cite(f: Finding): string {
  const standards = f.standards.map((s) => (/^V\d/.test(s) ? `ASVS 5.0 ${s}` : s)).join(', ')
  return `${standards}; docs/controls.md: "${f.control}"`
}

export function formatReport(report: Reportable, format: Format): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`
  const { pass, fail, skip } = report.summary
  const spent = report.requests === undefined ? '' : `, ${report.requests}/${report.budget ?? '-'} requests`
  if (format === 'markdown') {
    const rows = report.findings.map((f) => {
      const detail = [...f.problems, ...f.notes].map((s) => s.replace(/\|/g, '\\|')).join('<br>')
      return `| ${MARK[f.outcome]} | \`${f.id}\` ${f.title} | ${cite(f)} | ${detail} |`
    })
    return [
      `## Conformance: ${report.target}`,
      '',
      `Profile: ${report.profile}. ${pass} passed, ${fail} failed, ${skip} skipped${spent}.`,
      ...(report.couldNotCheck ?? []).map((reason) => `\n**Could not check:** ${reason}`),
      '',
      '| result | check | standard and starter control | details |',
      '| --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n')
  }
  const lines = [`Conformance of ${report.target} (${report.profile})`, '']
  for (const f of report.findings) {
    lines.push(`${MARK[f.outcome]}  ${f.id}: ${f.title}`, `      ${cite(f)}`)
    for (const p of f.problems) lines.push(`      - ${p}`)
    for (const n of f.notes) lines.push(`      · ${n}`)
  }
  lines.push('', `${pass} passed, ${fail} failed, ${skip} skipped${spent}`)
  for (const reason of report.couldNotCheck ?? []) lines.push(`could not check: ${reason}`)
  lines.push('')
  return lines.join('\n')
}
