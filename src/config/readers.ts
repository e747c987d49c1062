// Typed readers for environment variables. Every error names the variable and the rule it broke,
// never the value it held (it may be a secret pasted in the wrong place).
import { ConfigError } from './config-error.js'
import type { Env } from './secrets.js'

export function str(env: Env, name: string, fallback: string): string {
  const value = env[name]
  return value === undefined || value === '' ? fallback : value
}

export function optionalStr(env: Env, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

export function int(env: Env, name: string, fallback: number, range: { min: number; max: number }): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name}: must be an integer`)
  const value = Number(raw.trim())
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new ConfigError(`${name}: must be between ${range.min} and ${range.max}`)
  }
  return value
}

export function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (raw === undefined || raw === '') return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true
  if (['0', 'false', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(`${name}: must be true or false`)
}

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(`${name}: must be one of ${allowed.join(', ')}`)
  return raw as T
}

export function origin(env: Env, name: string, fallback: string): string {
  const raw = str(env, name, fallback)
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${name}: must be an absolute URL such as https://app.example.com`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${name}: must use http or https`)
  return url.origin
}

export function urlWithScheme(name: string, value: string | undefined, schemes: readonly string[]): string | undefined {
  if (value === undefined) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(`${name}: must be a URL`)
  }
  if (!schemes.includes(url.protocol)) throw new ConfigError(`${name}: must start with ${schemes.map((s) => `${s}//`).join(' or ')}`)
  return value
}
