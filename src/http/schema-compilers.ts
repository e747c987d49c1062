// Fastify's own schema compilers (@fastify/ajv-compiler for request validation,
// @fastify/fast-json-stringify-compiler for responses), made once per app exactly as Fastify makes
// its defaults (same Ajv options, formats included), behind a cache shared by the whole process.
// Building an app compiles every route's schemas; production builds one app per process, but the
// test suite builds about seventy, each compiling the same module-level schema objects again
// (about 300 ms of CPU a build). Here a schema already compiled in this process, under the same
// options and shared ($id) schemas, gets the function compiled the first time.
//
// Two different schemas never share a function: the cache is keyed by the options and the shared
// schemas (as JSON), then by the identity of the schema object, and a hit also needs the schema's
// JSON to equal what was compiled (an object changed in place is compiled again). The compiled
// functions do not depend on the method, URL, status or request part Fastify also passes.
import { AjvCompiler, type ValidatorFactory } from '@fastify/ajv-compiler'
import { SerializerSelector, type SerializerFactory } from '@fastify/fast-json-stringify-compiler'

type Factory<E, O, R, F> = (externalSchemas: E, options: O) => (route: R) => F
type Pools<F> = Map<string, WeakMap<object, { json: string; compiled: F }>>

type Validator = ReturnType<ReturnType<ValidatorFactory>>
type Serializer = ReturnType<ReturnType<SerializerFactory>>
const validatorPools: Pools<Validator> = new Map()
const serializerPools: Pools<Serializer> = new Map()

/** The compilersFactory of one app: Fastify's two factories, each made once per app as by default. */
export function schemaCompilers(): { buildValidator: ValidatorFactory; buildSerializer: SerializerFactory } {
  const validators = cached(validatorPools, AjvCompiler())
  return {
    buildValidator: (externalSchemas, options) => {
      const compile = validators(externalSchemas, options)
      return (route) => {
        if (route.httpPart === 'headers') assertLowercaseHeaders(route.schema, `${route.method ?? ''} ${route.url ?? ''}`)
        return compile(route)
      }
    },
    buildSerializer: cached(serializerPools, SerializerSelector()),
  }
}

function cached<E, O, R extends { schema?: unknown }, F>(pools: Pools<F>, factory: Factory<E, O, R, F>): Factory<E, O, R, F> {
  return (externalSchemas, options) => {
    const poolKey = jsonKey([externalSchemas, options])
    // Options the cache cannot key (functions such as Ajv plugins): compiled per app, as by default.
    if (poolKey === undefined) return factory(externalSchemas, options)
    let pool = pools.get(poolKey)
    if (pool === undefined) pools.set(poolKey, (pool = new WeakMap()))
    const cache = pool
    // This app's compiler (for Ajv, the app's one instance), asked for on the first cache miss.
    let compile: ((route: R) => F) | undefined
    return (route) => {
      const { schema } = route
      if (typeof schema !== 'object' || schema === null) return (compile ??= factory(externalSchemas, options))(route)
      const json = JSON.stringify(schema)
      const hit = cache.get(schema)
      if (hit !== undefined && hit.json === json) return hit.compiled
      const compiled = (compile ??= factory(externalSchemas, options))(route)
      cache.set(schema, { json, compiled })
      return compiled
    }
  }
}

/** JSON of a value made of data only; undefined when it holds a function (JSON would drop it). */
function jsonKey(value: unknown): string | undefined {
  let plain = true
  const json = JSON.stringify(value ?? null, (_key, v: unknown) => {
    if (typeof v === 'function' || typeof v === 'symbol') plain = false
    return v
  })
  return plain ? json : undefined
}

/**
 * Fastify lowercases the property names of a headers schema only when the validator compiler is
 * its default one, and a compilersFactory counts as custom: a headers schema must name its headers
 * in lowercase here (Node.js gives them lowercase), or the app refuses to build.
 */
function assertLowercaseHeaders(schema: unknown, route: string): void {
  if (typeof schema !== 'object' || schema === null) return
  const { properties, required } = schema as { properties?: unknown; required?: unknown }
  const names = [
    ...(typeof properties === 'object' && properties !== null ? Object.keys(properties) : []),
    ...(Array.isArray(required) ? (required as unknown[]) : []),
  ]
  const mixed = names.find((name): name is string => typeof name === 'string' && name !== name.toLowerCase())
  if (mixed !== undefined) throw new Error(`headers schema of ${route}: name header "${mixed}" in lowercase (src/http/schema-compilers.ts)`)
}
