// A redis-server of a test's own (its ACL, its arguments, restarts), on a free loopback port: the
// shared Redis of the machine is never reconfigured or stopped by a test.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { Redis } from 'ioredis'
import { freePort } from './ports.js'

export function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** A redis-server on a free loopback port; `restart` stops it (SIGTERM, as an orchestrator does) and starts it again over the same files. */
export class RedisServer {
  private child: ChildProcess | undefined
  private constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  static async start(args: string[]): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), args)
    await server.up()
    return server
  }

  private async up(): Promise<void> {
    this.child = spawn('redis-server', [...this.args, '--port', String(this.port), '--bind', '127.0.0.1'], { stdio: 'ignore' })
    for (let i = 0; i < 50; i += 1) {
      const probe = new Redis({
        port: this.port,
        host: '127.0.0.1',
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
        enableReadyCheck: false,
      })
      probe.on('error', () => undefined)
      const up = await probe.connect().then(
        () => true,
        () => false,
      )
      probe.disconnect()
      if (up) return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`redis-server did not start on port ${this.port}`)
  }

  async stop(): Promise<void> {
    const child = this.child
    this.child = undefined
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.up()
  }
}
