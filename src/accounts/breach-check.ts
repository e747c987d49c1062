// Optional check against the Have I Been Pwned range API (k-anonymity: only the first 5 hex
// characters of the SHA-1 are sent). Off by default (HIBP_ENABLED). It fails open on timeout or
// error: an unreachable third party must not block sign-ups; the rest of the policy still holds.
import { sha1HexForBreachLookup } from '../crypto/hash.js'

export interface BreachCheckConfig {
  readonly enabled: boolean
  readonly timeoutMs: number
  readonly rangeUrl: string
}

export type FetchLike = (url: string, init: { signal: AbortSignal; headers: Record<string, string> }) => Promise<{ ok: boolean; text(): Promise<string> }>

/** True when the password appears in the breach corpus; false when absent, disabled or unreachable. */
export async function isBreached(password: string, config: BreachCheckConfig, fetchImpl: FetchLike = fetch): Promise<boolean> {
  if (!config.enabled) return false
  const digest = sha1HexForBreachLookup(password)
  const prefix = digest.slice(0, 5)
  const suffix = digest.slice(5)
  try {
    const response = await fetchImpl(`${config.rangeUrl}${prefix}`, { signal: AbortSignal.timeout(config.timeoutMs), headers: { 'Add-Padding': 'true' } })
    if (!response.ok) return false
    const body = await response.text()
    return body.split('\n').some((line) => {
      const [candidate, count] = line.trim().split(':')
      return candidate === suffix && Number(count) > 0
    })
  } catch {
    return false
  }
}
