// The cookies this API sets, in one place beside the CSRF guard that reads them.
//
// The session cookie: `__Host-` prefix (Secure, Path=/, no Domain, so no subdomain can set or read
// it), HttpOnly, SameSite=Lax. The value is the bearer secret: it never appears in a log or body.
import type { FastifyReply } from 'fastify'
import type { Config } from '../config/config.js'

export const SESSION_COOKIE = '__Host-session'

export function setSessionCookie(reply: FastifyReply, token: string, config: Config): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    secure: true,
    sameSite: 'lax',
    maxAge: config.auth.sessionAbsoluteSeconds,
  })
}

/** Expires the cookie and asks the browser to drop this origin's cookies and storage too. */
export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, secure: true, sameSite: 'lax' })
  // W3C Clear Site Data; OWASP ASVS 5.0 V7.4.1 (logout ends the session on the client too).
  reply.header('clear-site-data', '"cookies", "storage"')
}

// The cookie of a login that passed the password and waits for its second factor: 5 minutes,
// SameSite=Strict, HttpOnly. It grants nothing but the right to send a code for that login.
export const MFA_PENDING_COOKIE = '__Host-mfa-pending'
export const MFA_PENDING_SECONDS = 300

export function setPendingCookie(reply: FastifyReply, token: string): void {
  reply.setCookie(MFA_PENDING_COOKIE, token, { path: '/', httpOnly: true, secure: true, sameSite: 'strict', maxAge: MFA_PENDING_SECONDS })
}

export function clearPendingCookie(reply: FastifyReply): void {
  reply.clearCookie(MFA_PENDING_COOKIE, { path: '/', httpOnly: true, secure: true, sameSite: 'strict' })
}
