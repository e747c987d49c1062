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
import { emailKey } from '../mail/address.js'
import { scoreOffThread } from './password-strength.js'

export type WeakPasswordReason = 'too_short' | 'too_long' | 'common_or_guessable' | 'contains_email' | 'breached'

// zxcvbn score 0-4; 3 means "safely unguessable: moderate protection from offline slow-hash attacks".
const MIN_ZXCVBN_SCORE = 3

// Built on first use only: the scoring normally runs on the worker thread (password-strength.ts).
let localZxcvbn: ZxcvbnFactory | undefined
const zxcvbn = {
  check(password: string, userInputs: string[]): { score: number } {
    localZxcvbn ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary, ...en.dictionary }, graphs: common.adjacencyGraphs, translations: en.translations })
    return localZxcvbn.check(password, userInputs)
  },
}

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

/** The cheap part of the policy (length, email) and what zxcvbn should score. */
function prepareCheck(
  password: string,
  email: string,
  policy: { minLength: number; maxLength: number },
): { reasons: WeakPasswordReason[]; sample?: string; userInputs: string[] } {
  const tooLongOrShort = lengthProblem(password, policy)
  if (tooLongOrShort === 'too_long') return { reasons: ['too_long'], userInputs: [] } // never analyse (or hash) an oversized input
  const normalized = normalizePassword(password)
  const reasons: WeakPasswordReason[] = tooLongOrShort ? [tooLongOrShort] : []
  const local = emailKey(email).split('@')[0] ?? ''
  if (local.length >= 3 && normalized.toLowerCase().includes(local)) reasons.push('contains_email')
  // zxcvbn's cost grows with length; beyond 100 code points its dictionary checks add nothing.
  return { reasons, sample: Array.from(normalized).slice(0, 100).join(''), userInputs: [email, local] }
}

/** Every reason the password is refused; empty when it is acceptable. Scores on this thread. */
export function checkPassword(password: string, email: string, policy: { minLength: number; maxLength: number }): WeakPasswordReason[] {
  const { reasons, sample, userInputs } = prepareCheck(password, email, policy)
  if (sample !== undefined && zxcvbn.check(sample, userInputs).score < MIN_ZXCVBN_SCORE) reasons.push('common_or_guessable')
  return reasons
}

/**
 * checkPassword with the zxcvbn scoring on a worker thread (password-strength.ts), so 25-80 ms
 * of CPU never stalls the event loop; scores on this thread if the worker fails.
 */
export async function checkPasswordOffLoop(password: string, email: string, policy: { minLength: number; maxLength: number }): Promise<WeakPasswordReason[]> {
  const { reasons, sample, userInputs } = prepareCheck(password, email, policy)
  if (sample === undefined) return reasons
  const score = await scoreOffThread(sample, userInputs).catch(() => zxcvbn.check(sample, userInputs).score)
  if (score < MIN_ZXCVBN_SCORE) reasons.push('common_or_guessable')
  return reasons
}

export const REASON_TEXT: Record<WeakPasswordReason, string> = {
  too_short: 'is shorter than the minimum length',
  too_long: 'is longer than the maximum length',
  common_or_guessable: 'is common or easy to guess',
  contains_email: 'contains your email address',
  breached: 'appears in a known data breach',
}
