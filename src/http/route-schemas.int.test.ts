// Every route's schemas at one standard, read from the OpenAPI document the app builds from them:
// objects refuse unknown properties, every string and array is bounded, and every password field
// is the one shared Password schema (src/http/schemas.ts).
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../testing/test-app.js'
import { Password } from './schemas.js'

type JsonSchema = Record<string, unknown>

/** Arrays left unbounded on purpose: GET /v1/sessions lists every live session (no limit in its query). */
const UNBOUNDED_ARRAYS = new Set(['GET /v1/sessions 200 .sessions'])

function problems(schema: unknown, where: string, out: string[]): void {
  if (schema === null || typeof schema !== 'object') return
  const s = schema as JsonSchema
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(s[key])) (s[key] as unknown[]).forEach((branch) => problems(branch, where, out))
  }
  if (s.type === 'object' || s.properties !== undefined) {
    if (s.additionalProperties !== false) out.push(`${where}: object allows unknown properties`)
    for (const [name, property] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) problems(property, `${where}.${name}`, out)
  }
  if (s.type === 'string' && s.const === undefined && s.enum === undefined && typeof s.maxLength !== 'number') out.push(`${where}: string without maxLength`)
  if (s.type === 'array') {
    if (typeof s.maxItems !== 'number' && !UNBOUNDED_ARRAYS.has(where)) out.push(`${where}: array without maxItems`)
    problems(s.items, `${where}[]`, out)
  }
}

function passwordFields(schema: unknown, where: string, out: [string, unknown][]): void {
  if (schema === null || typeof schema !== 'object') return
  const s = schema as JsonSchema
  for (const [name, property] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
    if (/password/i.test(name)) out.push([`${where}.${name}`, property])
    passwordFields(property, `${where}.${name}`, out)
  }
}

describe('route schemas', () => {
  const t = useTestApp()

  async function operations(): Promise<[string, JsonSchema][]> {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, JsonSchema>> }>()
    return Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]): [string, JsonSchema] => [`${method.toUpperCase()} ${path}`, op]),
    )
  }

  it('are strict and bounded on every route: bodies, parameters and replies', async () => {
    const found: string[] = []
    const ops = await operations()
    expect(ops.length).toBeGreaterThan(40)
    for (const [route, op] of ops) {
      const body = (op.requestBody as { content?: Record<string, { schema: unknown }> } | undefined)?.content?.['application/json']?.schema
      problems(body, `${route} body`, found)
      for (const parameter of (op.parameters ?? []) as { name: string; schema: unknown }[]) problems(parameter.schema, `${route} ${parameter.name}`, found)
      for (const [status, reply] of Object.entries((op.responses ?? {}) as Record<string, { content?: Record<string, { schema: unknown }> }>)) {
        for (const content of Object.values(reply.content ?? {})) problems(content.schema, `${route} ${status} `, found)
      }
    }
    expect(found).toEqual([])
  })

  it('takes every password through the one shared Password schema', async () => {
    const fields: [string, unknown][] = []
    for (const [route, op] of await operations()) {
      const body = (op.requestBody as { content?: Record<string, { schema: unknown }> } | undefined)?.content?.['application/json']?.schema
      passwordFields(body, route, fields)
    }
    // register, login, verify-email, reset confirm, password change, email change, deletions, MFA, passkeys, orgs
    expect(fields.length).toBeGreaterThanOrEqual(12)
    for (const [where, schema] of fields) expect({ where, schema }).toEqual({ where, schema: JSON.parse(JSON.stringify(Password)) })
  })
})
