// Delivers the outbox. A tick claims a batch in one short statement (FOR UPDATE SKIP LOCKED, so
// several instances never claim one mail), leasing each row by moving next_attempt_at forward,
// and commits at once: no transaction and no row lock is held while SMTP talks, so a slow or
// dead mail server delays mail, never the API (account deletion, sign-up). A row not marked sent
// before its lease ends is due again (delivery is at least once; a crash mid-send is the only
// duplicate). Ticks of one worker never overlap. A failure backs off exponentially; a delivered
// row keeps no body (its one-time link dies with it). SMTP when SMTP_URL is set; otherwise, in
// development only, each mail is printed to the terminal (never through the structured log).
import { type Selectable, sql } from 'kysely'
import nodemailer from 'nodemailer'
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js'
import type { Config } from '../config/config.js'
import { isLoopbackHost } from '../config/deployment.js'
import type { Db } from '../db/db.js'
import type { DB } from '../db/schema.js'
import { errorCode, errorReason } from '../errors.js'
import type { Log } from '../logging/logger.js'
import type { Mail } from './outbox.js'

export type Transport = (mail: Mail & { from: string }) => Promise<void>

const BATCH_SIZE = 20
const MAX_ATTEMPTS = 8
const BASE_BACKOFF_SECONDS = 30
/** How long a claimed row is reserved for the claimer; a mail is not started after 80% of it. */
export const LEASE_SECONDS = 300
/** Bounds on each SMTP stage, so one send never outlives its lease (nodemailer defaults to 1 h idle). */
const SMTP_TIMEOUT_MS = 10_000

/**
 * nodemailer's options for SMTP_URL. The URL is taken apart here: given `url`, nodemailer drops
 * every other option, and with them the timeouts and the TLS requirement below (found by an
 * operator pass: AUTH and the reset links went out in clear text).
 */
export function smtpOptions(smtpUrl: string): SMTPTransport.Options {
  const url = new URL(smtpUrl)
  const secure = url.protocol === 'smtps:'
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    ...(url.username === '' ? {} : { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }),
    // Mail carries reset and sign-in links, and the URL the relay's credentials: off this machine,
    // smtp:// must upgrade with STARTTLS or fail (nodemailer otherwise goes on in clear text when the
    // server offers no TLS); smtps:// is TLS from the start. A relay on loopback is exempt (a local
    // mail catcher in development). Certificates are verified (nodemailer's default).
    requireTLS: !secure && !isLoopbackHost(url.hostname),
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  }
}

/** The transport the configuration asks for; undefined when mail cannot be delivered (production without SMTP). */
export function transportFor(config: Config, write: (text: string) => void = (t) => process.stdout.write(t)): Transport | undefined {
  if (config.mail.transport === 'smtp' && config.mail.smtpUrl !== undefined) {
    const smtp = nodemailer.createTransport(smtpOptions(config.mail.smtpUrl))
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

type ClaimedMail = Pick<Selectable<DB['email_outbox']>, 'id' | 'to_address' | 'subject' | 'body_text' | 'attempts'>

/** Leases up to BATCH_SIZE due mails to this caller, in one statement that commits at once. */
async function claimDue(db: Db, now: Date): Promise<ClaimedMail[]> {
  const leasedUntil = new Date(now.getTime() + LEASE_SECONDS * 1000)
  const { rows } = await sql<ClaimedMail>`
    update email_outbox set next_attempt_at = ${leasedUntil}
    where id in (
      select id from email_outbox
      where sent_at is null and next_attempt_at <= ${now} and attempts < ${MAX_ATTEMPTS}
      order by created_at limit ${BATCH_SIZE}
      for update skip locked
    )
    returning id, to_address, subject, body_text, attempts`.execute(db)
  return rows
}

/**
 * Sends up to one batch of due mails; returns how many were delivered. Never inside a transaction:
 * each row is claimed, then sent, then marked, in statements of their own.
 */
export async function deliverDueMail(db: Db, transport: Transport, opts: { from: string; now: Date; log?: Log }): Promise<number> {
  const due = await claimDue(db, opts.now)
  const started = performance.now()
  let sent = 0
  for (const row of due) {
    // Past most of the lease another instance may claim the row again: leave it to that one.
    if (performance.now() - started > LEASE_SECONDS * 800) break
    try {
      await transport({ from: opts.from, to: row.to_address, subject: row.subject, text: row.body_text ?? '' })
      await db.updateTable('email_outbox').set({ sent_at: opts.now, body_text: null, last_error: null }).where('id', '=', row.id).execute()
      sent += 1
    } catch (err) {
      const attempts = row.attempts + 1
      const delay = BASE_BACKOFF_SECONDS * 2 ** Math.min(attempts, 10)
      // The error's class and nodemailer's code (ETLS, EAUTH, ECONNECTION...): enough to act on.
      // Never its message: SMTP replies can echo addresses or content.
      const code = errorCode(err)
      const lastError = `${err instanceof Error ? err.name : 'Error'}${code === undefined ? '' : ` (${code})`}`
      await db
        .updateTable('email_outbox')
        .set({ attempts, next_attempt_at: new Date(opts.now.getTime() + delay * 1000), last_error: lastError })
        .where('id', '=', row.id)
        .where('sent_at', 'is', null)
        .execute()
      opts.log?.warn({ mailId: row.id, attempts, reason: lastError }, 'mail delivery failed')
    }
  }
  return sent
}

/** Erases bodies of mails that can no longer be delivered (after MAX_ATTEMPTS). */
export async function expireUndeliverable(db: Db): Promise<void> {
  await db
    .updateTable('email_outbox')
    .set({ body_text: null })
    .where('attempts', '>=', MAX_ATTEMPTS)
    .where(sql<boolean>`body_text is not null`)
    .execute()
}

export interface MailWorker {
  stop(): Promise<void>
}

/**
 * Polls the outbox until stopped. The next tick is scheduled only when the previous one finished,
 * so two ticks of one worker never overlap however slow the mail server is.
 */
export function startMailWorker(db: Db, transport: Transport, opts: { from: string; intervalMs: number; log: Log; now: () => Date }): MailWorker {
  let running: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const tick = (): void => {
    if (stopped) return
    running = deliverDueMail(db, transport, { from: opts.from, now: opts.now(), log: opts.log })
      .then(() => expireUndeliverable(db))
      // One line a tick (the database may be down for a while): the reason, never a stack or an object dump.
      .catch((err: unknown) => opts.log.warn({ reason: errorReason(err) }, 'mail worker tick failed'))
      .then(() => {
        if (stopped) return
        timer = setTimeout(tick, opts.intervalMs)
        timer.unref()
      })
  }
  tick()
  return {
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
