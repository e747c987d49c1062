// A profile file maps the kit onto another API; a typo in it must stop the run, not skip a check.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fill, loadProfile, STARTER_PROFILE } from '../../tools/conformance/profile.js'

describe('conformance profiles', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'conformance-profile-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('overrides the starter profile route by route', async () => {
    const file = path.join(dir, 'other.json')
    await writeFile(
      file,
      JSON.stringify({ name: 'other', login: { method: 'POST', path: '/api/session', body: { user: '{email}', pass: '{password}' } }, sessionCookie: 'sid' }),
    )
    const profile = await loadProfile(file)
    expect(profile.login.path).toBe('/api/session')
    expect(profile.me).toEqual(STARTER_PROFILE.me)
    expect(fill(profile.login.body, { email: 'a@b.test', password: 'pw' })).toEqual({ user: 'a@b.test', pass: 'pw' })
  })

  it('refuses an unknown key, a route without a leading slash, and one that names another host', async () => {
    const typo = path.join(dir, 'typo.json')
    await writeFile(typo, JSON.stringify({ logni: { method: 'POST', path: '/login' } }))
    await expect(loadProfile(typo)).rejects.toThrow(/profile .*typo\.json/)
    const relative = path.join(dir, 'relative.json')
    await writeFile(relative, JSON.stringify({ me: { method: 'GET', path: 'v1/me' } }))
    await expect(loadProfile(relative)).rejects.toThrow(/\/me\/path/)
    // '//host/x' is a URL of another host, not a path of this one.
    const otherHost = path.join(dir, 'other-host.json')
    await writeFile(otherHost, JSON.stringify({ root: { method: 'GET', path: '//evil.example/x' } }))
    await expect(loadProfile(otherHost)).rejects.toThrow(/\/root\/path/)
  })

  it('names an unknown key as such, at the top and inside a route', async () => {
    const typo = path.join(dir, 'profile-typo.json')
    await writeFile(typo, JSON.stringify({ sesionCookie: 'sid' }))
    await expect(loadProfile(typo)).rejects.toThrow(/^profile .*profile-typo\.json: unknown key sesionCookie$/)
    const nested = path.join(dir, 'nested-typo.json')
    await writeFile(nested, JSON.stringify({ login: { method: 'POST', path: '/login', bdy: {} } }))
    await expect(loadProfile(nested)).rejects.toThrow(/^profile .*nested-typo\.json: \/login: unknown key bdy$/)
  })

  it('names the file when it is not JSON', async () => {
    const notJson = path.join(dir, 'not-json.json')
    await writeFile(notJson, 'not json')
    await expect(loadProfile(notJson)).rejects.toThrow(/^profile .*not-json\.json is not JSON: Unexpected token/)
  })
})
