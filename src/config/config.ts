// The one place that reads process.env. Everything is validated once, at start-up, into a typed,
// frozen Config; a bad value stops the process with one line naming the variable, never its value.
// Secrets have no defaults: production demands them, development generates them once (dev-secrets.ts).
import { ConfigError } from './config-error.js'
import { assertVaultScheme, detectRuntime, type MailTransport, mailTransportFrom, type Runtime } from './deployment.js'
import { ensureDevSecrets } from './dev-secrets.js'
import { type KeyRing, KeyRingError, parseKeyRing } from '../crypto/keyring.js'
import { defaultHashLanes } from '../crypto/password-lanes.js'
import { bool, int, oneOf, optionalStr, origin, str, urlWithScheme } from './readers.js'
import { type Env, fetchVaultSecrets, resolveSecrets, vaultSourceFrom } from './secrets.js'

export type NodeEnv = 'development' | 'production' | 'test'

/** Secrets the server cannot run without: generated in development, demanded in production. */
export const REQUIRED_SECRETS = ['DATA_KEYS', 'TOKEN_HMAC_KEYS'] as const
/** Secrets that switch a feature on when present (each also accepts `_FILE` and Vault). */
export const OPTIONAL_SECRETS = ['DATABASE_URL', 'DATABASE_MIGRATION_URL', 'REDIS_URL', 'SMTP_URL'] as const

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

function trustProxyFrom(env: Env): Config['http']['trustProxy'] {
  const raw = optionalStr(env, 'TRUST_PROXY')
  if (raw === undefined || raw === 'false') return false
  if (raw === 'true') throw new ConfigError('TRUST_PROXY: "true" would trust any sender; name the proxies (addresses or CIDRs)')
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (!list.every((entry) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry) || ['loopback', 'linklocal', 'uniquelocal'].includes(entry))) {
    throw new ConfigError('TRUST_PROXY: must be a comma-separated list of addresses or CIDRs')
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
  const nodeEnv = oneOf<NodeEnv>(env, 'NODE_ENV', ['development', 'production', 'test'], 'development')
  const production = nodeEnv === 'production'
  // A container that was not told NODE_ENV is treated as deployed, not as a developer's machine.
  const nodeEnvSet = optionalStr(env, 'NODE_ENV') !== undefined
  const runtime = options.runtime ?? detectRuntime(env)
  assertVaultScheme(env, { developmentLike: !production && (nodeEnvSet || !runtime.inContainer) })
  const vault = await vaultSourceFrom(env)
  const vaultSecrets = vault ? await fetchVaultSecrets(vault) : {}
  const found = await resolveSecrets(env, [...REQUIRED_SECRETS, ...OPTIONAL_SECRETS], vaultSecrets)

  const missing = REQUIRED_SECRETS.filter((name) => found[name] === undefined)
  if (missing.length > 0) {
    if (production) throw new ConfigError(`${missing[0]}: required in production (set it, ${missing[0]}_FILE, or put it in Vault)`)
    Object.assign(found, await ensureDevSecrets(options.cwd ?? process.cwd(), missing, options.onNotice))
  }
  const secret = (name: (typeof REQUIRED_SECRETS)[number]): string => {
    const value = found[name]
    if (value === undefined) throw new ConfigError(`${name}: missing`)
    return value
  }

  const databaseUrl = urlWithScheme('DATABASE_URL', found['DATABASE_URL'], ['postgres:', 'postgresql:'])
  if (production && databaseUrl === undefined) throw new ConfigError('DATABASE_URL: required in production (the embedded PostgreSQL is for development)')
  const publicOrigin = origin(env, 'PUBLIC_ORIGIN', 'http://localhost:3000')
  if (production && optionalStr(env, 'PUBLIC_ORIGIN') === undefined) throw new ConfigError('PUBLIC_ORIGIN: required in production')
  if (production && !publicOrigin.startsWith('https:')) throw new ConfigError('PUBLIC_ORIGIN: must be https in production')

  const mfaRequired = bool(env, 'MFA_REQUIRED', false)
  // NIST SP 800-63B-4 §3.1.1.2: 15 characters for a single factor; 8 only when a second factor is enforced.
  const minLength = int(env, 'PASSWORD_MIN_LENGTH', 15, { min: 8, max: 64 })
  if (minLength < 15 && !mfaRequired) throw new ConfigError('PASSWORD_MIN_LENGTH: below 15 only with MFA_REQUIRED=true (NIST SP 800-63B-4)')
  const apiTokenMaxDays = int(env, 'API_TOKEN_MAX_DAYS', 365, { min: 1, max: 3650 })
  const host = str(env, 'HOST', '127.0.0.1')
  const smtpUrl = urlWithScheme('SMTP_URL', found['SMTP_URL'], ['smtp:', 'smtps:'])
  const mailChoice = mailTransportFrom(env, { production, nodeEnvSet, host, smtpUrl, runtime })

  const config: Config = {
    env: nodeEnv,
    appName: str(env, 'APP_NAME', 'Secure SaaS Starter'),
    http: {
      host,
      port: int(env, 'PORT', 3000, { min: 0, max: 65535 }),
      publicOrigin,
      trustProxy: trustProxyFrom(env),
      bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 64 * 1024, { min: 1024, max: 10 * 1024 * 1024 }),
      rateLimitMax: int(env, 'RATE_LIMIT_MAX', 300, { min: 1, max: 1_000_000 }),
      exposeDocs: bool(env, 'EXPOSE_DOCS', true),
      metricsPublic: bool(env, 'METRICS_PUBLIC', false),
      metricsPort: optionalStr(env, 'METRICS_PORT') === undefined ? undefined : int(env, 'METRICS_PORT', 9464, { min: 1, max: 65535 }),
      metricsHost: str(env, 'METRICS_HOST', '127.0.0.1'),
      shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, { min: 0, max: 120_000 }),
      servePages: bool(env, 'SERVE_PAGES', !production),
      loadShedMaxEventLoopDelayMs: int(env, 'LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS', 1_000, { min: 0, max: 60_000 }),
    },
    log: {
      level: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
      pretty: nodeEnv === 'development' && bool(env, 'LOG_PRETTY', true),
    },
    db: {
      url: databaseUrl,
      migrationUrl: urlWithScheme('DATABASE_MIGRATION_URL', found['DATABASE_MIGRATION_URL'], ['postgres:', 'postgresql:']),
      appRole: str(env, 'DATABASE_APP_ROLE', 'app'),
      tenantRole: str(env, 'DATABASE_TENANT_ROLE', 'app_tenant'),
      poolMax: int(env, 'DATABASE_POOL_MAX', 10, { min: 1, max: 200 }),
      migrateOnStart: bool(env, 'MIGRATE_ON_START', !production),
    },
    redis: { url: urlWithScheme('REDIS_URL', found['REDIS_URL'], ['redis:', 'rediss:']), keyPrefix: str(env, 'REDIS_KEY_PREFIX', 'sss:') },
    mail: {
      smtpUrl,
      from: str(env, 'MAIL_FROM', 'Secure SaaS Starter <no-reply@localhost>'),
      transport: mailChoice.transport,
      ...(mailChoice.withheld === undefined ? {} : { withheld: mailChoice.withheld }),
    },
    keys: {
      data: keyRing('DATA_KEYS', secret('DATA_KEYS')),
      tokenHmac: keyRing('TOKEN_HMAC_KEYS', secret('TOKEN_HMAC_KEYS')),
    },
    passwords: {
      minLength,
      maxLength: int(env, 'PASSWORD_MAX_LENGTH', 128, { min: 64, max: 1024 }),
      argon2: {
        // Above OWASP's floor (m >= 19 MiB, t >= 2), measured here at ~190 ms (docs/decisions/0003).
        memoryKiB: int(env, 'ARGON2_MEMORY_KIB', 65_536, { min: 19_456, max: 4_194_304 }),
        iterations: int(env, 'ARGON2_ITERATIONS', 2, { min: 2, max: 100 }),
        parallelism: int(env, 'ARGON2_PARALLELISM', 1, { min: 1, max: 16 }),
      },
      maxConcurrentHashes: int(env, 'PASSWORD_HASH_CONCURRENCY', defaultHashLanes(), { min: 1, max: 64 }),
      maxQueuedHashes: int(env, 'PASSWORD_HASH_QUEUE_MAX', 64, { min: 0, max: 10_000 }),
      breachCheck: {
        enabled: bool(env, 'HIBP_ENABLED', false),
        timeoutMs: int(env, 'HIBP_TIMEOUT_MS', 1_500, { min: 100, max: 30_000 }),
        rangeUrl: str(env, 'HIBP_RANGE_URL', 'https://api.pwnedpasswords.com/range/'),
      },
    },
    auth: {
      mfaRequired,
      requireVerifiedEmail: bool(env, 'REQUIRE_VERIFIED_EMAIL', true),
      // NIST SP 800-63B-4 §2.2.3 (AAL2): re-authenticate after 1 hour idle, 24 hours in all.
      sessionIdleSeconds: int(env, 'SESSION_IDLE_TIMEOUT_SECONDS', 3_600, { min: 60, max: 30 * 86_400 }),
      sessionAbsoluteSeconds: int(env, 'SESSION_ABSOLUTE_TIMEOUT_SECONDS', 86_400, { min: 300, max: 365 * 86_400 }),
      loginMaxFailuresPerAccount: int(env, 'LOGIN_MAX_FAILURES_PER_ACCOUNT', 10, { min: 1, max: 1_000 }),
      loginMaxFailuresPerIp: int(env, 'LOGIN_MAX_FAILURES_PER_IP', 50, { min: 1, max: 100_000 }),
      loginFailureWindowSeconds: int(env, 'LOGIN_FAILURE_WINDOW_SECONDS', 900, { min: 60, max: 86_400 }),
      // NIST SP 800-63B-4 §3.2.2: no more than 100 consecutive failed attempts on one account.
      maxConsecutiveFailures: int(env, 'LOGIN_MAX_CONSECUTIVE_FAILURES', 100, { min: 1, max: 100 }),
      unauthenticatedRateLimitMax: int(env, 'UNAUTHENTICATED_RATE_LIMIT_MAX', 30, { min: 1, max: 100_000 }),
      unverifiedAccountTtlDays: int(env, 'UNVERIFIED_ACCOUNT_TTL_DAYS', 7, { min: 1, max: 365 }),
    },
    apiTokens: {
      prefix: tokenPrefix(env),
      defaultDays: Math.min(int(env, 'API_TOKEN_DEFAULT_DAYS', 90, { min: 1, max: 3650 }), apiTokenMaxDays),
      maxDays: apiTokenMaxDays,
    },
    securityTxt: {
      contact: str(env, 'SECURITY_CONTACT', 'mailto:security@example.com'),
      expiresDays: int(env, 'SECURITY_TXT_EXPIRES_DAYS', 180, { min: 1, max: 365 }),
      policyUrl: optionalStr(env, 'SECURITY_POLICY_URL'),
    },
    jobs: {
      mailPollIntervalMs: int(env, 'MAIL_POLL_INTERVAL_MS', 2_000, { min: 100, max: 600_000 }),
      housekeepingIntervalSeconds: int(env, 'HOUSEKEEPING_INTERVAL_SECONDS', 600, { min: 1, max: 86_400 }),
    },
  }
  return deepFreeze(config)
}

function tokenPrefix(env: Env): string {
  const prefix = str(env, 'API_TOKEN_PREFIX', 'sss')
  if (!/^[a-z][a-z0-9]{1,9}$/.test(prefix)) throw new ConfigError('API_TOKEN_PREFIX: 2-10 lowercase letters or digits, starting with a letter')
  return prefix
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value) && !(value instanceof Map)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

/** Decodes a key ring at load, so a bad key fails at boot with a ConfigError naming the variable. */
function keyRing(name: string, value: string): KeyRing {
  try {
    return parseKeyRing(name, value)
  } catch (err) {
    if (err instanceof KeyRingError) throw new ConfigError(err.message)
    throw err
  }
}
