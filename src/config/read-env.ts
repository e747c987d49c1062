// Reads variables of the schema (env-schema.ts) from the environment. An empty value counts as
// unset; integers and booleans are converted strictly (typebox's Value.Convert would take "1e3"
// for 1000 and refuses "yes"); defaults, bounds, enums and patterns come from the schema. The first
// broken rule becomes one ConfigError line naming the variable, never the value it held (it may
// be a secret pasted in the wrong place).
import type { Static, TObject, TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { ConfigError } from './config-error.js'
import type { Env } from './secrets.js'

const TRUE = ['1', 'true', 'yes', 'on']
const FALSE = ['0', 'false', 'no', 'off']

function fromString(name: string, schema: TSchema, raw: string): unknown {
  const type = (schema as { type?: unknown }).type
  if (type === 'integer') {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name}: must be an integer`)
    return Number(raw.trim())
  }
  if (type === 'boolean') {
    const word = raw.trim().toLowerCase()
    if (TRUE.includes(word)) return true
    if (FALSE.includes(word)) return false
    throw new ConfigError(`${name}: must be true or false`)
  }
  return raw
}

interface Failure {
  readonly keyword: string
  readonly instancePath: string
  readonly params: { readonly message?: unknown; readonly requiredProperties?: unknown }
}

/** What the variable must be, from the schema alone: the value is not looked at. */
function rule(failure: Failure, schema: TSchema): string {
  const s = schema as { minimum?: number; maximum?: number; maxLength?: number; enum?: unknown[]; patternMessage?: string }
  switch (failure.keyword) {
    case 'minimum':
    case 'maximum':
      return `must be between ${s.minimum} and ${s.maximum}`
    case 'enum':
      return `must be one of ${(s.enum ?? []).join(', ')}`
    case 'maxLength':
      return `must be at most ${s.maxLength} characters`
    case 'pattern':
      return s.patternMessage ?? 'has the wrong form'
    case '~refine':
      return typeof failure.params.message === 'string' ? failure.params.message : 'is not valid'
    default:
      return 'is not valid'
  }
}

/** The named variables, validated: throws ConfigError on the first one that breaks its rule. */
export function readEnv<T extends TObject>(schema: T, env: Env): Static<T> {
  const raw: Record<string, unknown> = {}
  for (const [name, property] of Object.entries(schema.properties)) {
    const value = env[name]
    if (value !== undefined && value !== '') raw[name] = fromString(name, property, value)
  }
  const settings = Value.Default(schema, raw)
  if (Value.Check(schema, settings)) return settings
  const [failure] = Value.Errors(schema, settings) as Failure[]
  if (failure === undefined) throw new ConfigError('configuration: invalid')
  if (failure.keyword === 'required') throw new ConfigError(`${String((failure.params.requiredProperties as unknown[] | undefined)?.[0])}: missing`)
  const name = failure.instancePath.replace(/^\//, '')
  throw new ConfigError(`${name}: ${rule(failure, schema.properties[name] ?? schema)}`)
}
