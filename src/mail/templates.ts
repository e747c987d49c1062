// The text of every mail the starter sends. Links carry their token in the URL fragment
// (`#token=`), which browsers never send to a server, so it cannot land in an access log.
import type { Mail } from './outbox.js'

export interface MailContext {
  readonly appName: string
  readonly publicOrigin: string
}

function footer(ctx: MailContext): string {
  return `\n\n-- \n${ctx.appName}\nIf this was not you, reset your password at ${ctx.publicOrigin}/reset-password and review your sessions.`
}

export const mails = {
  verifyEmail: (ctx: MailContext, to: string, token: string): Mail => ({
    to,
    subject: `Confirm your email for ${ctx.appName}`,
    text: `Confirm your email address by opening this link within 24 hours:\n\n${ctx.publicOrigin}/verify-email#token=${token}\n\nIf you did not create an account, ignore this mail.`,
  }),
  alreadyRegistered: (ctx: MailContext, to: string): Mail => ({
    to,
    subject: `Sign-up attempt for ${ctx.appName}`,
    text: `Someone tried to create an account with this address, which already has one.\nIf it was you, sign in, or reset your password at ${ctx.publicOrigin}/reset-password.${footer(ctx)}`,
  }),
  passwordReset: (ctx: MailContext, to: string, token: string): Mail => ({
    to,
    subject: `Reset your ${ctx.appName} password`,
    text: `Open this link within 1 hour to choose a new password:\n\n${ctx.publicOrigin}/reset-password#token=${token}\n\nIt works once. If you did not ask for it, ignore this mail; your password stays as it is.`,
  }),
  invitation: (ctx: MailContext, to: string, orgName: string, role: string, token: string): Mail => ({
    to,
    subject: `You are invited to an organization on ${ctx.appName}`,
    text: `You are invited to join the organization "${orgName}" on ${ctx.appName} as ${role}.\nSign in (or create an account) with this address, then open this link within 7 days:\n\n${ctx.publicOrigin}/accept-invitation#token=${token}\n\nIt works once. If you did not expect it, ignore this mail.`,
  }),
  notice: (ctx: MailContext, to: string, what: string, detail = ''): Mail => ({
    to,
    subject: `Security notice from ${ctx.appName}: ${what}`,
    text: `${what}.${detail ? `\n\n${detail}` : ''}${footer(ctx)}`,
  }),
} as const

export function mailContext(config: { appName: string; http: { publicOrigin: string } }): MailContext {
  return { appName: config.appName, publicOrigin: config.http.publicOrigin }
}
