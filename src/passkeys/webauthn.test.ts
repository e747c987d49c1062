import { describe, expect, it } from 'vitest'
import { relyingParty } from './webauthn.js'

describe('relyingParty()', () => {
  it('takes the RP ID from the host of PUBLIC_ORIGIN and keeps the origin exact', () => {
    expect(relyingParty({ appName: 'App', http: { publicOrigin: 'https://app.example.com' } })).toEqual({
      name: 'App',
      id: 'app.example.com',
      origin: 'https://app.example.com',
    })
    // The port is part of the origin, never of the RP ID (WebAuthn L3 §5.1.4.1).
    expect(relyingParty({ appName: 'App', http: { publicOrigin: 'http://localhost:3104' } })).toMatchObject({
      id: 'localhost',
      origin: 'http://localhost:3104',
    })
  })
})
