import type { ValidatorFactory } from '@fastify/ajv-compiler'
import Fastify, { type FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { schemaCompilers } from './schema-compilers.js'

// The Ajv options of src/app.ts, as Fastify hands them to the factory.
const AJV = { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false }, plugins: [] }
type Route = Parameters<ReturnType<ValidatorFactory>>[0]
const body = (schema: Route['schema']): Route => ({ schema, method: 'POST', url: '/x', httpPart: 'body' })

describe('schema compilers', () => {
  it('gives a later app the validator an earlier app compiled for the same schema object, and never one of another schema', () => {
    const schema = Type.Object({ name: Type.String({ maxLength: 3 }) }, { additionalProperties: false })
    const first = schemaCompilers().buildValidator({}, AJV)(body(schema))
    const second = schemaCompilers().buildValidator({}, AJV)({ ...body(schema), url: '/elsewhere' })
    expect(second).toBe(first)
    expect(first({ name: 'abc' })).toBe(true)
    expect(first({ name: 'abcd' })).toBe(false)
    expect(first({ name: 'abc', admin: true })).toBe(false)

    // Another object, even with the same content, is compiled for itself; other content, other rules.
    const longer = Type.Object({ name: Type.String({ maxLength: 10 }) }, { additionalProperties: false })
    const third = schemaCompilers().buildValidator({}, AJV)(body(longer))
    expect(third).not.toBe(first)
    expect(third({ name: 'abcd' })).toBe(true)

    // The same object changed in place is compiled again.
    const name = schema.properties.name as { maxLength?: number }
    name.maxLength = 5
    const fourth = schemaCompilers().buildValidator({}, AJV)(body(schema))
    expect(fourth).not.toBe(first)
    expect(fourth({ name: 'abcd' })).toBe(true)
  })

  it('keys the cache by the Ajv options and keeps the formats Fastify adds', () => {
    const schema = Type.Object({ n: Type.Integer(), email: Type.String({ format: 'email', maxLength: 100 }) })
    const strict = schemaCompilers().buildValidator({}, AJV)(body(schema))
    const coercing = schemaCompilers().buildValidator({}, { ...AJV, customOptions: { ...AJV.customOptions, coerceTypes: true } })(body(schema))
    expect(coercing).not.toBe(strict)
    expect(strict({ n: '1', email: 'a@example.com' })).toBe(false)
    expect(coercing({ n: '1', email: 'a@example.com' })).toBe(true)
    expect(strict({ n: 1, email: 'not an address' })).toBe(false)
  })

  it('refuses a headers schema that names a header with capitals (Fastify lowercases them only for its default compiler)', () => {
    const compile = schemaCompilers().buildValidator({}, AJV)
    expect(() => compile({ schema: Type.Object({ 'X-Api-Version': Type.String() }), method: 'GET', url: '/h', httpPart: 'headers' })).toThrow(
      /"X-Api-Version" in lowercase/,
    )
    const lower = compile({ schema: Type.Object({ 'x-api-version': Type.String({ maxLength: 3 }) }), method: 'GET', url: '/h', httpPart: 'headers' })
    expect(lower({ 'x-api-version': '1' })).toBe(true)
  })

  it('shares serializers the same way, and they still drop undeclared fields', () => {
    const schema = Type.Object({ id: Type.String() })
    const route = { schema, method: 'GET', url: '/x', httpStatus: '200' }
    const first = schemaCompilers().buildSerializer({}, undefined)(route)
    expect(schemaCompilers().buildSerializer({}, undefined)(route)).toBe(first)
    expect(first({ id: 'a', secret: 'b' })).toBe('{"id":"a"}')
    expect(schemaCompilers().buildSerializer({}, undefined)({ ...route, schema: Type.Object({ secret: Type.String() }) })).not.toBe(first)
  })

  it('keeps a second app built with cached compilers as strict as the first', async () => {
    const Body = Type.Object({ name: Type.String({ maxLength: 3 }) }, { additionalProperties: false })
    const Reply = Type.Object({ name: Type.String() })
    const build = async (): Promise<FastifyInstance> => {
      const app = Fastify({ ajv: AJV, schemaController: { compilersFactory: schemaCompilers() } })
      app.post('/x', { schema: { body: Body, response: { 200: Reply } } }, (request) => ({ ...(request.body as object), secret: 's' }))
      await app.ready()
      return app
    }
    for (const app of [await build(), await build()]) {
      const ok = await app.inject({ method: 'POST', url: '/x', payload: { name: 'abc' } })
      expect(ok.statusCode).toBe(200)
      expect(ok.body).toBe('{"name":"abc"}')
      expect((await app.inject({ method: 'POST', url: '/x', payload: { name: 'abc', admin: true } })).statusCode).toBe(400)
      expect((await app.inject({ method: 'POST', url: '/x', payload: { name: 'abcd' } })).statusCode).toBe(400)
      await app.close()
    }
  })
})
