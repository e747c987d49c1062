import { describe, expect, it } from 'vitest'
import { EnvSchema, OPTIONAL_SECRETS, REQUIRED_SECRETS, secretKind } from './env-schema.js'
import { readEnv } from './read-env.js'

type Property = {
  type?: string
  default?: unknown
  description?: string
  minimum?: number
  maximum?: number
  maxLength?: number
  pattern?: string
  enum?: unknown[]
}
const properties = Object.entries(EnvSchema.properties) as [string, Property][]

describe('the configuration schema', () => {
  it('gives every variable a meaning, every number bounds, every string a length cap (or a bounded pattern), and no secret a default', () => {
    expect(properties.length).toBeGreaterThan(40)
    for (const [name, p] of properties) {
      expect(p.description, name).toMatch(/\w/)
      if (p.type === 'integer') expect([p.minimum, p.maximum], name).toEqual([expect.any(Number), expect.any(Number)])
      // An anchored pattern with a bounded repeat caps the length as well.
      if (p.type === 'string') expect(p.maxLength ?? p.pattern?.match(/\{\d+,\d+\}\$$/)?.[0], name).toBeDefined()
      if (secretKind(p) !== undefined) expect(p.default, name).toBeUndefined()
    }
    expect(REQUIRED_SECRETS).toEqual(['DATA_KEYS', 'TOKEN_HMAC_KEYS'])
    expect(OPTIONAL_SECRETS).toEqual(['DATABASE_URL', 'DATABASE_MIGRATION_URL', 'REDIS_URL', 'SMTP_URL'])
  })

  it('fills defaults, converts strictly, and names the variable but never its value', () => {
    expect(readEnv(EnvSchema, { PORT: ' 8080 ', HIBP_ENABLED: 'Yes', METRICS_PORT: '' })).toMatchObject({ PORT: 8080, HIBP_ENABLED: true, LOG_LEVEL: 'info' })
    expect(readEnv(EnvSchema, {}).METRICS_PORT).toBeUndefined()
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: '1e3' }, /^PORT: must be an integer$/],
      [{ PORT: '65536' }, /^PORT: must be between 0 and 65535$/],
      [{ HIBP_ENABLED: 'maybe' }, /^HIBP_ENABLED: must be true or false$/],
      [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent$/],
      [{ API_TOKEN_PREFIX: 'Sss' }, /^API_TOKEN_PREFIX: 2-10 lowercase letters or digits/],
      [{ DATABASE_TENANT_ROLE: 'x; drop role app' }, /^DATABASE_TENANT_ROLE: must be a plain lowercase role name$/],
      [{ REDIS_URL: 'http://cache-password@redis' }, /^REDIS_URL: must start with redis:\/\/ or rediss:\/\/$/],
      [{ SMTP_URL: 'not a url cache-password' }, /^SMTP_URL: must be a URL$/],
      [{ APP_NAME: 'x'.repeat(101) }, /^APP_NAME: must be at most 100 characters$/],
    ]
    for (const [env, message] of cases) {
      const err = (() => {
        try {
          readEnv(EnvSchema, env)
        } catch (e) {
          return e as Error
        }
        return undefined
      })()
      expect(err?.message).toMatch(message)
      expect(err?.message).not.toContain('cache-password')
    }
  })
})
