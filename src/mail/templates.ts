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
    text: `Confirm your email address by opening this link within 24 hours:\n\n${ctx.publicOrigin}/verify-email#token=${token}\n\nThe page asks for the password you chose when you signed up. If you did not create an account, ignore this mail: an account that is never confirmed is deleted after a few days. If you did not choose a password here but want this address, use ${ctx.publicOrigin}/reset-password: the account then becomes yours and everything signed in to it is signed out.`,
  }),
  alreadyRegistered: (ctx: MailContext, to: string): Mail => ({
    to,
    subject: `Sign-up attempt for ${ctx.appName}`,
    text: `Someone tried to create an account with this address, which already has one.\nIf it was you, sign in, or reset your password at ${ctx.publicOrigin}/reset-password.${footer(ctx)}`,
  }),
  passwordReset: (ctx: MailContext, to: string, token: string): Mail => ({
    to,
    subject: `Reset your ${ctx.appName} password`,
    text: `Open this link within 1 hour to choose a new password:\n\n${ctx.publicOrigin}/reset-password#token=${token}\n\nIt works once. Using it signs out every session, pending sign-in, API token and passkey of the account, and cancels pending changes of the sign-in address. If you did not ask for it, ignore this mail; your password stays as it is.`,
  }),
  setPassword: (ctx: MailContext, to: string, token: string): Mail => ({
    to,
    subject: `Choose your ${ctx.appName} password`,
    text: `Someone asked to create an account with this address. An account for it was started earlier but never confirmed, so nothing was changed.\nIf it was you, choose your password with this link within 1 hour:\n\n${ctx.publicOrigin}/reset-password#token=${token}\n\nUsing it confirms the address, sets the password you choose, and signs out every session, pending sign-in, API token and passkey started with the earlier password. If it was not you, ignore this mail; an unconfirmed account is deleted after a few days.`,
  }),
  confirmEmailChange: (ctx: MailContext, to: string, token: string): Mail => ({
    to,
    subject: `Confirm your new ${ctx.appName} sign-in address`,
    text: `Open this link within 1 hour, signed in to your account, to make this address your sign-in address:\n\n${ctx.publicOrigin}/confirm-email#token=${token}\n\nIt works once. If you did not ask for it, ignore this mail; nothing changes.`,
  }),
  emailChangeRequested: (ctx: MailContext, to: string, newEmail: string): Mail => ({
    to,
    subject: `Security notice from ${ctx.appName}: a change of your sign-in address was requested`,
    text: `Someone signed in to your account asked to change its sign-in address to ${newEmail}.\nNothing changes unless the link we sent to that address is opened within 1 hour.\n\nIf this was not you, reset your password now at ${ctx.publicOrigin}/reset-password: a password reset cancels every pending address change and signs out every session, pending sign-in, API token and passkey.${footer(ctx)}`,
  }),
  addressInUse: (ctx: MailContext, to: string): Mail => ({
    to,
    subject: `Security notice from ${ctx.appName}: someone tried to use this address`,
    text: `Someone signed in to another account asked to move it to this address, which already has an account. Nothing changed, and no link was sent.${footer(ctx)}`,
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
