// Delivers the outbox. Each tick claims a batch with FOR UPDATE SKIP LOCKED inside a transaction,
// so several instances never send one mail twice; a failure backs off exponentially. A delivered
// row keeps no body (its one-time link dies with it). SMTP when SMTP_URL is set; otherwise, in
// development only, each mail is printed to the terminal (never through the structured log).
import { sql } from 'kysely'
import nodemailer from 'nodemailer'
import type { Config } from '../config/config.js'
import type { Db } from '../db/db.js'
import type { Log } from '../logging/logger.js'
import type { Mail } from './outbox.js'

export type Transport = (mail: Mail & { from: string }) => Promise<void>

const BATCH_SIZE = 20
const MAX_ATTEMPTS = 8
const BASE_BACKOFF_SECONDS = 30

/** The transport the configuration asks for; undefined when mail cannot be delivered (production without SMTP). */
export function transportFor(config: Config, write: (text: string) => void = (t) => process.stdout.write(t)): Transport | undefined {
  if (config.mail.transport === 'smtp' && config.mail.smtpUrl !== undefined) {
    const smtp = nodemailer.createTransport(config.mail.smtpUrl)
    return async (mail) => {
      await smtp.sendMail({ from: mail.from, to: mail.to, subject: mail.subject, text: mail.text })
    }
  }
  // config.mail.transport decides (src/config/deployment.ts): never stdout in production, nor in a
  // container without NODE_ENV or on a non-loopback HOST unless MAIL_TRANSPORT=stdout says so.
  if (config.mail.transport !== 'stdout' || config.env === 'production') return undefined
  return async (mail) => {
    write(`\n----- mail (development: not sent) -----\nTo: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}\n----------------------------------------\n`)
  }
}

/** Sends up to one batch of due mails; returns how many were delivered. */
export async function deliverDueMail(db: Db, transport: Transport, opts: { from: string; now: Date; log?: Log }): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom('email_outbox')
      .select(['id', 'to_address', 'subject', 'body_text', 'attempts'])
      .where('sent_at', 'is', null)
      .where('next_attempt_at', '<=', opts.now)
      .where('attempts', '<', MAX_ATTEMPTS)
      .orderBy('created_at')
      .limit(BATCH_SIZE)
      .forUpdate()
      .skipLocked()
      .execute()
    let sent = 0
    for (const row of due) {
      try {
        await transport({ from: opts.from, to: row.to_address, subject: row.subject, text: row.body_text ?? '' })
        await trx.updateTable('email_outbox').set({ sent_at: opts.now, body_text: null, last_error: null }).where('id', '=', row.id).execute()
        sent += 1
      } catch (err) {
        const attempts = row.attempts + 1
        const delay = BASE_BACKOFF_SECONDS * 2 ** Math.min(attempts, 10)
        // Keep only the error's class: SMTP replies can echo addresses or content.
        const lastError = err instanceof Error ? err.name : 'Error'
        await trx
          .updateTable('email_outbox')
          .set({ attempts, next_attempt_at: new Date(opts.now.getTime() + delay * 1000), last_error: lastError })
          .where('id', '=', row.id)
          .execute()
        opts.log?.warn({ mailId: row.id, attempts }, 'mail delivery failed')
      }
    }
    return sent
  })
}

/** Erases bodies of mails that can no longer be delivered (after MAX_ATTEMPTS). */
export async function expireUndeliverable(db: Db): Promise<void> {
  await db.updateTable('email_outbox').set({ body_text: null }).where('attempts', '>=', MAX_ATTEMPTS).where(sql<boolean>`body_text is not null`).execute()
}

export interface MailWorker {
  stop(): Promise<void>
}

/** Polls the outbox every `intervalMs` until stopped. */
export function startMailWorker(db: Db, transport: Transport, opts: { from: string; intervalMs: number; log: Log; now: () => Date }): MailWorker {
  let running: Promise<unknown> = Promise.resolve()
  let stopped = false
  const tick = (): void => {
    if (stopped) return
    running = deliverDueMail(db, transport, { from: opts.from, now: opts.now(), log: opts.log })
      .then(() => expireUndeliverable(db))
      .catch((err: unknown) => opts.log.warn({ err }, 'mail worker tick failed'))
  }
  const timer = setInterval(tick, opts.intervalMs)
  timer.unref()
  tick()
  return {
    stop: async () => {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
