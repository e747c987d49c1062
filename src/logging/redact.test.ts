import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { API_TOKEN_ANY_PREFIX_SOURCE, generateApiToken } from '../api-tokens/token-format.js'
import { createLogger, isoTime, LOG_FLUSH_MS, logDestination } from './logger.js'
import { REDACTED, redactDeep, redactString } from './redact.js'

describe('redactDeep', () => {
  it('masks values under secret-named keys', () => {
    expect(redactDeep({ password: 'hunter2', apiToken: 'x', clientSecret: 'y', user: 'ana' })).toEqual({
      password: REDACTED,
      apiToken: REDACTED,
      clientSecret: REDACTED,
      user: 'ana',
    })
  })

  it('masks Bearer credentials inside strings', () => {
    expect(redactDeep({ note: 'sent Authorization: Bearer abc.def.ghi to upstream' })).toEqual({ note: `sent Authorization: Bearer ${REDACTED} to upstream` })
  })

  it('masks an API token by its value, under an innocent key, at any depth, keeping the prefix', () => {
    const token = generateApiToken('sss')
    const other = generateApiToken('acme2')
    const out = JSON.stringify(redactDeep({ note: token, nested: { list: [`copied ${other} here`] } }))
    expect(out).not.toContain(token.slice(4))
    expect(out).not.toContain(other.slice(6))
    expect(out).toContain(`sss_${REDACTED}`)
    expect(out).toContain(`copied acme2_${REDACTED} here`)
  })

  it('masks tokens of every prefix the format allows', () => {
    const shape = new RegExp(`^${API_TOKEN_ANY_PREFIX_SOURCE}$`)
    for (const prefix of ['ab', 'sss', 'ghx9', 'abcdefghij']) {
      const token = generateApiToken(prefix)
      expect(token).toMatch(shape)
      expect(redactString(`x=${token};`)).toBe(`x=${prefix}_${REDACTED};`)
    }
  })

  it('leaves ordinary text alone', () => {
    const text = 'user_id 42 signed in from 192.0.2.1 with session_abc'
    expect(redactString(text)).toBe(text)
  })
})

describe('logger', () => {
  it('writes no token, whether in a field, the message or an error', () => {
    const lines: string[] = []
    const log = createLogger({ level: 'info', pretty: false }, { write: (line: string) => void lines.push(line) })
    const token = generateApiToken('sss')
    log.info({ detail: { value: token } }, `token ${token} seen`)
    log.error({ err: new Error(`refused ${token}`) }, 'failed')
    log.info('plain %s', token)
    expect(lines).toHaveLength(3)
    const out = lines.join('\n')
    expect(out).not.toContain(token.slice(4))
    expect(out).toContain(`sss_${REDACTED}`)
  })

  it("keeps an error's own code (a Node, Fastify or PostgreSQL code), and masks any other value there", () => {
    const lines: string[] = []
    const log = createLogger({ level: 'info', pretty: false }, { write: (line: string) => void lines.push(line) })
    for (const code of ['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'FST_ERR_CTP_INVALID_MEDIA_TYPE', '23505', '57P01']) {
      log.error({ err: Object.assign(new Error('failed'), { code }) }, 'failed')
    }
    // Not an error code: a six-digit TOTP code, or anything else a careless caller put there.
    for (const code of ['123456', 'abcd-efgh-jkmn', 'hunter2']) log.error({ err: Object.assign(new Error('failed'), { code }) }, 'failed')
    const codes = lines.map((l) => (JSON.parse(l) as { err: { code: string } }).err.code)
    expect(codes).toEqual(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'FST_ERR_CTP_INVALID_MEDIA_TYPE', '23505', '57P01', REDACTED, REDACTED, REDACTED])
  })

  it('keeps request and response headers out, whether logged raw or through the serializers', () => {
    const lines: string[] = []
    const log = createLogger({ level: 'info', pretty: false }, { write: (line: string) => void lines.push(line) })
    const headers = { authorization: 'Bearer header-secret-1', cookie: '__Host-session=header-secret-2', 'x-api-key': 'header-secret-3' }
    log.info({ headers, res: { statusCode: 200, headers: { 'set-cookie': 'header-secret-4' } } }, 'raw headers')
    log.info({ req: { method: 'GET', url: '/a?token=header-secret-5', ip: '192.0.2.1', headers }, request: { headers } }, 'a request')
    const out = lines.join('\n')
    for (let i = 1; i <= 5; i += 1) expect(out).not.toContain(`header-secret-${i}`)
    expect(out).toContain('"req":{"method":"GET","path":"/a","ip":"192.0.2.1"}')
    expect(out).toContain('"res":{"statusCode":200}')
  })
  it('writes ISO timestamps to the millisecond', () => {
    const line = `{"x":1${isoTime()}}`
    const parsed = JSON.parse(line) as { time: string }
    expect(parsed.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    expect(Math.abs(Date.parse(parsed.time) - Date.now())).toBeLessThan(1_000)
  })
  it('writes a buffered line within the flush interval, with no more lines behind it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sss-log-'))
    const file = path.join(dir, 'out.log')
    const log = createLogger({ level: 'info', pretty: false }, logDestination(file))
    log.info({ n: 1 }, 'a quiet line')
    await new Promise((resolve) => setTimeout(resolve, LOG_FLUSH_MS + 500))
    expect(await readFile(file, 'utf8')).toContain('"msg":"a quiet line"')
    await rm(dir, { recursive: true, force: true })
  })
})
