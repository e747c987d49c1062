// The server's Redis error lines (src/server.ts) never carry the Redis password. ioredis hangs the
// failed command on its error (`command: { name: 'auth', args: ['app', '<password>'] }`) and
// retries every few hundred milliseconds, so a serialised error would print the password on every
// reconnect. This starts the real server against a redis-server of its own whose ACL refuses the
// password the server sends, and reads what the process prints. Skipped where redis-server is not
// installed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { childProcessPath } from './config/test-env.js'
import { randomSecret } from './crypto/random.js'
import { tsCommand } from './testing/run-ts.js'
import { TEST_ENV } from './testing/test-config.js'
import { useTestDb } from './testing/test-db.js'

function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

async function until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const available = hasRedisServer()

describe.skipIf(!available)(`the server's Redis error lines${available ? '' : ' [skipped: redis-server is not installed]'}`, () => {
  let dir: string
  let redisServer: ChildProcess | undefined
  let port: number
  const testDb = useTestDb()
  const rightPassword = randomSecret(16).toString('hex')
  // What the server sends in AUTH, and must never print.
  const sentPassword = randomSecret(16).toString('hex')

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sss-redis-log-'))
    await writeFile(path.join(dir, 'users.acl'), `user default off\nuser app on >${rightPassword} ~sss:* -@all +info\n`, { mode: 0o600 })
    port = await freePort()
    redisServer = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--aclfile', path.join(dir, 'users.acl'), '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    )
    for (let i = 0; i < 50; i += 1) {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableReadyCheck: false })
      probe.on('error', () => undefined)
      const up = await probe.connect().then(
        () => true,
        () => false,
      )
      probe.disconnect()
      if (up) break
      await new Promise((r) => setTimeout(r, 100))
    }
  })

  afterAll(async () => {
    if (redisServer !== undefined && redisServer.exitCode === null) {
      const exited = new Promise((r) => redisServer!.once('exit', r))
      redisServer.kill('SIGTERM')
      await exited
    }
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('logs a refused AUTH as its reason and command name, never the password, and once however often the client retries', async () => {
    const url = new URL(testDb.url)
    url.searchParams.set('options', `-c search_path=${testDb.schema}`)
    const env: Record<string, string> = {
      ...TEST_ENV,
      PATH: childProcessPath(),
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: url.toString(),
      MIGRATE_ON_START: 'false',
      REDIS_URL: `redis://app:${sentPassword}@127.0.0.1:${port}/0`,
    }
    const [command, args] = await tsCommand('src/server.ts')
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const redisLines = () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((record) => record['msg'] === 'redis error')
    try {
      await until(
        () => /Server listening/.test(output) && redisLines().length > 0,
        45_000,
        () => output,
      )
      // ioredis reconnects (and is refused again) every 50-2000 ms meanwhile; the log flushes every second.
      await new Promise((r) => setTimeout(r, 3000))
    } finally {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
    expect(output).not.toContain(sentPassword)
    const lines = redisLines()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 40, event: 'redis.error', reason: expect.stringMatching(/^WRONGPASS/) as unknown, command: 'auth' })
    expect(Object.keys(lines[0]!)).not.toContain('err')
  })
})
