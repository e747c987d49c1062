// The configuration, written once: every environment variable with its type, default, bounds,
// whether it is a secret, and what it means. config.ts validates against it (read-env.ts), and
// `npm run docs:config` prints the README table and .env.example from it, which a test compares.
// Beside JSON Schema's keywords a variable may carry (validators ignore unknown keywords):
//   secret          'generated' (development generates it, production demands it), 'optional' (a
//                   feature's credential) or 'vault-credential' (opens Vault, so never read from it);
//                   secrets have no default and also come from NAME_FILE (and Vault, except the token)
//   defaultText     the README's default column when there is no plain `default`
//   patternMessage  what a `pattern` means, for the error line (the value is never echoed)
import Type, { type Static, type TSchema } from 'typebox'

type Secret = 'generated' | 'optional' | 'vault-credential'

interface Doc {
  readonly description: string
  readonly defaultText?: string
}

const int = (value: number, minimum: number, maximum: number, description: string) => Type.Integer({ default: value, minimum, maximum, description })
const optionalInt = (minimum: number, maximum: number, doc: Doc) => Type.Optional(Type.Integer({ minimum, maximum, ...doc }))
const bool = (value: boolean, description: string) => Type.Boolean({ default: value, description })
const text = (value: string, maxLength: number, description: string) => Type.String({ default: value, maxLength, description })

/** An absolute URL with one of `schemes`; checked in code because JSON Schema cannot parse a URL. */
function url(schemes: readonly string[], options: Doc & { default?: string; secret?: Secret }) {
  const scheme = (value: string) => (URL.canParse(value) ? new URL(value).protocol : undefined)
  return Type.Refine(
    Type.String({ maxLength: 2048, ...options }),
    (value) => schemes.includes(scheme(value) ?? ''),
    (value) => (scheme(value) === undefined ? 'must be a URL' : `must start with ${schemes.map((s) => `${s}//`).join(' or ')}`),
  )
}

/** A secret: no default, and the value is never printed (docs leave it empty). */
const secret = (kind: Secret, schemes: readonly string[] | undefined, doc: Doc) =>
  Type.Optional(schemes === undefined ? Type.String({ maxLength: 8192, secret: kind, ...doc }) : url(schemes, { secret: kind, ...doc }))

const ROLE_NAME = { pattern: '^[a-z_][a-z0-9_]{0,62}$', patternMessage: 'must be a plain lowercase role name' }

const runtime = {
  NODE_ENV: Type.Enum(['development', 'production', 'test'], {
    default: 'development',
    description: '`production` demands every secret, https `PUBLIC_ORIGIN` and `DATABASE_URL`',
  }),
  APP_NAME: text('Secure SaaS Starter', 100, 'in mails, TOTP issuer, OpenAPI title'),
  HOST: text('127.0.0.1', 255, 'listen address (`0.0.0.0` in a container)'),
  PORT: int(3000, 0, 65535, 'listen port'),
  PUBLIC_ORIGIN: Type.Refine(
    Type.String({
      default: 'http://localhost:3000',
      maxLength: 2048,
      description: "the site's origin: mail links, the CSRF origin check; required (https) in production; unset elsewhere: `http://localhost:<PORT>`",
    }),
    (value) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol),
    (value) => (URL.canParse(value) ? 'must use http or https' : 'must be an absolute URL such as https://app.example.com'),
  ),
  TRUST_PROXY: Type.Optional(
    Type.String({
      maxLength: 4096,
      defaultText: 'unset (trust none)',
      description: 'proxy addresses/CIDRs (comma-separated) whose `X-Forwarded-For` is believed; `true` is refused',
    }),
  ),
  BODY_LIMIT_BYTES: int(64 * 1024, 1024, 10 * 1024 * 1024, 'larger bodies get 413'),
  RATE_LIMIT_MAX: int(300, 1, 1_000_000, 'requests per minute per client across the API'),
  UNAUTHENTICATED_RATE_LIMIT_MAX: int(30, 1, 100_000, 'per minute per client on each sign-up/login/reset route'),
  EXPOSE_DOCS: Type.Optional(
    Type.Boolean({
      defaultText: '`true` outside production, `false` in production',
      description: 'serve `/docs` (the OpenAPI page) and `/openapi.json` (ASVS 5.0 V13.4.5: not in production unless intended)',
    }),
  ),
  METRICS_PUBLIC: bool(false, 'serve `/metrics` on the public listener'),
  METRICS_PORT: optionalInt(1, 65535, { description: 'serve `/metrics` alone on a second listener (`METRICS_HOST:METRICS_PORT`)' }),
  METRICS_HOST: text('127.0.0.1', 255, 'address of that listener (`0.0.0.0` inside a pod for the scraper)'),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0, 120_000, 'drain time on SIGTERM/SIGINT before a forced exit'),
  SERVE_PAGES: Type.Optional(
    Type.Boolean({
      defaultText: '`true` outside production, `false` in production',
      description: 'serve the reference pages (`/account`, `/verify-email`, `/reset-password`, `/confirm-email`, `/accept-invitation`)',
    }),
  ),
  LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: int(1_000, 0, 60_000, 'mean event-loop lag past which requests get 503 + `Retry-After`; `0` turns it off'),
  MAIL_POLL_INTERVAL_MS: int(2_000, 100, 600_000, 'how often each instance looks for mail to send'),
  HOUSEKEEPING_INTERVAL_SECONDS: int(600, 1, 86_400, 'how often the fleet (one instance at a time) deletes expired rows'),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', description: 'pino level' }),
  LOG_PRETTY: bool(true, 'pretty logs (development only; JSON otherwise)'),
}

const databaseAndCache = {
  DATABASE_URL: secret('optional', ['postgres:', 'postgresql:'], {
    defaultText: 'unset: embedded PostgreSQL',
    description: "the app's connection (least-privilege role in production); required in production",
  }),
  DATABASE_MIGRATION_URL: secret('optional', ['postgres:', 'postgresql:'], {
    defaultText: 'unset: `DATABASE_URL`',
    description: "the schema owner's connection, for migrations",
  }),
  DATABASE_APP_ROLE: Type.String({ default: 'app', ...ROLE_NAME, description: 'role granted row access after migrations (a plain lowercase role name)' }),
  DATABASE_TENANT_ROLE: Type.String({
    default: 'app_tenant',
    ...ROLE_NAME,
    description: 'NOLOGIN role, no BYPASSRLS, that tenant transactions switch to so Row Level Security applies ([tenancy](docs/tenancy.md))',
  }),
  DATABASE_POOL_MAX: int(10, 1, 200, 'pool size'),
  MIGRATE_ON_START: Type.Optional(Type.Boolean({ defaultText: '`true` outside production', description: 'run migrations at `npm start`' })),
  REDIS_URL: secret('optional', ['redis:', 'rediss:'], {
    defaultText: 'unset: failure counters in PostgreSQL, request limits per process',
    description:
      'every rate limit and failure counter, shared across instances; logins fail closed (503) while it is down ([decision 0046](docs/decisions/0046-counters-in-redis-and-outages.md))',
  }),
  REDIS_KEY_PREFIX: text('sss:', 64, 'prefix of every key the app writes to Redis'),
}

const mail = {
  SMTP_URL: secret('optional', ['smtp:', 'smtps:'], {
    defaultText: 'unset: print mail (development)',
    description: '`smtps://`, or `smtp://` which must upgrade with STARTTLS unless the relay is on loopback; credentials in the URL',
  }),
  MAIL_TRANSPORT: Type.Optional(
    Type.Enum(['smtp', 'stdout'], {
      defaultText: 'unset: automatic',
      description:
        '`stdout` is refused in production and must be set to print mail from a container started without `NODE_ENV` or on a non-loopback `HOST` ([decision 0077](docs/decisions/0077-refuse-dev-defaults-when-deployed.md))',
    }),
  ),
  MAIL_FROM: text('Secure SaaS Starter <no-reply@localhost>', 320, 'sender address'),
}

const keys = {
  DATA_KEYS: secret('generated', undefined, {
    defaultText: 'generated in development',
    description: 'key ring sealing TOTP secrets: `id:base64url(32 bytes)`, comma-separated, first active ([rotation](docs/runbooks/rotate-keys.md))',
  }),
  TOKEN_HMAC_KEYS: secret('generated', undefined, { defaultText: 'generated in development', description: 'key ring for API-token HMACs, same format' }),
}

const passwords = {
  PASSWORD_MIN_LENGTH: int(15, 8, 64, 'below 15 only with `MFA_REQUIRED=true` (NIST SP 800-63B-4)'),
  PASSWORD_MAX_LENGTH: int(128, 64, 1024, 'longer passwords refused before hashing'),
  MFA_REQUIRED: bool(false, 'enforce a second factor (allows a lower minimum length)'),
  // Above OWASP's floor (m >= 19 MiB, t >= 2), measured here at ~190 ms (docs/decisions/0003).
  ARGON2_MEMORY_KIB: int(65_536, 19_456, 4_194_304, "argon2id memory (64 MiB: ~190 ms here; the floor is OWASP's)"),
  ARGON2_ITERATIONS: int(2, 2, 100, 'argon2id passes'),
  ARGON2_PARALLELISM: int(1, 1, 16, 'argon2id lanes'),
  PASSWORD_HASH_CONCURRENCY: optionalInt(1, 64, {
    defaultText: 'CPU cores - 1, between 1 and 3',
    description:
      'hashes running at once; the default leaves a core to the event loop during a login flood ([decision 0090](docs/decisions/0090-hash-lanes-and-buffered-logs.md))',
  }),
  PASSWORD_HASH_QUEUE_MAX: int(64, 0, 10_000, 'hashes waiting; beyond it 503'),
  HIBP_ENABLED: bool(false, 'refuse passwords found in Have I Been Pwned (k-anonymity range API)'),
  HIBP_TIMEOUT_MS: int(1_500, 100, 30_000, 'fails open after this'),
  HIBP_RANGE_URL: text('https://api.pwnedpasswords.com/range/', 2048, 'range API base'),
}

const authentication = {
  REQUIRE_VERIFIED_EMAIL: bool(true, 'login refused (403) until the email is verified'),
  UNVERIFIED_ACCOUNT_TTL_DAYS: int(7, 1, 365, 'housekeeping deletes accounts still unverified after this many days, freeing the address'),
  // NIST SP 800-63B-4 §2.2.3 (AAL2): re-authenticate after 1 hour idle, 24 hours in all.
  SESSION_IDLE_TIMEOUT_SECONDS: int(3_600, 60, 30 * 86_400, 'NIST AAL2 idle timeout'),
  SESSION_ABSOLUTE_TIMEOUT_SECONDS: int(86_400, 300, 365 * 86_400, 'NIST AAL2 absolute timeout'),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: int(10, 1, 1_000, 'failures per email per window before 429'),
  LOGIN_MAX_FAILURES_PER_IP: int(50, 1, 100_000, 'failures per client address per window'),
  LOGIN_FAILURE_WINDOW_SECONDS: int(900, 60, 86_400, 'the throttling window'),
  // NIST SP 800-63B-4 §3.2.2: no more than 100 consecutive failed attempts on one account.
  LOGIN_MAX_CONSECUTIVE_FAILURES: int(
    100,
    1,
    100,
    'consecutive failures per account and factor (password; TOTP or recovery code); past it 429 until a password reset ([decision 0045](docs/decisions/0045-consecutive-failure-cap.md))',
  ),
}

const apiTokens = {
  API_TOKEN_PREFIX: Type.String({
    default: 'sss',
    pattern: '^[a-z][a-z0-9]{1,9}$',
    patternMessage: '2-10 lowercase letters or digits, starting with a letter',
    description: 'token prefix secret scanners match: 2-10 lowercase letters or digits, starting with a letter',
  }),
  API_TOKEN_DEFAULT_DAYS: int(90, 1, 3650, 'expiry when none is asked (capped at `API_TOKEN_MAX_DAYS`)'),
  API_TOKEN_MAX_DAYS: int(365, 1, 3650, 'longest expiry allowed'),
}

const securityTxt = {
  SECURITY_CONTACT: text('mailto:security@example.com', 2048, '`security.txt` Contact'),
  SECURITY_TXT_EXPIRES_DAYS: int(180, 1, 365, '`security.txt` Expires, from now'),
  SECURITY_POLICY_URL: Type.Optional(Type.String({ maxLength: 2048, description: '`security.txt` Policy' })),
}

const vault = {
  VAULT_ADDR: Type.Optional(
    Type.String({
      maxLength: 2048,
      pattern: '^https?://',
      patternMessage: 'must be an http(s) URL',
      description: 'Vault base URL, e.g. `https://vault.internal:8200`; enables the Vault source; https required outside development',
    }),
  ),
  VAULT_TOKEN: secret('vault-credential', undefined, { description: 'Vault token (or `VAULT_TOKEN_FILE`)' }),
  VAULT_PATH: Type.Optional(Type.String({ maxLength: 1024, description: 'KV v2 secret path, required with `VAULT_ADDR`, e.g. `secure-saas/production`' })),
  VAULT_KV_MOUNT: text('secret', 255, 'KV v2 mount'),
  VAULT_NAMESPACE: Type.Optional(Type.String({ maxLength: 255, description: 'Vault Enterprise namespace' })),
}

/** The sections of .env.example, in order; the README table follows the same order. */
export const ENV_SECTIONS = [
  { title: 'runtime', names: Object.keys(runtime) },
  { title: 'database and cache (secrets: connection strings carry passwords)', names: Object.keys(databaseAndCache) },
  { title: 'mail', names: Object.keys(mail) },
  { title: 'keys (secrets; "<id>:<base64url of 32 bytes>", comma-separated, first one active)', names: Object.keys(keys) },
  { title: 'passwords (NIST SP 800-63B-4, OWASP ASVS 5.0 V6.2)', names: Object.keys(passwords) },
  { title: 'authentication', names: Object.keys(authentication) },
  { title: 'API tokens', names: Object.keys(apiTokens) },
  { title: 'security.txt (RFC 9116)', names: Object.keys(securityTxt) },
  { title: 'HashiCorp Vault KV v2 (optional source for every secret above)', names: Object.keys(vault) },
] as const

export const EnvSchema = Type.Object({
  ...runtime,
  ...databaseAndCache,
  ...mail,
  ...keys,
  ...passwords,
  ...authentication,
  ...apiTokens,
  ...securityTxt,
  ...vault,
})

/** The environment once validated: numbers and booleans converted, defaults filled. */
export type EnvSettings = Static<typeof EnvSchema>
export type EnvName = keyof EnvSettings

/** The variable's secret kind, if it is one. */
export function secretKind(schema: TSchema): Secret | undefined {
  const kind = (schema as { secret?: unknown }).secret
  return kind === 'generated' || kind === 'optional' || kind === 'vault-credential' ? kind : undefined
}

const namesOf = (kind: Secret) => (Object.keys(EnvSchema.properties) as EnvName[]).filter((name) => secretKind(EnvSchema.properties[name]) === kind)

/** Secrets the server cannot run without: generated in development, demanded in production. */
export const REQUIRED_SECRETS = namesOf('generated')
/** Secrets that switch a feature on when present (each also accepts `_FILE` and Vault). */
export const OPTIONAL_SECRETS = namesOf('optional')
