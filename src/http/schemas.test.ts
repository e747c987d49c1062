import type { ValidatorFactory } from '@fastify/ajv-compiler'
import { describe, expect, it } from 'vitest'
import { schemaCompilers } from './schema-compilers.js'
import { DisplayName } from './schemas.js'

// The Ajv options of src/app.ts, as Fastify hands them to the factory.
const AJV = { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false }, plugins: [] }
type Route = Parameters<ReturnType<ValidatorFactory>>[0]

function validatorOf(schema: Route['schema']): (value: unknown) => boolean {
  const validate = schemaCompilers().buildValidator({}, AJV)({ schema, method: 'POST', url: '/x', httpPart: 'body' })
  return (value) => validate(value) === true
}

// String.prototype.isWellFormed is ES2024 (Node 20); the project's lib stops at ES2023.
const isWellFormed = (s: string): boolean => (String.prototype as unknown as { isWellFormed: (this: string) => boolean }).isWellFormed.call(s)

describe('DisplayName', () => {
  const valid = validatorOf(DisplayName(100))

  it('refuses exactly the strings that are not well-formed UTF-16 (a lone or reversed surrogate)', () => {
    const pieces = ['a', 'é', '東', '\ud83d\ude80', '\ud800', '\udbff', '\udc00', '\udfff', ' ']
    // Every string of one to three pieces: pairs split, reversed, doubled and at either end.
    const strings = pieces.flatMap((a) => [a, ...pieces.flatMap((b) => [a + b, ...pieces.map((c) => a + b + c)])])
    // (A string of spaces alone is refused for another reason: see below.)
    for (const s of strings) expect(valid(s), JSON.stringify(s)).toBe(isWellFormed(s) && s.trim() !== '')
    for (let unit = 0xd800; unit <= 0xdfff; unit++) expect(valid(`x${String.fromCharCode(unit)}y`)).toBe(false)
  })

  it('refuses C0 and C1 controls, line and paragraph separators and every format character', () => {
    const refused = [0x00, 0x09, 0x0a, 0x1f, 0x7f, 0x80, 0x85, 0x9f, 0x2028, 0x2029, 0x200b, 0x200d, 0x200e, 0x202e, 0x2066, 0xfeff, 0xad, 0x61c, 0xe0041]
    for (const cp of refused) expect(valid(`a${String.fromCodePoint(cp)}b`), cp.toString(16)).toBe(false)
  })

  it('refuses a name of nothing but spaces, of any kind', () => {
    for (const blank of [' ', '   ', '\u00a0', '\u3000', '\u2003 \u2003']) expect(valid(blank), JSON.stringify(blank)).toBe(false)
    expect(valid(' a ')).toBe(true)
  })

  it('takes ordinary names, and keeps the length bound it is given in code points', () => {
    for (const name of ['Société Générale', 'Acme Inc.', 'Rocket 🚀', '東京', 'Ünïcode — R&D: 2027', 'e\u0301']) expect(valid(name), name).toBe(true)
    const short = validatorOf(DisplayName(3))
    expect(short('🚀🚀🚀')).toBe(true)
    expect(short('🚀🚀🚀🚀')).toBe(false)
    expect(valid('')).toBe(false)
  })
})
