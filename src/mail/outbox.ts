// The transactional outbox: a mail is a row written with the change that causes it (same
// transaction), so a rolled-back change sends nothing and a committed one is never lost.
// mail-sender.ts delivers the rows. The body may hold a one-time link: it is erased once sent.
import type { Db } from '../db/db.js'

export interface Mail {
  readonly to: string
  readonly subject: string
  readonly text: string
}

export async function enqueueMail(db: Db, mail: Mail, now: Date): Promise<void> {
  await db
    .insertInto('email_outbox')
    .values({ to_address: mail.to, subject: mail.subject, body_text: mail.text, created_at: now, next_attempt_at: now })
    .execute()
}

/** Erases every mail row addressed to `address` (account deletion: no personal data left behind). */
export async function deleteMailTo(db: Db, address: string): Promise<void> {
  await db.deleteFrom('email_outbox').where('to_address', '=', address).execute()
}
