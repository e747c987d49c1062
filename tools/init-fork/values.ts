// The values a fork is named with: what init-fork accepts, and how they replace the starter's
// placeholders. They land unescaped in TypeScript and JSON strings, Markdown and config, so
// validate() admits only characters that are plain text in all of them.
import { API_TOKEN_PREFIX_RULE, isApiTokenPrefix } from '../../src/api-tokens/token-format.js'

export interface ForkOptions {
  /** npm package and project slug: lower case, digits and dashes. */
  name: string
  /** Human name: mails, TOTP issuer, OpenAPI title, README title. */
  appName: string
  /** The production origin, https. */
  origin: string
  /** API-token prefix (and Redis key prefix): what secret scanners will match. */
  tokenPrefix: string
  /** Where vulnerability reports go (security.txt Contact, SECURITY.md). */
  contact: string
}

/** 2-60 letters of any script, digits, spaces and `. & - ’`: no quote, backslash, backtick or `$`
 * (they would end or change a TypeScript string), no comma (it splits the MAIL_FROM address), no `<>`. */
const APP_NAME = /^[\p{L}\p{N}][\p{L}\p{M}\p{N} .&’-]{0,58}[\p{L}\p{M}\p{N}.’]$/u

/** Two or more labels of letters, digits and inner dashes; the last starts with a letter. */
function isDnsName(name: string): boolean {
  const labels = name.toLowerCase().split('.')
  return (
    name.length <= 253 &&
    labels.length >= 2 &&
    labels.every((l) => /^(?!-)[a-z0-9-]{1,63}(?<!-)$/.test(l)) &&
    /^[a-z][a-z0-9-]*[a-z0-9]$/.test(labels.at(-1) ?? '')
  )
}

/** local@domain, with a local part of letters, digits and `_ % + - .` (no leading, trailing or double dot). */
function isPlainEmail(address: string): boolean {
  const [local = '', domain = '', ...rest] = address.split('@')
  return rest.length === 0 && address.length <= 254 && /^(?!\.)(?!.*\.\.)[A-Za-z0-9_%+.-]{1,64}(?<!\.)$/.test(local) && isDnsName(domain)
}

/** Names reserved for examples (RFC 2606): an address there reaches no one. */
function isExampleDomain(domain: string): boolean {
  return /(^|\.)example\.(com|net|org)$/i.test(domain) || /\.(example|test|invalid|localhost)$/i.test(domain)
}

export function validate(o: ForkOptions): string[] {
  const problems: string[] = []
  if (!/^[a-z][a-z0-9-]{1,49}$/.test(o.name) || o.name.endsWith('-')) problems.push('--name: 2-50 lower-case letters, digits or dashes, starting with a letter')
  if (!APP_NAME.test(o.appName))
    problems.push('--app-name: 2-60 letters, digits, spaces and . & - ’ (no quotes, backslash, backtick, $ or comma: write an apostrophe as ’)')
  let url: URL | undefined
  try {
    url = new URL(o.origin)
  } catch {
    problems.push('--origin: not a URL')
  }
  if (url && (url.protocol !== 'https:' || url.pathname !== '/' || url.search || url.hash || url.username || !isDnsName(url.hostname)))
    problems.push('--origin: an https origin on a DNS name only, such as https://app.acme.com')
  if (!isApiTokenPrefix(o.tokenPrefix)) problems.push(`--token-prefix: ${API_TOKEN_PREFIX_RULE}`)
  else if (o.tokenPrefix === 'sss')
    problems.push("--token-prefix: sss is the starter's own prefix; a fork needs its own, so secret scanners tell the two apart")
  if (!isPlainEmail(o.contact)) problems.push('--contact: a plain email address such as security@acme.com')
  else if (isExampleDomain(o.contact.split('@')[1] ?? ''))
    problems.push("--contact: an example address (RFC 2606) is a placeholder that reaches no one: give your team's")
  return problems
}

/** The text with every placeholder replaced. */
export function rewrite(text: string, o: ForkOptions): string {
  const origin = new URL(o.origin).origin
  const host = new URL(o.origin).host
  // A function, not a string: a `$` in a value is text, never a replace pattern such as `$&`.
  const to = (value: string) => () => value
  return text
    .replace(/secure-saas-starter/g, to(o.name))
    .replace(/\bA secure SaaS backend starter:[^"\n]*/g, to(`The ${o.appName} backend.`)) // package.json's description
    .replace(/\bSecure SaaS backend starter\./g, to(`The ${o.appName} API.`)) // the OpenAPI description
    .replace(/Secure SaaS Starter/g, to(o.appName))
    .replace(/(?<![\w-])secure-saas(?![\w-])/g, to(o.name))
    .replace(/security@example\.com/g, to(o.contact))
    .replace(/https:\/\/example\.com\/security/g, to(`${origin}/security`))
    .replace(/https:\/\/(app|api)\.example\.com/g, to(origin))
    .replace(/(?<![\w.-])(app|api)\.example\.com/g, to(host))
    .replace(/(?<![A-Za-z0-9])sss(?![A-Za-z0-9])/g, to(o.tokenPrefix))
}
