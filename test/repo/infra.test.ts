// infra/ as data: the Compose file, Kubernetes manifests and Prometheus rules parse, and carry the
// security settings the docs promise. nginx's own `nginx -t` runs when nginx is installed (it is
// not a dependency of .ci/run; the test is skipped, with the reason, when it is missing).
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- parsed YAML is untyped data; the assertions check its shape */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'

const run = promisify(execFile)
const infra = (...parts: string[]) => path.resolve('infra', ...parts)
const text = (...parts: string[]) => readFileSync(infra(...parts), 'utf8')

interface K8sObject {
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  spec?: any
}

function loadManifests(): K8sObject[] {
  const kustomization = parse(text('k8s', 'kustomization.yaml')) as { resources: string[] }
  return kustomization.resources.flatMap((file) => {
    const docs = parseAllDocuments(text('k8s', file))
    for (const doc of docs) expect(doc.errors, file).toEqual([])
    return docs.map((doc) => doc.toJS() as K8sObject)
  })
}

function commandExists(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe('infra/Dockerfile', () => {
  const dockerfile = text('Dockerfile')
  const lines = dockerfile.split('\n').filter((l) => !l.trim().startsWith('#'))
  const runtime = lines.slice(lines.findLastIndex((l) => l.startsWith('FROM ')))

  it('is multi-stage and ships production dependencies only', () => {
    expect(lines.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(2)
    expect(dockerfile).toMatch(/npm ci/)
    expect(dockerfile).toMatch(/npm prune --omit=dev/)
    expect(runtime.join('\n')).not.toMatch(/npm (ci|install)/)
  })

  it('runs as a non-root user in production mode, with a HEALTHCHECK that needs no curl', () => {
    const user = runtime.find((l) => l.startsWith('USER '))
    expect(user).toBeDefined()
    expect(user).not.toMatch(/USER\s+(root|0)(:|\s|$)/)
    expect(runtime.join('\n')).toMatch(/NODE_ENV=production/)
    const healthcheck = runtime.join('\n').match(/HEALTHCHECK[\s\S]*?CMD \[(.*)\]/)
    expect(healthcheck?.[1]).toMatch(/"node"/)
    expect(healthcheck?.[1]).toMatch(/\/healthz/)
    expect(lines.join('\n')).not.toMatch(/curl|wget/)
  })

  it('keeps .git, env files and dev secrets out of the build context', () => {
    const ignore = text('Dockerfile.dockerignore')
    expect(ignore.split('\n')[0] === '**' || ignore.includes('\n**\n')).toBe(true)
    expect(ignore).not.toMatch(/^!\.git/m)
    expect(ignore).not.toMatch(/^!\.env/m)
    expect(ignore).not.toMatch(/^!\.secrets/m)
  })
})

describe('infra/compose.yaml', () => {
  const compose = parse(text('compose.yaml')) as {
    services: Record<string, any>
    secrets: Record<string, { file?: string }>
    networks: Record<string, any>
  }

  it('runs the app, PostgreSQL and Redis', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['app', 'postgres', 'redis']))
  })

  it('never publishes the database or Redis to the host', () => {
    expect(compose.services['postgres'].ports).toBeUndefined()
    expect(compose.services['redis'].ports).toBeUndefined()
    expect(compose.networks['backend'].internal).toBe(true)
  })

  it('publishes the app on loopback only', () => {
    for (const port of compose.services['app'].ports as string[]) expect(port).toMatch(/^127\.0\.0\.1:/)
  })

  it('runs the app read-only, unprivileged, without capabilities', () => {
    const app = compose.services['app']
    expect(app.read_only).toBe(true)
    expect(app.user).not.toMatch(/^(0|root)(:|$)/)
    expect(app.cap_drop).toEqual(['ALL'])
    expect(app.security_opt).toContain('no-new-privileges:true')
    expect(app.tmpfs.join(' ')).toMatch(/\/tmp/)
  })

  it('passes every secret as a file (`*_FILE`), never as a value', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const env = (service.environment ?? {}) as Record<string, string>
      for (const [key, value] of Object.entries(env)) {
        expect(key, `${name}.${key}`).not.toMatch(/^(DATA_KEYS|TOKEN_HMAC_KEYS|DATABASE_URL|DATABASE_MIGRATION_URL|REDIS_URL|SMTP_URL|POSTGRES_PASSWORD)$/)
        if (key.endsWith('_FILE')) expect(value, `${name}.${key}`).toMatch(/^\/run\/secrets\//)
      }
    }
    const appEnv = compose.services['app'].environment as Record<string, string>
    for (const key of ['DATA_KEYS_FILE', 'TOKEN_HMAC_KEYS_FILE', 'DATABASE_URL_FILE']) expect(appEnv[key]).toBeDefined()
    expect(compose.services['postgres'].environment.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/postgres_password')
    for (const secret of Object.values(compose.secrets)) expect(secret.file).toMatch(/^\.\/secrets\//)
  })

  it('keeps the generated secret files out of git', () => {
    expect(text('secrets', '.gitignore').split('\n')).toContain('*')
  })
})

describe('infra/k8s', () => {
  const objects = loadManifests()
  const workloads = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind))

  it('parses, and every object lives in one namespace with restricted Pod Security', () => {
    const ns = objects.find((o) => o.kind === 'Namespace')
    expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted')
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(ns?.metadata.name)
  })

  it.each(['app', 'postgres', 'redis'])('%s: non-root, read-only root filesystem, ALL capabilities dropped, seccomp RuntimeDefault, resource limits', (name) => {
    const workload = workloads.find((w) => w.metadata.name === name)
    expect(workload).toBeDefined()
    const pod = workload!.spec.template.spec
    expect(pod.securityContext.runAsNonRoot).toBe(true)
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0)
    expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault')
    expect(pod.automountServiceAccountToken).toBe(false)
    for (const container of pod.containers) {
      const sc = container.securityContext
      expect(sc.readOnlyRootFilesystem).toBe(true)
      expect(sc.allowPrivilegeEscalation).toBe(false)
      expect(sc.capabilities.drop).toEqual(['ALL'])
      expect(sc.capabilities.add).toBeUndefined()
      expect(container.resources.limits.cpu).toBeDefined()
      expect(container.resources.limits.memory).toBeDefined()
    }
  })

  it('probes the app on /healthz (liveness) and /readyz (readiness)', () => {
    const app = workloads.find((w) => w.metadata.name === 'app')!.spec.template.spec.containers[0]
    expect(app.livenessProbe.httpGet.path).toBe('/healthz')
    expect(app.readinessProbe.httpGet.path).toBe('/readyz')
  })

  it('references secrets, never holds their values', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([])
    const app = workloads.find((w) => w.metadata.name === 'app')!.spec.template.spec
    const env = app.containers[0].env as { name: string; value?: string }[]
    for (const e of env) expect(e.name).not.toMatch(/^(DATA_KEYS|TOKEN_HMAC_KEYS|DATABASE_URL|REDIS_URL|SMTP_URL)$/)
    expect(app.volumes.find((v: any) => v.secret)?.secret.secretName).toBe('app-secrets')
  })

  it('denies all traffic by default and lets only the app reach PostgreSQL', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy')
    const denyAll = policies.find((p) => Object.keys(p.spec.podSelector).length === 0)
    expect(denyAll?.spec.policyTypes).toEqual(expect.arrayContaining(['Ingress', 'Egress']))
    expect(denyAll?.spec.ingress).toBeUndefined()

    const toPostgres = policies.filter((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'postgres')
    expect(toPostgres).toHaveLength(1)
    const rules = toPostgres[0]!.spec.ingress as { from: any[]; ports: any[] }[]
    const sources = rules.flatMap((r) => r.from)
    expect(sources).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'app' } } }])
    expect(rules.flatMap((r) => r.ports)).toEqual([{ protocol: 'TCP', port: 5432 }])
  })
})

describe('infra/prometheus/alerts.yml', () => {
  const rules = (parse(text('prometheus', 'alerts.yml')) as { groups: { name: string; rules: Record<string, any>[] }[] }).groups.flatMap((g) => g.rules)

  it('alerts on failed-login spikes, 429 spikes, the 5xx rate and a down instance', () => {
    const byName = new Map(rules.map((r) => [r.alert as string, r.expr as string]))
    expect(byName.get('LoginFailureSpike')).toMatch(/auth_login_failures_total/)
    expect(byName.get('RateLimitSpike')).toMatch(/http_rate_limited_total/)
    expect(byName.get('HighServerErrorRate')).toMatch(/http_requests_total\{status_code=~"5\.\."\}/)
    expect(byName.get('InstanceDown')).toMatch(/\bup\{/)
  })

  it('gives every rule a duration, a severity and a summary', () => {
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/)
      expect(['page', 'warn'], rule.alert).toContain(rule.labels.severity)
      expect(rule.annotations.summary, rule.alert).toBeTruthy()
    }
  })
})

describe('infra/nginx/nginx.conf', () => {
  const conf = text('nginx', 'nginx.conf')
  const nginxInstalled = commandExists('nginx')
  let dir: string | undefined

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('allows TLS 1.2 and 1.3 only, AEAD forward-secret ciphers, HSTS, no version banner, a body limit', () => {
    expect(conf).toMatch(/^\s*ssl_protocols TLSv1\.2 TLSv1\.3;/m)
    const ciphers = /^\s*ssl_ciphers ([^;]+);/m.exec(conf)?.[1]?.split(':') ?? []
    expect(ciphers.length).toBeGreaterThan(0)
    for (const cipher of ciphers) expect(cipher).toMatch(/^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/)
    expect(conf).toMatch(/add_header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload" always;/)
    expect(conf).toMatch(/^\s*server_tokens off;/m)
    expect(conf).toMatch(/^\s*client_max_body_size \d+k;/m)
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/)
    expect(conf).not.toMatch(/listen\s+80\b/)
  })

  it('is not something .ci/run needs: it installs nginx only as a best effort (optional on a development machine)', () => {
    const ci = readFileSync(path.resolve('.ci/run'), 'utf8')
    // The install may fail (no apt, no network) without failing the run.
    expect(ci).toMatch(/apt-get install -y -qq nginx-light\) >\/dev\/null 2>&1 \\\n\s+\|\| echo/)
  })

  it('installs chromium for the browser tests only as a best effort, leaving an existing policy-rc.d alone', () => {
    const ci = readFileSync(path.resolve('.ci/run'), 'utf8')
    expect(ci).toMatch(/apt-get install -y -qq chromium\) >\/dev\/null 2>&1 \\\n\s+\|\| echo/)
    const block = ci.slice(ci.indexOf('installing chromium'))
    expect(block).toMatch(/if \[ ! -e \/usr\/sbin\/policy-rc.d \]/)
  })

  it.skipIf(!nginxInstalled)(`passes \`nginx -t\` with a throw-away self-signed certificate${nginxInstalled ? '' : ' [skipped: nginx is not installed here]'}`, async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sss-nginx-'))
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', path.join(dir, 'privkey.pem'), '-out', path.join(dir, 'fullchain.pem')])
    const local = (await readFile(infra('nginx', 'nginx.conf'), 'utf8'))
      .replaceAll('/etc/nginx/tls/', `${dir}/`)
      .replaceAll('/var/log/nginx/', `${dir}/`)
      .replace('pid /run/nginx.pid;', `pid ${dir}/nginx.pid;`)
    const file = path.join(dir, 'nginx.conf')
    await writeFile(file, local)
    const { stderr } = await run('nginx', ['-t', '-p', dir, '-c', file, '-e', path.join(dir, 'error.log')])
    expect(stderr).toMatch(/test is successful/)
  })
})
