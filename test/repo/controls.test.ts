// docs/controls.md must not rot: every file it names exists, every test it cites exists under that
// exact title, every row has a known status and evidence, and every item of the two seed
// checklists has a row. The seeds live in the shared folder beside the clone (`../shared/seeds/`);
// without it, only the coverage check is skipped.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CONTROLS = path.join(ROOT, 'docs/controls.md')
const SEEDS = path.resolve(ROOT, '../shared/seeds')
const SAAS_SEED = path.join(SEEDS, 'saas-cto-security-checklist.txt')
const ER_SEED = path.join(SEEDS, 'enterpriseready-product-security.md')
const seedsPresent = existsSync(SAAS_SEED) && existsSync(ER_SEED)

const STATUSES = ['Implemented', 'Partial', 'Policy', 'Runbook', 'Out of scope', 'Not implemented', 'Rejected']
const FILE_EXTENSIONS = /\.(ts|js|md|ya?ml|json|sh|conf|txt|toml|example)$/
// `path` › "exact it() title"
const TEST_REF = /`([^`\s]+)`\s*›\s*"([^"]+)"/g
const HAS_TEST_REF = /`[^`\s]+`\s*›\s*"[^"]+"/

const text = readFileSync(CONTROLS, 'utf8')

interface Row {
  line: number
  cells: string[]
}

/** Table body rows with the four columns Item | Status | Where it lives | Proven by. */
function controlRows(): Row[] {
  const rows: Row[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (!line.startsWith('|') || /^\|\s*:?-{3,}/.test(line)) return
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split('|')
      .map((c) => c.trim())
    if (cells.length !== 4 || cells[0] === 'Item') return
    rows.push({ line: i + 1, cells })
  })
  return rows
}

/** A backticked token that names a file or folder of the repository (not a route, header or code). */
function isPathLike(token: string): boolean {
  if (/[\s<>*:$?=()]/.test(token) || token.startsWith('/') || token.startsWith('.well-known')) return false
  return token.includes('/') || FILE_EXTENSIONS.test(token)
}

/** Lower case, typographic quotes and markup gone, punctuation to spaces: how items are compared. */
function normalise(s: string): string {
  return s
    .replace(/\[bookmark:[^\]]*\]/g, '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[’‘`*_]/g, (c) => (c === '’' || c === '‘' ? "'" : ''))
    .replace(/[^a-z0-9']+/g, ' ')
    .replace(/'/g, '')
    .trim()
}

/** Every bullet of the SaaS CTO checklist ("· item"). */
function saasItems(): string[] {
  return readFileSync(SAAS_SEED, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('·'))
    .map((l) =>
      l
        .slice(1)
        .replace(/\[bookmark:[^\]]*\]/g, '')
        .trim(),
    )
}

/** Every bolded item of the Development, Ops and Product sections, and the numbered Hints. */
function enterpriseReadyItems(): string[] {
  const body = readFileSync(ER_SEED, 'utf8')
  const start = body.indexOf('## Development')
  const hints = body.indexOf('**Hints**')
  const sections = body.slice(start, hints === -1 ? undefined : hints)
  const bold = [...sections.matchAll(/\*\*([^*]+)\*\*/g)].map((m) => m[1]!.trim())
  const numbered = hints === -1 ? [] : [...body.slice(hints).matchAll(/^\s*\d+\.\s+(.+)$/gm)].map((m) => m[1]!.trim())
  return [...bold, ...numbered]
}

describe('docs/controls.md', () => {
  const rows = controlRows()

  it('has a table row for a meaningful number of controls', () => {
    expect(rows.length).toBeGreaterThanOrEqual(90)
  })

  it('names only files and folders that exist', () => {
    const tokens = [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!)
    const paths = [...new Set(tokens.filter(isPathLike))]
    expect(paths.length).toBeGreaterThan(50)
    const missing = paths.filter((p) => !existsSync(path.join(ROOT, p.replace(/\/$/, ''))))
    expect(missing, `paths named in docs/controls.md that do not exist:\n${missing.join('\n')}`).toEqual([])
  })

  it('cites only tests that exist, under their exact titles', () => {
    const refs = [...text.matchAll(TEST_REF)].map((m) => ({ file: m[1]!, title: m[2]! }))
    expect(refs.length).toBeGreaterThan(60)
    const broken = refs.flatMap(({ file, title }) => {
      if (!/\.test\.ts$/.test(file)) return [`${file}: not a test file`]
      const full = path.join(ROOT, file)
      if (!existsSync(full)) return [`${file}: no such file`]
      const source = readFileSync(full, 'utf8')
      const quoted = [`'${title}'`, `"${title}"`, `\`${title}\``].some((q) => source.includes(q))
      return quoted ? [] : [`${file} › "${title}": no test with this title`]
    })
    expect(broken, `stale test references in docs/controls.md:\n${broken.join('\n')}`).toEqual([])
  })

  it('gives every row a known status and some evidence', () => {
    const bad = rows.flatMap(({ line, cells }) => {
      const [item, status, where, proof] = cells as [string, string, string, string]
      const problems: string[] = []
      const plain = status.replace(/\*/g, '')
      if (!STATUSES.some((s) => plain.startsWith(s))) problems.push(`unknown status "${status}"`)
      if (proof.length === 0) problems.push('empty "Proven by"')
      if (plain.startsWith('Implemented') && !HAS_TEST_REF.test(proof)) problems.push('"Implemented" without a test reference')
      if ((plain.startsWith('Policy') || plain.startsWith('Runbook')) && !/`(docs\/|SECURITY\.md|\.github\/)/.test(`${where} ${proof}`)) {
        problems.push('policy or runbook row without a document path')
      }
      return problems.map((p) => `line ${line} (${item.slice(0, 50)}): ${p}`)
    })
    expect(bad, bad.join('\n')).toEqual([])
  })

  it.skipIf(!seedsPresent)(
    `has a row for every item of both seed checklists${seedsPresent ? '' : ` [skipped: ${SEEDS} is not present beside the repository]`}`,
    () => {
      const saas = saasItems()
      const er = enterpriseReadyItems()
      // Guards against a parser that silently finds nothing.
      expect(saas.length).toBeGreaterThanOrEqual(40)
      expect(er.length).toBeGreaterThanOrEqual(20)
      const itemCells = rows.map(({ cells }) => normalise(cells[0]!))
      const missing = [...saas.map((s) => `SaaS CTO: ${s}`), ...er.map((s) => `EnterpriseReady: ${s}`)].filter((label) => {
        const wanted = normalise(label.slice(label.indexOf(':') + 1))
        // The row's Item cell starts with the item, so a short item ("Backup") cannot hide in another row.
        return !itemCells.some((cell) => cell === wanted || cell.startsWith(`${wanted} `))
      })
      expect(missing, `seed checklist items without a row in docs/controls.md:\n${missing.join('\n')}`).toEqual([])
    },
  )
})
