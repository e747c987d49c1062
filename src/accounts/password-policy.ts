// The password policy of NIST SP 800-63B-4 §3.1.1.2 and OWASP ASVS 5.0 V6.2:
// - length counted in Unicode code points after NFKC normalisation (the same form is hashed at
//   sign-up and at login), at least `minLength` (15 by default), at most `maxLength` (>= 64);
// - never truncated, no composition rules, no periodic expiry;
// - refused when common or guessable (zxcvbn-ts dictionaries), when built from the email, and
//   optionally when it appears in a breach corpus (breach-check.ts, off by default).
// A password over the maximum is refused before anything hashes it (no hashing-cost DoS).
import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import * as common from '@zxcvbn-ts/language-common'
import * as en from '@zxcvbn-ts/language-en'

export type WeakPasswordReason = 'too_short' | 'too_long' | 'common_or_guessable' | 'contains_email' | 'breached'

// zxcvbn score 0-4; 3 means "safely unguessable: moderate protection from offline slow-hash attacks".
const MIN_ZXCVBN_SCORE = 3

const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...en.dictionary },
  graphs: common.adjacencyGraphs,
  translations: en.translations,
})

/** The form a password is checked, hashed and verified in. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC')
}

export function codePointLength(text: string): number {
  let n = 0
  for (const _ of text) n += 1
  return n
}

/** Cheap checks only (length): safe to run before anything expensive. */
export function lengthProblem(password: string, policy: { minLength: number; maxLength: number }): WeakPasswordReason | null {
  const length = codePointLength(normalizePassword(password))
  if (length > policy.maxLength) return 'too_long'
  if (length < policy.minLength) return 'too_short'
  return null
}

/** Every reason the password is refused; empty when it is acceptable. */
export function checkPassword(password: string, email: string, policy: { minLength: number; maxLength: number }): WeakPasswordReason[] {
  const tooLongOrShort = lengthProblem(password, policy)
  if (tooLongOrShort === 'too_long') return ['too_long'] // never analyse (or hash) an oversized input
  const normalized = normalizePassword(password)
  const reasons: WeakPasswordReason[] = tooLongOrShort ? [tooLongOrShort] : []
  const local = email.split('@')[0]?.normalize('NFKC').toLowerCase() ?? ''
  if (local.length >= 3 && normalized.toLowerCase().includes(local)) reasons.push('contains_email')
  // zxcvbn's cost grows with length; beyond 100 code points its dictionary checks add nothing.
  const sample = Array.from(normalized).slice(0, 100).join('')
  if (zxcvbn.check(sample, [email, local]).score < MIN_ZXCVBN_SCORE) reasons.push('common_or_guessable')
  return reasons
}

export const REASON_TEXT: Record<WeakPasswordReason, string> = {
  too_short: 'is shorter than the minimum length',
  too_long: 'is longer than the maximum length',
  common_or_guessable: 'is common or easy to guess',
  contains_email: 'contains your email address',
  breached: 'appears in a known data breach',
}
