// The TLS check: which protocol versions the server accepts, and whether its certificate verifies
// (ASVS 5.0 V12.1.1, V12.2.2).
import tls from 'node:tls'
import type { Check } from './check.js'
import { certificateError, isLoopback } from './http.js'

interface Handshake {
  /** The version agreed, or null. */
  version: string | null
  error?: Error
}

/** Opens a TLS connection limited to the given versions; `verify` refuses a certificate that does not verify. */
function tlsHandshake(url: URL, min: tls.SecureVersion, max: tls.SecureVersion, timeoutMs: number, verify = false): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 443),
      servername: isLoopback(url) ? undefined : url.hostname,
      minVersion: min,
      maxVersion: max,
      // Lets this client offer the old versions at all; the server's answer is what is tested.
      ciphers: 'DEFAULT:@SECLEVEL=0',
      rejectUnauthorized: verify,
      timeout: timeoutMs,
    })
    const done = (h: Handshake) => {
      socket.destroy()
      resolve(h)
    }
    socket.once('secureConnect', () => done({ version: socket.getProtocol() }))
    socket.once('error', (error: Error) => done({ version: null, error }))
    socket.once('timeout', () => done({ version: null }))
  })
}

export const tlsVersions: Check = {
  id: 'tls',
  title: 'TLS 1.2 or newer only, a certificate that verifies; no plain http off loopback',
  standards: ['V12.1.1', 'V12.2.1', 'V12.2.2'],
  control: 'Use SSL certificates',
  needs: [],
  async run(ctx) {
    const url = ctx.prober.base
    if (url.protocol === 'http:') {
      if (isLoopback(url)) return { problems: [], skipped: 'plain http on loopback: nothing to test' }
      return { problems: ['the service is reached over plain http (V12.2.1)'] }
    }
    const problems: string[] = []
    const notes: string[] = []
    for (const [min, max] of [
      ['TLSv1', 'TLSv1'],
      ['TLSv1.1', 'TLSv1.1'],
    ] as const) {
      ctx.prober.spend()
      const agreed = await tlsHandshake(url, min, max, ctx.prober.opts.timeoutMs)
      if (agreed.version) problems.push(`the server accepts ${agreed.version} (V12.1.1)`)
    }
    ctx.prober.spend()
    const insecure = ctx.prober.opts.insecureTls
    const modern = await tlsHandshake(url, 'TLSv1.2', 'TLSv1.3', ctx.prober.opts.timeoutMs, !insecure)
    const certificate = certificateError(modern.error)
    if (modern.version) notes.push(`negotiated ${modern.version}`)
    if (certificate !== undefined)
      problems.push(`the certificate does not verify: ${certificate} (V12.2.2); to check a test setup with its own certificate, pass --insecure-tls`)
    else if (!modern.version) problems.push('no TLS 1.2 or 1.3 handshake succeeded')
    if (insecure) notes.push('the certificate was not verified (--insecure-tls)')
    return { problems, notes }
  },
}
