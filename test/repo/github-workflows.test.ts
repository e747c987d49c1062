// No GitHub runner is here, so the workflow files are checked as data: they parse, every action is
// pinned to a full commit SHA (docs/decisions/0031), permissions are least-privilege, and CI runs
// the same steps as .ci/run.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse, parseDocument } from 'yaml'

const WORKFLOWS_DIR = path.resolve('.github/workflows')
const workflowFiles = readdirSync(WORKFLOWS_DIR).filter((f) => /\.ya?ml$/.test(f)).sort()

interface Step {
  uses?: string
  run?: string
  with?: Record<string, unknown>
}
interface Job {
  permissions?: unknown
  uses?: string
  steps?: Step[]
  services?: Record<string, { image?: string }>
  'continue-on-error'?: boolean
}
interface Workflow {
  on: unknown
  permissions?: unknown
  jobs: Record<string, Job>
}

function load(file: string): { text: string; workflow: Workflow } {
  const text = readFileSync(path.join(WORKFLOWS_DIR, file), 'utf8')
  return { text, workflow: parse(text) as Workflow }
}

/** Every `uses:` value with its whole source line (comments included; the parser drops them). */
function usesLines(text: string): { ref: string; line: string }[] {
  const out: { ref: string; line: string }[] = []
  for (const line of text.split('\n')) {
    const body = line.trim().replace(/^- +/, '')
    if (!body.startsWith('uses:')) continue
    const ref = body.slice('uses:'.length).trim().split(/[\s#]/)[0]!.replace(/^["']|["']$/g, '')
    out.push({ ref, line })
  }
  return out
}

const READ_ONLY = new Set(['read', 'none'])
function isReadOnly(permissions: unknown): boolean {
  if (permissions === 'read-all') return true
  if (permissions === null || typeof permissions !== 'object') return false
  return Object.values(permissions).every((v) => READ_ONLY.has(String(v)))
}

function runScripts(job: Job): string[] {
  return (job.steps ?? []).map((s) => s.run ?? '').filter(Boolean)
}

describe('.github/workflows', () => {
  it('has the expected workflows', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(['ci.yml', 'codeql.yml', 'dependency-review.yml', 'secret-scan.yml']))
  })

  describe.each(workflowFiles)('%s', (file) => {
    const { text, workflow } = load(file)

    it('parses as YAML without errors or warnings', () => {
      const doc = parseDocument(text)
      expect(doc.errors).toEqual([])
      expect(doc.warnings).toEqual([])
      expect(Object.keys(workflow.jobs).length).toBeGreaterThan(0)
    })

    it('pins every action to a full commit SHA with a version comment (local ./ actions excepted)', () => {
      const uses = usesLines(text)
      for (const { ref, line } of uses) {
        if (ref.startsWith('./')) continue
        expect(ref, line).toMatch(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}$/)
        expect(line, line).toMatch(/#\s*v\d+\.\d+\.\d+\s*$/)
      }
    })

    it('sets permissions per job or at the top, and the top level grants at most read', () => {
      if (workflow.permissions !== undefined) expect(isReadOnly(workflow.permissions)).toBe(true)
      for (const [name, job] of Object.entries(workflow.jobs)) {
        expect(job.permissions !== undefined || workflow.permissions !== undefined, `job ${name}`).toBe(true)
        expect(job.permissions, `job ${name}`).not.toBe('write-all')
      }
    })

    it('never runs on pull_request_target (it would hand fork code a write token and secrets)', () => {
      const triggers = typeof workflow.on === 'string' ? [workflow.on] : Array.isArray(workflow.on) ? workflow.on : Object.keys(workflow.on as object)
      expect(triggers).not.toContain('pull_request_target')
    })

    it('does not leave the checkout token in .git/config', () => {
      for (const job of Object.values(workflow.jobs)) {
        for (const step of job.steps ?? []) {
          if (step.uses?.startsWith('actions/checkout@')) expect(step.with?.['persist-credentials']).toBe(false)
        }
      }
    })
  })

  it('ci.yml runs install, lint, typecheck and test against PostgreSQL 15 and Redis, like .ci/run', () => {
    const { workflow } = load('ci.yml')
    const triggers = Object.keys(workflow.on as object)
    expect(triggers).toEqual(expect.arrayContaining(['push', 'pull_request']))
    const test = workflow.jobs['test']!
    const scripts = runScripts(test).join('\n')
    for (const command of ['npm ci', 'npm run lint', 'npm run typecheck', 'npm test']) expect(scripts).toContain(command)
    expect(test.services?.['postgres']?.image).toBe('postgres:15')
    expect(test.services?.['redis']?.image).toMatch(/^redis:/)
    expect(scripts).toContain('postgres://postgres:${PGPASSWORD}@localhost:5432/test')

    const ciRun = readFileSync(path.resolve('.ci/run'), 'utf8')
    for (const command of ['npm ci', 'npm run lint', 'npm run typecheck', 'npm test']) expect(ciRun).toContain(command)
  })

  it('ci.yml has a non-blocking npm audit at level high', () => {
    const { workflow } = load('ci.yml')
    const audit = Object.values(workflow.jobs).find((job) => runScripts(job).some((s) => s.includes('npm audit')))
    expect(audit).toBeDefined()
    expect(runScripts(audit!).join('\n')).toContain('npm audit --audit-level=high')
    expect(audit!['continue-on-error']).toBe(true)
  })

  it('codeql.yml analyses javascript-typescript and may write security events only', () => {
    const { workflow } = load('codeql.yml')
    const job = workflow.jobs['analyze']!
    const init = job.steps!.find((s) => s.uses?.startsWith('github/codeql-action/init@'))
    expect(init?.with?.['languages']).toBe('javascript-typescript')
    expect(job.steps!.some((s) => s.uses?.startsWith('github/codeql-action/analyze@'))).toBe(true)
    const writes = Object.entries(job.permissions as Record<string, string>).filter(([, v]) => v === 'write')
    expect(writes).toEqual([['security-events', 'write']])
  })

  it('dependency-review.yml runs on pull requests', () => {
    const { workflow } = load('dependency-review.yml')
    expect(Object.keys(workflow.on as object)).toContain('pull_request')
    expect(Object.values(workflow.jobs).some((j) => j.steps?.some((s) => s.uses?.startsWith('actions/dependency-review-action@')))).toBe(true)
  })

  it('secret-scan.yml scans the full history (fetch-depth 0) and on a schedule', () => {
    const { workflow } = load('secret-scan.yml')
    expect(Object.keys(workflow.on as object)).toEqual(expect.arrayContaining(['push', 'pull_request', 'schedule', 'workflow_dispatch']))
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps ?? [])
    expect(steps.find((s) => s.uses?.startsWith('actions/checkout@'))?.with?.['fetch-depth']).toBe(0)
    expect(steps.some((s) => /^(gitleaks\/gitleaks-action|trufflesecurity\/trufflehog)@/.test(s.uses ?? ''))).toBe(true)
  })
})

describe('.github/dependabot.yml', () => {
  it('updates npm packages, GitHub Actions and the container base images', () => {
    const config = parse(readFileSync(path.resolve('.github/dependabot.yml'), 'utf8')) as { version: number; updates: { 'package-ecosystem': string }[] }
    expect(config.version).toBe(2)
    expect(config.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['docker', 'github-actions', 'npm'])
  })
})

describe('.github/pull_request_template.md', () => {
  it('carries the secure code review checklist', () => {
    const text = readFileSync(path.resolve('.github/pull_request_template.md'), 'utf8')
    expect(text).toMatch(/## Secure code review checklist/)
    expect((text.match(/^- \[ \] /gm) ?? []).length).toBeGreaterThanOrEqual(10)
  })
})
