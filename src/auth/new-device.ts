// New-device notice (OWASP ASVS 5.0 V6.3.5 / V7.5): a sign-in from a user agent and address
// prefix not seen before for the account mails the owner, with the way to end that session.
// The fingerprint is a SHA-256 of the user agent and the /24 (IPv4) or /48 (IPv6) prefix.
import { isIP } from 'node:net'
import { findAccountById, hasAnyDevice, rememberDevice } from '../accounts/accounts.service.js'
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import { sha256 } from '../crypto/hash.js'
import type { Db } from '../db/db.js'
import type { Deps } from '../deps.js'
import { enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'

export function addressPrefix(ip: string): string {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip
  if (isIP(v4) === 4) return v4.split('.').slice(0, 3).join('.')
  if (isIP(ip) === 6) {
    // Expand "::" far enough to take the first three groups.
    const [head = '', tail] = ip.split('::')
    const groups = head.split(':').filter(Boolean)
    if (tail !== undefined) while (groups.length < 3) groups.push('0')
    return groups.slice(0, 3).join(':')
  }
  return ip
}

export function deviceFingerprint(meta: RequestMeta): Buffer {
  return sha256(`${meta.userAgent ?? ''}\n${addressPrefix(meta.ip)}`)
}

/** Remembers the device; mails the owner when it is new and the account had signed in before. */
export async function noteDevice(deps: Deps, db: Db, accountId: string, meta: RequestMeta, sessionId: string): Promise<void> {
  const now = deps.clock.now()
  const hadDevices = await hasAnyDevice(db, accountId)
  const isNew = await rememberDevice(db, accountId, deviceFingerprint(meta), now)
  if (!isNew || !hadDevices) return
  const account = await findAccountById(db, accountId)
  if (account === undefined) return
  const detail = [
    `When: ${now.toISOString()}`,
    `Address: ${meta.ip}`,
    `Browser or app: ${meta.userAgent ?? 'unknown'}`,
    '',
    `If this was not you, sign in and end that session under ${deps.config.http.publicOrigin}/settings/sessions`,
    `(session id ${sessionId}; the API call is DELETE /v1/sessions/${sessionId}), then change your password.`,
  ].join('\n')
  await enqueueMail(db, mails.notice(mailContext(deps.config), account.email, 'New sign-in to your account', detail), now)
  await recordEvent(db, { type: 'login.new_device', accountId, meta, at: now })
}
