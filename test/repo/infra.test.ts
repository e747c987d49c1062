// infra/ as data: the Compose file, Kubernetes manifests and Prometheus rules parse, and carry the
// security settings the docs promise. nginx's own `nginx -t` runs when nginx is installed (it is
// not a dependency of .ci/run; the test is skipped, with the reason, when it is missing).
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- parsed YAML is untyped data; the assertions check its shape */
import { execFile, execFileSync } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { loadConfig } from '../../src/config/config.js'

const KEY = `k1:${Buffer.alloc(32, 3).toString('base64url')}`

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

  it('runs on a supported Node LTS (22 or 24), every base image pinned by digest', () => {
    const froms = lines.filter((l) => l.startsWith('FROM '))
    expect(froms.length).toBeGreaterThanOrEqual(2)
    for (const from of froms) {
      // node:<22|24>[-variant]@sha256:<64 hex>: Node 20 reached end of life in April 2026.
      expect(from, from).toMatch(/^FROM node:(22|24)(-[a-z0-9-]+)?@sha256:[0-9a-f]{64}( AS \w+)?$/)
    }
  })

  it('ends with the app as its command; the migration job runs the same image with another command', () => {
    expect(runtime.join('\n')).toMatch(/CMD \["node", "dist\/src\/server\.js"\]/)
    const compose = parse(text('compose.yaml')) as { services: Record<string, any> }
    expect(compose.services['migrate'].command).toEqual(['node', 'dist/src/db/migrate-cli.js', 'up'])
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

  it('runs nginx, the migration job, the app, PostgreSQL and Redis', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['nginx', 'migrate', 'app', 'postgres', 'redis']))
  })

  it('runs migrations as a one-shot job with the owner role, before the app; the app never holds the migration URL', () => {
    const migrate = compose.services['migrate']
    const app = compose.services['app']
    expect(migrate.restart).toBe('no')
    expect(migrate.secrets).toEqual(['database_migration_url'])
    expect(migrate.environment.DATABASE_MIGRATION_URL_FILE).toBe('/run/secrets/database_migration_url')
    expect(migrate.environment.NODE_ENV).toBe('production')
    expect(migrate.networks).toEqual(['backend'])
    expect(app.depends_on.migrate).toEqual({ condition: 'service_completed_successfully' })
    expect(app.secrets).not.toContain('database_migration_url')
    expect(Object.keys(app.environment)).not.toContain('DATABASE_MIGRATION_URL_FILE')
    expect(app.environment.MIGRATE_ON_START).toBe('false')
    // The superuser's password reaches the postgres container and nothing else.
    for (const [name, service] of Object.entries(compose.services)) {
      if (name !== 'postgres') expect(service.secrets ?? [], name).not.toContain('postgres_password')
    }
    // The role script (run and migrated against by test/repo/fresh-install.test.ts): the owner may
    // not create roles, so the superuser's script creates the tenant role the job grants.
    const roles = text('postgres', 'create-app-role.sh')
    expect(roles).toMatch(/owner="\$\{DATABASE_OWNER_ROLE:-app_owner\}" -v app="\$\{DATABASE_APP_ROLE:-app\}"/)
    expect(roles).toMatch(/tenant="\$\{DATABASE_TENANT_ROLE:-app_tenant\}"/)
    expect(roles).toMatch(/CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION BYPASSRLS /)
    expect(roles).toMatch(/CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT /)
    expect(roles).toMatch(/CREATE ROLE :"tenant" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;/)
    expect(roles).toMatch(/GRANT :"tenant" TO :"owner" WITH ADMIN OPTION;\nGRANT :"tenant" TO :"app";/)
    expect(roles).toMatch(/ALTER SCHEMA public OWNER TO :"owner";/)
    expect(migrate.environment.DATABASE_TENANT_ROLE).toBe('app_tenant')
  })

  it('sets TRUST_PROXY to exactly the fixed addresses nginx has on the frontend network', async () => {
    const app = compose.services['app']
    const nginx = compose.services['nginx']
    const addresses = [nginx.networks.frontend.ipv4_address, nginx.networks.frontend.ipv6_address]
    expect(app.environment.TRUST_PROXY.split(',')).toEqual(addresses)
    const subnets = compose.networks['frontend'].ipam.config.map((c: { subnet: string }) => c.subnet)
    expect(subnets).toEqual(['172.28.0.0/24', 'fd00:5353:28::/64'])
    expect(addresses[0]).toMatch(/^172\.28\.0\.\d+$/)
    expect(addresses[1]).toMatch(/^fd00:5353:28::/)
    expect(app.networks).toContain('frontend')
    // The app's own config accepts exactly that list (and would refuse "true").
    const config = await loadConfig({
      ...Object.fromEntries(Object.entries(app.environment as Record<string, string>).filter(([k]) => !k.endsWith('_FILE'))),
      DATA_KEYS: KEY,
      TOKEN_HMAC_KEYS: KEY,
      DATABASE_URL: 'postgres://app@postgres/app',
    })
    expect(config.http.trustProxy).toEqual(addresses)
    // nginx proxies to the Compose service it names.
    expect(/upstream app \{([^}]*)\}/.exec(text('nginx', 'nginx.conf'))?.[1]).toMatch(/^\s*server app:3000[ ;]/m)
  })

  it('never publishes the database or Redis to the host', () => {
    expect(compose.services['postgres'].ports).toBeUndefined()
    expect(compose.services['redis'].ports).toBeUndefined()
    expect(compose.networks['backend'].internal).toBe(true)
  })

  it('publishes only nginx, on loopback; nothing reaches the app but through nginx', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'nginx') for (const port of service.ports as string[]) expect(port).toMatch(/^127\.0\.0\.1:\d+:443$/)
      else expect(service.ports, name).toBeUndefined()
    }
    expect(compose.services['nginx'].volumes).toEqual(
      expect.arrayContaining(['./nginx/nginx.conf:/etc/nginx/nginx.conf:ro', './secrets/tls:/etc/nginx/tls:ro']),
    )
  })

  it('lists the images that are still pinned by tag only (TODO: pin by digest)', () => {
    // Honest bookkeeping: these could not be resolved to a digest from this workplace. A fork that
    // pins them makes this list shrink; an unexpected newcomer fails here.
    const tagOnly = Object.entries(compose.services)
      .filter(([, s]) => typeof s.image === 'string' && !s.image.includes('@sha256:') && !s.image.startsWith('secure-saas-starter:'))
      .map(([name, s]) => `${name}=${s.image as string}`)
    expect(tagOnly.sort()).toEqual(['nginx=nginx:1.28', 'postgres=postgres:15', 'redis=redis:7'])
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
    for (const key of ['DATA_KEYS_FILE', 'TOKEN_HMAC_KEYS_FILE', 'DATABASE_URL_FILE', 'REDIS_URL_FILE']) expect(appEnv[key]).toBeDefined()
    expect(compose.services['postgres'].environment.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/postgres_password')
    for (const secret of Object.values(compose.secrets)) expect(secret.file).toMatch(/^\.\/secrets\//)
  })

  it('keeps the generated secret files out of git', () => {
    expect(text('secrets', '.gitignore').split('\n')).toContain('*')
  })
})

describe('infra/secrets/generate.sh', () => {
  let dir: string | undefined
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('writes a non-superuser migration URL, an app URL, a Redis ACL limited to the app’s commands and prefix, and a TLS certificate', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sss-generate-'))
    await cp(infra('secrets', 'generate.sh'), path.join(dir, 'secrets', 'generate.sh'), { recursive: true })
    await cp(infra('redis'), path.join(dir, 'redis'), { recursive: true })
    await run('bash', [path.join(dir, 'secrets', 'generate.sh')])
    const read = (name: string) => readFile(path.join(dir!, 'secrets', name), 'utf8')
    expect(await read('database_migration_url')).toMatch(/^postgres:\/\/app_owner:[0-9a-f]{48}@postgres:5432\/app\n$/)
    expect(await read('database_url')).toMatch(/^postgres:\/\/app:[0-9a-f]{48}@postgres:5432\/app\n$/)
    const acl = (await read('redis_users.acl')).trim().split('\n')
    const password = /^redis:\/\/app:([0-9a-f]{48})@redis:6379\/0$/.exec((await read('redis_url')).trim())?.[1]
    expect(acl).toEqual([
      'user default off resetkeys ~sss:* resetchannels -@all +hset +hincrby +incr +pexpireat',
      `user app on >${password} resetkeys ~sss:* resetchannels -@all +info +select +evalsha +eval +get +incr +decr +del +pexpire +pttl +hget +hset +hincrby`,
    ])
    expect(acl.join('\n')).not.toMatch(/\+@all|~\*|&\*/)
    expect(await read('tls/fullchain.pem')).toMatch(/BEGIN CERTIFICATE/)
    expect(await read('tls/chain.pem')).toMatch(/BEGIN CERTIFICATE/)
    expect(await read('tls/privkey.pem')).toMatch(/BEGIN PRIVATE KEY/)
    expect((await stat(path.join(dir, 'secrets'))).mode & 0o777).toBe(0o700)
    // A second run keeps every file.
    const before = await read('database_migration_url')
    await run('bash', [path.join(dir, 'secrets', 'generate.sh')])
    expect(await read('database_migration_url')).toBe(before)
  })
})

describe('infra/k8s', () => {
  const objects = loadManifests()
  const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))

  it('parses, and every object lives in one namespace with restricted Pod Security', () => {
    const ns = objects.find((o) => o.kind === 'Namespace')
    expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted')
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(ns?.metadata.name)
  })

  it.each(['app', 'postgres', 'redis', 'migrate'])(
    '%s: non-root, read-only root filesystem, ALL capabilities dropped, seccomp RuntimeDefault, resource limits',
    (name) => {
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
    },
  )

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

  it('runs migrations in a one-shot Job with its own Secret; the app never mounts the migration URL', () => {
    const job = workloads.find((w) => w.kind === 'Job' && w.metadata.name === 'migrate')
    expect(job).toBeDefined()
    const pod = job!.spec.template.spec
    expect(pod.restartPolicy).toBe('Never')
    expect(pod.containers[0].command).toEqual(['node', 'dist/src/db/migrate-cli.js', 'up'])
    const jobEnv = Object.fromEntries((pod.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]))
    expect(jobEnv['DATABASE_MIGRATION_URL_FILE']).toMatch(/^\/run\/secrets\/migrate\//)
    expect(pod.volumes.find((v: any) => v.secret)?.secret.secretName).toBe('migrate-secrets')
    const app = workloads.find((w) => w.metadata.name === 'app')!.spec.template.spec
    const appEnv = Object.fromEntries((app.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]))
    expect(appEnv['DATABASE_MIGRATION_URL_FILE']).toBeUndefined()
    expect(appEnv['MIGRATE_ON_START']).toBe('false')
    expect(text('k8s', 'kustomization.yaml')).not.toMatch(/app-secrets[^\n]*\\\n[^\n]*database_migration_url/)
    expect(jobEnv['DATABASE_TENANT_ROLE']).toBe('app_tenant')
    // The init script is infra/postgres/create-app-role.sh verbatim, reading the passwords where
    // the StatefulSet mounts them.
    const init = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'postgres-init') as any
    expect(init.data['10-create-app-role.sh']).toBe(text('postgres', 'create-app-role.sh'))
    const postgres = workloads.find((w) => w.metadata.name === 'postgres')!.spec.template.spec.containers[0]
    expect(postgres.env).toContainEqual({ name: 'ROLE_SECRETS_DIR', value: '/run/secrets/postgres' })
    expect(postgres.volumeMounts).toContainEqual({ name: 'secrets', mountPath: '/run/secrets/postgres', readOnly: true })
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
    expect(sources).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'app' } } },
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'migrate' } } },
    ])
    // The Job may reach PostgreSQL and DNS only.
    const migrate = policies.find((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'migrate')
    expect(migrate?.spec.policyTypes).toEqual(['Ingress', 'Egress'])
    expect(migrate?.spec.ingress).toBeUndefined()
    expect((migrate?.spec.egress as { ports: { port: number }[] }[]).flatMap((r) => r.ports.map((p) => p.port)).sort()).toEqual([53, 53, 5432])
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
    expect(byName.get('LogLinesDropped')).toMatch(/log_lines_dropped_total/)
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

  it('staples OCSP, and keys per-address limits by an IPv6 /64', () => {
    expect(conf).toMatch(/^\s*ssl_stapling on;/m)
    expect(conf).toMatch(/^\s*ssl_stapling_verify on;/m)
    expect(conf).toMatch(/^\s*ssl_trusted_certificate \/etc\/nginx\/tls\/chain\.pem;/m)
    expect(conf).toMatch(/^\s*resolver \S+/m)
    expect(conf).toMatch(/map \$binary_remote_addr \$limit_key \{\s*"~\(\?s\)\^\(\?<prefix64>\.\{8\}\)\.\{8\}\$" \$prefix64;/)
    expect(conf).toMatch(/limit_req_zone \$limit_key /)
    expect(conf).toMatch(/limit_conn_zone \$limit_key /)
    expect(conf).not.toMatch(/limit_(req|conn)_zone \$binary_remote_addr/)
  })

  it('answers its own 400, 404, 413, 429 and 50x in the JSON error shape, with security headers `always`', () => {
    // Internal URIs, never named locations: nginx cannot redirect a request with an unparsable URI
    // (`GET /%`) to a named location, and answered those with an HTML 500 (test/repo/nginx-live.test.ts).
    for (const status of ['400', '404', '413', '429', '500', '502', '503', '504']) {
      const target = new RegExp(`error_page ${status}\\b[^;]* (/_nginx_errors/\\w+);`).exec(conf)?.[1]
      expect(target, status).toBeDefined()
      expect(conf).toMatch(new RegExp(`location = ${target} \\{\\s*internal;\\s*default_type application/json;\\s*return ${status} '`))
    }
    expect(conf).not.toMatch(/error_page[^;]*@/)
    for (const header of [
      'Strict-Transport-Security',
      'Content-Security-Policy',
      'X-Content-Type-Options',
      'X-Frame-Options',
      'Referrer-Policy',
      'Cache-Control',
      'Retry-After',
    ]) {
      expect(conf).toMatch(new RegExp(`^\\s*add_header ${header} .* always;`, 'm'))
    }
    const bodies = [...conf.matchAll(/return (\d{3}) '(\{[^']*\})\\n';/g)]
    expect(bodies.map((m) => m[1]).sort()).toEqual(['400', '404', '413', '429', '500', '502', '503', '504'])
    for (const [, , body] of bodies) expect(JSON.parse(body!)).toEqual({ error: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) })
  })

  it('keeps every instance in rotation through a rolling restart, and retries only what is safe to retry', () => {
    const upstream = /upstream app \{([^}]*)\}/.exec(conf)?.[1] ?? ''
    // nginx's default takes a peer out for 10 s after one failure: longer than a rolling restart's
    // step, so the second instance went down while the first was still out (502 "no live upstreams").
    expect(upstream).toMatch(/^\s*server app:3000 max_fails=0;$/m)
    const proxied = /location \/ \{([^}]*)\}/.exec(conf)?.[1] ?? ''
    expect(/^\s*proxy_next_upstream ([^;]+);$/m.exec(proxied)?.[1]?.split(' ')).toEqual(['error', 'timeout', 'http_503'])
    // Never `non_idempotent`: a POST that reached the app is not sent to another instance.
    expect(conf).not.toMatch(/proxy_next_upstream [^;]*non_idempotent/)
    expect(proxied).toMatch(/^\s*proxy_next_upstream_tries [2-9];$/m)
    expect(proxied).toMatch(/^\s*proxy_next_upstream_timeout \d+s;$/m)
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

  it.skipIf(!nginxInstalled)(
    `passes \`nginx -t\` with a throw-away self-signed certificate${nginxInstalled ? '' : ' [skipped: nginx is not installed here]'}`,
    async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'sss-nginx-'))
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        path.join(dir, 'privkey.pem'),
        '-out',
        path.join(dir, 'fullchain.pem'),
      ])
      await writeFile(path.join(dir, 'chain.pem'), await readFile(path.join(dir, 'fullchain.pem')))
      const local = (await readFile(infra('nginx', 'nginx.conf'), 'utf8'))
        .replaceAll('/etc/nginx/tls/', `${dir}/`)
        .replaceAll('/var/log/nginx/', `${dir}/`)
        .replace('pid /run/nginx.pid;', `pid ${dir}/nginx.pid;`)
        // The Compose service name does not resolve here; nginx resolves upstreams at load time.
        .replace('server app:3000 ', 'server 127.0.0.1:3000 ')
      const file = path.join(dir, 'nginx.conf')
      await writeFile(file, local)
      const { stderr } = await run('nginx', ['-t', '-p', dir, '-c', file, '-e', path.join(dir, 'error.log')])
      expect(stderr).toMatch(/test is successful/)
    },
  )
})
