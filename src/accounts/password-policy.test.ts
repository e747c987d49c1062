import { describe, expect, it } from 'vitest'
import { isBreached } from './breach-check.js'
import { checkPassword, checkPasswordOffLoop, codePointLength, lengthProblem } from './password-policy.js'

const policy = { minLength: 15, maxLength: 128 }

describe('password policy (NIST SP 800-63B-4)', () => {
  it('accepts a long passphrase without composition rules', () => {
    expect(checkPassword('correct horse battery staple orbit', 'ana@example.test', policy)).toEqual([])
  })

  it('refuses fewer than 15 code points, and 15 is enough for the length rule', () => {
    expect(checkPassword('Xk3!qP9@zL2#', 'ana@example.test', policy)).toContain('too_short')
    expect(lengthProblem('Xk3!qP9@zL2#vB7', policy)).toBeNull()
    expect(lengthProblem('Xk3!qP9@zL2#vB', policy)).not.toBeNull()
  })

  it('counts code points after NFKC, not UTF-16 units', () => {
    const emoji = '😀'.repeat(15) // 30 UTF-16 units, 15 code points
    expect(codePointLength(emoji)).toBe(15)
    expect(lengthProblem(emoji, policy)).toBeNull()
    // U+FB01 (ligature fi) becomes "fi" under NFKC: two code points
    expect(lengthProblem('\uFB01'.repeat(8), policy)).toBeNull()
  })

  it('refuses over the maximum without analysing it, and allows at least 64', () => {
    expect(checkPassword('a'.repeat(129), 'ana@example.test', policy)).toEqual(['too_long'])
    expect(lengthProblem('q'.repeat(64), policy)).toBeNull()
  })

  it('refuses common and guessable passwords', () => {
    expect(checkPassword('passwordpassword', 'ana@example.test', policy)).toContain('common_or_guessable')
    expect(checkPassword('123456789012345678', 'ana@example.test', policy)).toContain('common_or_guessable')
    expect(checkPassword('qwertyuiopasdfgh', 'ana@example.test', policy)).toContain('common_or_guessable')
  })

  it("refuses a password built from the email's local part", () => {
    expect(checkPassword('anastasia-rules-forever-2026', 'anastasia@example.test', policy)).toContain('contains_email')
  })
})

describe('breach check (HIBP k-anonymity)', () => {
  const config = { enabled: true, timeoutMs: 500, rangeUrl: 'https://hibp.invalid/range/' }

  it('sends only the 5-character prefix and matches the suffix', async () => {
    let asked = ''
    // SHA-1("password") = 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8
    const fetchImpl = async (url: string) => {
      asked = url
      return { ok: true, text: async () => '1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493\r\n0018A45C4D1DEF81644B54AB7F969B88D65:0' }
    }
    expect(await isBreached('password', config, fetchImpl)).toBe(true)
    expect(asked).toBe('https://hibp.invalid/range/5BAA6')
  })

  it('fails open when the service does not answer, and is off by default', async () => {
    const failing = async () => {
      throw new Error('timeout')
    }
    expect(await isBreached('password', config, failing)).toBe(false)
    expect(await isBreached('password', { ...config, enabled: false }, failing)).toBe(false)
  })
})

describe('checkPasswordOffLoop (zxcvbn on a worker thread)', () => {
  const policy = { minLength: 15, maxLength: 128 }
  it('gives the same reasons as the in-thread check', async () => {
    const cases: [string, string][] = [
      ['correct horse battery staple orbit', 'ana@example.com'],
      ['passwordpassword', 'ana@example.com'],
      ['anaanaanaanaanaana1', 'anaana@example.com'],
      ['short', 'ana@example.com'],
      ['x'.repeat(200), 'ana@example.com'],
      ['qwertyuiopasdfghjkl', 'bob@example.com'],
    ]
    for (const [password, email] of cases) expect(await checkPasswordOffLoop(password, email, policy)).toEqual(checkPassword(password, email, policy))
  })

  it('keeps the event loop free while it scores', async () => {
    let ticks = 0
    const timer = setInterval(() => (ticks += 1), 1)
    await Promise.all(Array.from({ length: 8 }, (_, i) => checkPasswordOffLoop(`a fairly long passphrase number ${i} here`, 'x@example.com', policy)))
    clearInterval(timer)
    expect(ticks).toBeGreaterThan(0)
  })
})
