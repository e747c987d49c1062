// A software WebAuthn authenticator for tests: real ES256 keys, a real `none` attestation object
// (CBOR, through the encoder @simplewebauthn/server itself uses) and real assertions, so the
// server's checks run against exactly what a browser would send. Each knob (origin, RP ID, flags,
// counter) can be bent to produce the attacks the tests prove are refused. Test-only code.
// eslint-disable-next-line no-restricted-imports -- a test authenticator holds its own private keys
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto'
import { isoCBOR } from '@simplewebauthn/server/helpers'

const FLAG_UP = 0x01
const FLAG_UV = 0x04
const FLAG_BE = 0x08
const FLAG_BS = 0x10
const FLAG_AT = 0x40

interface Credential {
  id: Buffer
  privateKey: KeyObject
  cose: Uint8Array
  signCount: number
  userHandle: string
  rpId: string
}

export interface CreationOptions {
  challenge: string
  rp: { id: string }
  user: { id: string }
}

export interface RequestOptions {
  challenge: string
  rpId: string
}

/** What a test may bend in one ceremony. */
export interface Bend {
  origin?: string
  /** The RP ID the authenticator hashes into authenticatorData. */
  rpId?: string
  userVerified?: boolean
  /** Sign counter to report (assertions); by default it moves up by one each use. */
  signCount?: number
  challenge?: string
  type?: string
  /** Registration: answer with the first credential again (same id and key) instead of a new one. */
  reuseCredential?: boolean
}

const b64u = (data: Uint8Array | string): string => Buffer.from(data).toString('base64url')
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest()

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

export class SoftAuthenticator {
  readonly credentials: Credential[] = []

  constructor(
    readonly origin: string,
    private readonly opts: { backupEligible?: boolean; startCount?: number; idBytes?: number } = {},
  ) {}

  private flags(userVerified: boolean, attested: boolean): number {
    let flags = FLAG_UP
    if (userVerified) flags |= FLAG_UV
    if (this.opts.backupEligible) flags |= FLAG_BE | FLAG_BS
    if (attested) flags |= FLAG_AT
    return flags
  }

  private clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }))
  }

  /** navigator.credentials.create(): a new ES256 key pair, answered as RegistrationResponseJSON. */
  register(options: CreationOptions, bend: Bend = {}) {
    const reused = bend.reuseCredential === true ? this.credentials[0] : undefined
    const { privateKey, publicKey } = reused ? { privateKey: reused.privateKey, publicKey: null } : generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = publicKey?.export({ format: 'jwk' }) ?? {}
    const cose =
      reused?.cose ??
      isoCBOR.encode(
        new Map<number, number | Uint8Array>([
          [1, 2], // kty: EC2
          [3, -7], // alg: ES256
          [-1, 1], // crv: P-256
          [-2, Buffer.from(jwk.x ?? '', 'base64url')],
          [-3, Buffer.from(jwk.y ?? '', 'base64url')],
        ]),
      )
    const id = reused?.id ?? randomBytes(this.opts.idBytes ?? 32)
    const rpId = bend.rpId ?? options.rp.id
    const count = this.opts.startCount ?? 0
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.flags(bend.userVerified ?? true, true)]),
      u32(count),
      Buffer.alloc(16), // AAGUID: zero, as with attestation "none"
      Buffer.from([id.length >> 8, id.length & 0xff]),
      id,
      Buffer.from(cose),
    ])
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    )
    if (!reused) this.credentials.push({ id, privateKey, cose, signCount: count, userHandle: options.user.id, rpId: options.rp.id })
    return {
      id: b64u(id),
      rawId: b64u(id),
      type: 'public-key' as const,
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: { credProps: { rk: true } },
      response: {
        clientDataJSON: b64u(this.clientData(bend.type ?? 'webauthn.create', bend.challenge ?? options.challenge, bend.origin ?? this.origin)),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
    }
  }

  /** navigator.credentials.get() with a discoverable credential, as AuthenticationResponseJSON. */
  assert(options: RequestOptions, bend: Bend = {}, credential = this.credentials[0]) {
    if (credential === undefined) throw new Error('no credential on this authenticator')
    credential.signCount = bend.signCount ?? credential.signCount + 1
    const rpId = bend.rpId ?? options.rpId
    const authData = Buffer.concat([sha256(rpId), Buffer.from([this.flags(bend.userVerified ?? true, false)]), u32(credential.signCount)])
    const clientDataJSON = this.clientData(bend.type ?? 'webauthn.get', bend.challenge ?? options.challenge, bend.origin ?? this.origin)
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey) // DER, as WebAuthn ES256 wants
    return {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: 'public-key' as const,
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        userHandle: credential.userHandle,
      },
    }
  }
}
