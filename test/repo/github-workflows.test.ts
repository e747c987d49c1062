// No GitHub runner is here, so the workflow files are checked as data: they parse, every action is
// pinned to a full commit SHA (docs/decisions/0031), permissions are least-privilege, and CI runs
// the same steps as .ci/run.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse, parseDocument } from 'yaml'

const WORKFLOWS_DIR = path.resolve('.github/workflows')
const workflowFiles = readdirSync(WORKFLOWS_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()

interface Step {
  name?: string
  id?: string
  uses?: string
  run?: string
  with?: Record<string, unknown>
  env?: Record<string, unknown>
}
interface Job {
  'runs-on'?: string
  needs?: string | string[]
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
    const ref = body
      .slice('uses:'.length)
      .trim()
      .split(/[\s#]/)[0]!
      .replace(/^["']|["']$/g, '')
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
    expect(workflowFiles).toEqual(expect.arrayContaining(['ci.yml', 'codeql.yml', 'dependency-review.yml', 'secret-scan.yml', 'release.yml']))
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

    it('is a well-formed workflow: every job runs somewhere, needs existing jobs, and each step either uses or runs', () => {
      // actionlint is not installable here (no Go toolchain, no PyPI wheel); these are the checks
      // of its that matter most, done on the parsed YAML.
      for (const [name, job] of Object.entries(workflow.jobs)) {
        if (job.uses !== undefined) continue
        expect(job['runs-on'], `job ${name}`).toMatch(/^ubuntu-\d+\.\d+$/)
        const needs = job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]
        for (const need of needs) expect(Object.keys(workflow.jobs), `job ${name} needs ${need}`).toContain(need)
        const ids = new Set<string>()
        for (const step of job.steps ?? []) {
          expect((step.uses === undefined) !== (step.run === undefined), `job ${name}: ${JSON.stringify(step).slice(0, 80)}`).toBe(true)
          if (step.id !== undefined) ids.add(step.id)
        }
        // Every steps.<id> an expression mentions exists in the job.
        for (const [, id] of JSON.stringify(job.steps ?? []).matchAll(/steps\.([A-Za-z0-9_-]+)\./g)) expect(ids, `job ${name}: steps.${id}`).toContain(id)
      }
      // Expressions are closed.
      expect((text.match(/\$\{\{/g) ?? []).length).toBe((text.match(/\}\}/g) ?? []).length)
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

describe('supply chain (docs/decisions/0079-supply-chain-and-image.md)', () => {
  const steps = (job: Job | undefined): Step[] => job?.steps ?? []
  const indexOf = (list: Step[], test: (s: Step) => boolean): number => list.findIndex(test)

  it('ci.yml checks the install-script allow-list before npm ci, checks registry signatures, and uploads a CycloneDX SBOM', () => {
    const { workflow } = load('ci.yml')
    const job = Object.values(workflow.jobs).find((j) => runScripts(j).some((r) => r.includes('check-install-scripts')))
    expect(job).toBeDefined()
    const list = steps(job)
    const check = indexOf(list, (s) => /scripts\/check-install-scripts\.ts/.test(s.run ?? ''))
    const install = indexOf(list, (s) => /^npm ci\b/.test(s.run ?? ''))
    expect(check).toBeGreaterThanOrEqual(0)
    expect(check).toBeLessThan(install)
    expect(list[check]!.run).toMatch(/^node --experimental-strip-types /)
    expect(list.some((s) => s.run === 'npm audit signatures')).toBe(true)
    const sbom = indexOf(list, (s) => /npm run -s sbom > (\S+)/.test(s.run ?? ''))
    expect(sbom).toBeGreaterThan(install)
    const upload = list.find((s) => s.uses?.startsWith('actions/upload-artifact@'))
    expect(upload?.with?.['path']).toBe('sbom.cdx.json')
    const pkg = JSON.parse(readFileSync(path.resolve('package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(pkg.scripts['sbom']).toBe('node scripts/sbom.mjs')
    expect(pkg.scripts['check:install-scripts']).toMatch(/scripts\/check-install-scripts\.ts$/)
  })

  it('ci.yml builds infra/Dockerfile and fails on a high or critical finding in the image (Grype)', () => {
    const { workflow } = load('ci.yml')
    const job = Object.values(workflow.jobs).find((j) => steps(j).some((s) => s.uses?.startsWith('anchore/scan-action@')))
    expect(job).toBeDefined()
    const build = steps(job).find((s) => s.uses?.startsWith('docker/build-push-action@'))
    expect(build?.with).toMatchObject({ file: 'infra/Dockerfile', push: false, load: true })
    const scan = steps(job).find((s) => s.uses?.startsWith('anchore/scan-action@'))
    expect(scan?.with).toMatchObject({ image: build?.with?.['tags'], 'fail-build': true, 'severity-cutoff': 'high' })
    expect(job!.permissions).toEqual({ contents: 'read' })
  })

  it('ci.yml tests on the supported Node LTS lines only', () => {
    const { text } = load('ci.yml')
    expect(text).toMatch(/node: \["22", "24"\]/)
    expect(text).not.toMatch(/node-version: "20"/)
  })

  it('release.yml scans before it pushes, signs the pushed digest keyless, attaches the SBOM and the provenance', () => {
    const { workflow } = load('release.yml')
    expect(workflow.on).toEqual({ push: { tags: ['v*.*.*'] } })
    const job = Object.values(workflow.jobs)[0]!
    expect(job.permissions).toEqual({ contents: 'write', packages: 'write', 'id-token': 'write', attestations: 'write' })
    const list = steps(job)
    const scan = indexOf(list, (s) => s.uses?.startsWith('anchore/scan-action@') === true)
    const push = indexOf(list, (s) => s.uses?.startsWith('docker/build-push-action@') === true && s.with?.['push'] === true)
    expect(scan).toBeGreaterThanOrEqual(0)
    expect(scan).toBeLessThan(push)
    expect(list[push]!.with).toMatchObject({ file: 'infra/Dockerfile', provenance: 'mode=max', sbom: true })
    expect(list[push]!.id).toBe('push')
    const sign = list.find((s) => /cosign sign --yes "\$\{IMAGE\}@\$\{DIGEST\}"/.test(s.run ?? ''))
    expect(sign?.env?.['DIGEST']).toBe('${{ steps.push.outputs.digest }}')
    expect(sign?.run).toMatch(/cosign attest --yes --type cyclonedx --predicate sbom\.cdx\.json/)
    expect(indexOf(list, (s) => s.uses?.startsWith('sigstore/cosign-installer@') === true)).toBeLessThan(list.indexOf(sign!))
    const provenance = list.find((s) => s.uses?.startsWith('actions/attest-build-provenance@'))
    expect(provenance?.with).toMatchObject({ 'subject-digest': '${{ steps.push.outputs.digest }}', 'push-to-registry': true })
    expect(runScripts(job).join('\n')).toMatch(/gh release upload "\$TAG" sbom\.cdx\.json/)
    // No long-lived signing key anywhere.
    expect(load('release.yml').text).not.toMatch(/COSIGN_PRIVATE_KEY|COSIGN_PASSWORD|--key /)
  })
})

describe('.github/dependabot.yml', () => {
  it('updates npm packages, GitHub Actions and the container base images', () => {
    const config = parse(readFileSync(path.resolve('.github/dependabot.yml'), 'utf8')) as {
      version: number
      updates: { 'package-ecosystem': string; directory: string }[]
    }
    expect(config.version).toBe(2)
    expect(config.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['docker', 'github-actions', 'npm'])
  })

  it('watches the directory of infra/Dockerfile, whose FROM lines carry the digests it updates', () => {
    const config = parse(readFileSync(path.resolve('.github/dependabot.yml'), 'utf8')) as { updates: { 'package-ecosystem': string; directory: string }[] }
    const docker = config.updates.find((u) => u['package-ecosystem'] === 'docker')
    expect(docker?.directory).toBe('/infra')
    const dockerfile = readFileSync(path.resolve(`${docker!.directory.slice(1)}/Dockerfile`), 'utf8')
    expect(dockerfile).toMatch(/^FROM node:\d+-[a-z-]+@sha256:[0-9a-f]{64} AS build$/m)
    // Dependabot reads FROM lines, not ARG defaults: no FROM ${VAR}.
    expect(dockerfile).not.toMatch(/^FROM \$/m)
  })
})

describe('.github/pull_request_template.md', () => {
  it('carries the secure code review checklist', () => {
    const text = readFileSync(path.resolve('.github/pull_request_template.md'), 'utf8')
    expect(text).toMatch(/## Secure code review checklist/)
    expect((text.match(/^- \[ \] /gm) ?? []).length).toBeGreaterThanOrEqual(10)
  })
})
