// The one place that reads process.env. Everything is validated once, at start-up, against the one
// schema (env-schema.ts: types, defaults, bounds) and then the rules that span variables, into a
// typed, frozen Config; a bad value stops the process with one line naming the variable, never its
// value. Secrets have no defaults: production demands them, development generates them once
// (dev-secrets.ts).
import { isIP } from 'node:net'
import Type from 'typebox'
import { ConfigError } from './config-error.js'
import { assertVaultScheme, detectRuntime, type MailTransport, mailTransportFrom, type Runtime } from './deployment.js'
import { ensureDevSecrets } from './dev-secrets.js'
import { EnvSchema, type EnvSettings, OPTIONAL_SECRETS, REQUIRED_SECRETS } from './env-schema.js'
import { type KeyRing, KeyRingError, parseKeyRing } from '../crypto/keyring.js'
import { defaultHashLanes } from '../crypto/password-lanes.js'
import { readEnv } from './read-env.js'
import { type Env, fetchVaultSecrets, resolveSecrets, VAULT_SETTINGS, vaultSourceFrom } from './secrets.js'

export type NodeEnv = EnvSettings['NODE_ENV']

export interface Config {
  readonly env: NodeEnv
  readonly appName: string
  readonly http: {
    readonly host: string
    readonly port: number
    readonly publicOrigin: string
    /** false: the socket address is the client; else the proxies' addresses or CIDRs. */
    readonly trustProxy: false | string[]
    readonly bodyLimitBytes: number
    readonly rateLimitMax: number
    readonly exposeDocs: boolean
    readonly metricsPublic: boolean
    /** A separate listener for /metrics (for the scraper only); undefined: none. */
    readonly metricsPort: number | undefined
    readonly metricsHost: string
    readonly shutdownTimeoutMs: number
    /** Serve the reference pages (/account, /verify-email, ...); on outside production by default. */
    readonly servePages: boolean
    /** Mean event-loop lag past which requests get 503 + Retry-After (@fastify/under-pressure); 0: off. */
    readonly loadShedMaxEventLoopDelayMs: number
  }
  readonly log: { readonly level: string; readonly pretty: boolean }
  readonly db: {
    /** undefined: start the embedded PostgreSQL (development and tests only). */
    readonly url: string | undefined
    readonly migrationUrl: string | undefined
    /** The least-privilege role the app connects as; granted row access after migrations. */
    readonly appRole: string
    /** NOLOGIN role without BYPASSRLS that serves tenant transactions (src/db/tenant.ts). */
    readonly tenantRole: string
    readonly poolMax: number
    readonly migrateOnStart: boolean
  }
  readonly redis: { readonly url: string | undefined; readonly keyPrefix: string }
  readonly mail: {
    readonly smtpUrl: string | undefined
    readonly from: string
    /** smtp: SMTP_URL; stdout: printed (development); none: kept in the outbox (production without SMTP). */
    readonly transport: MailTransport
    /** Why the terminal printer was refused (the process looks deployed); logged once at start. */
    readonly withheld?: string
  }
  readonly keys: { readonly data: KeyRing; readonly tokenHmac: KeyRing }
  readonly passwords: {
    readonly minLength: number
    readonly maxLength: number
    readonly argon2: { readonly memoryKiB: number; readonly iterations: number; readonly parallelism: number }
    readonly maxConcurrentHashes: number
    readonly maxQueuedHashes: number
    readonly breachCheck: { readonly enabled: boolean; readonly timeoutMs: number; readonly rangeUrl: string }
  }
  readonly auth: {
    readonly mfaRequired: boolean
    readonly requireVerifiedEmail: boolean
    readonly sessionIdleSeconds: number
    readonly sessionAbsoluteSeconds: number
    readonly loginMaxFailuresPerAccount: number
    readonly loginMaxFailuresPerIp: number
    readonly loginFailureWindowSeconds: number
    /** Consecutive failures per account and factor that only a success (or a reset) clears. */
    readonly maxConsecutiveFailures: number
    readonly unauthenticatedRateLimitMax: number
    /** Days an account may stay unverified before housekeeping deletes it (docs/decisions/0041). */
    readonly unverifiedAccountTtlDays: number
  }
  readonly apiTokens: { readonly prefix: string; readonly defaultDays: number; readonly maxDays: number }
  readonly securityTxt: { readonly contact: string; readonly expiresDays: number; readonly policyUrl: string | undefined }
  /** Background work every instance runs (src/mail/mail-sender.ts, src/housekeeping.ts). */
  readonly jobs: { readonly mailPollIntervalMs: number; readonly housekeepingIntervalSeconds: number }
}

function trustProxyFrom(raw: string | undefined): Config['http']['trustProxy'] {
  if (raw === undefined || raw === 'false') return false
  if (raw === 'true') throw new ConfigError('TRUST_PROXY: "true" would trust any sender; name the proxies (addresses or CIDRs)')
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const entry of list) {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) continue
    const [address = '', prefix, extra] = entry.split('/')
    // A zone index (fe80::1%eth0) names an interface, not an address a proxy connects from.
    const family = address.includes('%') ? 0 : isIP(address)
    const bits = family === 4 ? 32 : 128
    if (family === 0 || extra !== undefined || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits))) {
      throw new ConfigError('TRUST_PROXY: must be a comma-separated list of addresses or CIDRs')
    }
    if (prefix !== undefined && Number(prefix) === 0)
      throw new ConfigError(`TRUST_PROXY: ${entry} would trust any sender; name the proxies (addresses or CIDRs)`)
  }
  return list
}

/**
 * Builds the Config from the environment, `_FILE` secrets and Vault. Throws ConfigError.
 * `cwd` is where development secrets are kept (`.secrets.dev.json`).
 */
export async function loadConfig(
  env: Env = process.env,
  options: { cwd?: string; onNotice?: (line: string) => void; runtime?: Runtime } = {},
): Promise<Config> {
  // NODE_ENV and Vault's address first: they decide where secrets come from.
  const early = readEnv(Type.Pick(EnvSchema, ['NODE_ENV', ...VAULT_SETTINGS]), env)
  const production = early.NODE_ENV === 'production'
  // A container that was not told NODE_ENV is treated as deployed, not as a developer's machine.
  const nodeEnvSet = (env['NODE_ENV'] ?? '') !== ''
  const runtime = options.runtime ?? detectRuntime(env)
  assertVaultScheme(early.VAULT_ADDR, { developmentLike: !production && (nodeEnvSet || !runtime.inContainer) })
  const vault = await vaultSourceFrom(early, env)
  const vaultSecrets = vault ? await fetchVaultSecrets(vault) : {}
  const found = await resolveSecrets(env, [...REQUIRED_SECRETS, ...OPTIONAL_SECRETS], vaultSecrets)

  const missing = REQUIRED_SECRETS.filter((name) => found[name] === undefined)
  if (missing.length > 0) {
    if (production) throw new ConfigError(`${missing[0]}: required in production (set it, ${missing[0]}_FILE, or put it in Vault)`)
    Object.assign(found, await ensureDevSecrets(options.cwd ?? process.cwd(), missing, options.onNotice))
  }
  // Every variable against the schema, the secrets as resolved (from the variable, its _FILE or Vault).
  const e = readEnv(EnvSchema, { ...env, ...found })
  return deepFreeze(configFrom(e, { production, nodeEnvSet, runtime, publicOriginSet: (env['PUBLIC_ORIGIN'] ?? '') !== '' }))
}

/** The rules that span variables, which a schema cannot say; each error names one variable. */
function checkCrossField(e: EnvSettings, production: boolean, publicOriginSet: boolean): void {
  if (production && e.DATABASE_URL === undefined) throw new ConfigError('DATABASE_URL: required in production (the embedded PostgreSQL is for development)')
  if (production && !publicOriginSet) throw new ConfigError('PUBLIC_ORIGIN: required in production')
  if (production && !e.PUBLIC_ORIGIN.startsWith('https:')) throw new ConfigError('PUBLIC_ORIGIN: must be https in production')
  // NIST SP 800-63B-4 §3.1.1.2: 15 characters for a single factor; 8 only when a second factor is enforced.
  if (e.PASSWORD_MIN_LENGTH < 15 && !e.MFA_REQUIRED) throw new ConfigError('PASSWORD_MIN_LENGTH: below 15 only with MFA_REQUIRED=true (NIST SP 800-63B-4)')
}

/**
 * PUBLIC_ORIGIN, or (unset, which production refuses) the server's own address on this machine,
 * `http://localhost:<PORT>`: `PORT=3812 npm start` then serves pages whose requests pass the CSRF
 * origin check and mails links to itself. PORT=0 (any free port) keeps the schema's default.
 */
function publicOriginFrom(e: EnvSettings, set: boolean): string {
  if (set || e.PORT === 0) return new URL(e.PUBLIC_ORIGIN).origin
  return `http://localhost:${e.PORT}`
}

/** Maps the flat, validated environment onto the structured Config the code reads. */
function configFrom(e: EnvSettings, ctx: { production: boolean; nodeEnvSet: boolean; runtime: Runtime; publicOriginSet: boolean }): Config {
  const { production } = ctx
  checkCrossField(e, production, ctx.publicOriginSet)
  const mailChoice = mailTransportFrom(e.MAIL_TRANSPORT, { production, nodeEnvSet: ctx.nodeEnvSet, host: e.HOST, smtpUrl: e.SMTP_URL, runtime: ctx.runtime })
  return {
    env: e.NODE_ENV,
    appName: e.APP_NAME,
    http: {
      host: e.HOST,
      port: e.PORT,
      publicOrigin: publicOriginFrom(e, ctx.publicOriginSet),
      trustProxy: trustProxyFrom(e.TRUST_PROXY),
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      rateLimitMax: e.RATE_LIMIT_MAX,
      exposeDocs: e.EXPOSE_DOCS ?? !production,
      metricsPublic: e.METRICS_PUBLIC,
      metricsPort: e.METRICS_PORT,
      metricsHost: e.METRICS_HOST,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      servePages: e.SERVE_PAGES ?? !production,
      loadShedMaxEventLoopDelayMs: e.LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS,
    },
    log: { level: e.LOG_LEVEL, pretty: e.NODE_ENV === 'development' && e.LOG_PRETTY },
    db: {
      url: e.DATABASE_URL,
      migrationUrl: e.DATABASE_MIGRATION_URL,
      appRole: e.DATABASE_APP_ROLE,
      tenantRole: e.DATABASE_TENANT_ROLE,
      poolMax: e.DATABASE_POOL_MAX,
      migrateOnStart: e.MIGRATE_ON_START ?? !production,
    },
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      transport: mailChoice.transport,
      ...(mailChoice.withheld === undefined ? {} : { withheld: mailChoice.withheld }),
    },
    keys: { data: keyRing('DATA_KEYS', e.DATA_KEYS), tokenHmac: keyRing('TOKEN_HMAC_KEYS', e.TOKEN_HMAC_KEYS) },
    passwords: {
      minLength: e.PASSWORD_MIN_LENGTH,
      maxLength: e.PASSWORD_MAX_LENGTH,
      argon2: { memoryKiB: e.ARGON2_MEMORY_KIB, iterations: e.ARGON2_ITERATIONS, parallelism: e.ARGON2_PARALLELISM },
      maxConcurrentHashes: e.PASSWORD_HASH_CONCURRENCY ?? defaultHashLanes(),
      maxQueuedHashes: e.PASSWORD_HASH_QUEUE_MAX,
      breachCheck: { enabled: e.HIBP_ENABLED, timeoutMs: e.HIBP_TIMEOUT_MS, rangeUrl: e.HIBP_RANGE_URL },
    },
    auth: {
      mfaRequired: e.MFA_REQUIRED,
      requireVerifiedEmail: e.REQUIRE_VERIFIED_EMAIL,
      sessionIdleSeconds: e.SESSION_IDLE_TIMEOUT_SECONDS,
      sessionAbsoluteSeconds: e.SESSION_ABSOLUTE_TIMEOUT_SECONDS,
      loginMaxFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      loginMaxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      loginFailureWindowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
      maxConsecutiveFailures: e.LOGIN_MAX_CONSECUTIVE_FAILURES,
      unauthenticatedRateLimitMax: e.UNAUTHENTICATED_RATE_LIMIT_MAX,
      unverifiedAccountTtlDays: e.UNVERIFIED_ACCOUNT_TTL_DAYS,
    },
    apiTokens: {
      prefix: e.API_TOKEN_PREFIX,
      defaultDays: Math.min(e.API_TOKEN_DEFAULT_DAYS, e.API_TOKEN_MAX_DAYS),
      maxDays: e.API_TOKEN_MAX_DAYS,
    },
    securityTxt: { contact: e.SECURITY_CONTACT, expiresDays: e.SECURITY_TXT_EXPIRES_DAYS, policyUrl: e.SECURITY_POLICY_URL },
    jobs: { mailPollIntervalMs: e.MAIL_POLL_INTERVAL_MS, housekeepingIntervalSeconds: e.HOUSEKEEPING_INTERVAL_SECONDS },
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value) && !(value instanceof Map)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

/** Decodes a key ring at load, so a bad key fails at boot with a ConfigError naming the variable. */
function keyRing(name: string, value: string | undefined): KeyRing {
  if (value === undefined) throw new ConfigError(`${name}: missing`)
  try {
    return parseKeyRing(name, value)
  } catch (err) {
    if (err instanceof KeyRingError) throw new ConfigError(err.message)
    throw err
  }
}
