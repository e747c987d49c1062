// The cookie of a login that passed the password and waits for its second factor: 5 minutes,
// SameSite=Strict, HttpOnly. It grants nothing but the right to send a code for that login.
import type { FastifyReply } from 'fastify'

export const MFA_PENDING_COOKIE = '__Host-mfa-pending'
export const MFA_PENDING_SECONDS = 300

export function setPendingCookie(reply: FastifyReply, token: string): void {
  reply.setCookie(MFA_PENDING_COOKIE, token, { path: '/', httpOnly: true, secure: true, sameSite: 'strict', maxAge: MFA_PENDING_SECONDS })
}

export function clearPendingCookie(reply: FastifyReply): void {
  reply.clearCookie(MFA_PENDING_COOKIE, { path: '/', httpOnly: true, secure: true, sameSite: 'strict' })
}
