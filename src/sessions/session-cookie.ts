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
