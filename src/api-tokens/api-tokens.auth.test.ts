import type { FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import type { Db } from '../db/db.js'
import type { Deps } from '../deps.js'
import { createLogger } from '../logging/logger.js'
import { testConfig } from '../testing/test-config.js'
import { resolveApiToken } from './api-tokens.auth.js'
import { generateApiToken } from './token-format.js'

// Dependencies that fail the test on any use: the malformed-token path must never reach them.
function untouchable(name: string): object {
  return new Proxy(
    {},
    {
      get: (_target, property) => {
        throw new Error(`${name} used: ${String(property)}`)
      },
    },
  )
}

describe('resolveApiToken', () => {
  it('refuses malformed tokens without touching the database', async () => {
    const config = await testConfig()
    const deps: Deps = {
      config,
      db: untouchable('database') as Db,
      clock: { now: () => new Date() },
      log: createLogger({ level: 'silent', pretty: false }),
      redis: undefined,
      hasher: untouchable('password hasher') as Deps['hasher'],
    }
    const request = { ip: '192.0.2.1', log: deps.log } as unknown as FastifyRequest
    const token = generateApiToken(config.apiTokens.prefix)
    const flipped = `${token.slice(0, 10)}${token.charAt(10) === 'a' ? 'b' : 'a'}${token.slice(11)}`
    for (const presented of [flipped, token.slice(0, -1), `zzz${token.slice(3)}`, generateApiToken('other'), 'not-a-token']) {
      await expect(resolveApiToken(deps, presented, request)).resolves.toBeNull()
    }
  })
})
