// Request and response schemas of the passkey routes. The WebAuthn JSON shapes (W3C WebAuthn L3
// §5.1: RegistrationResponseJSON, AuthenticationResponseJSON, and the options JSON) are spelled
// out field by field, every string bounded, so nothing else is accepted or serialised.
import { type Static, Type } from 'typebox'
import { Id, Password, StrictObject, Timestamp } from '../http/schemas.js'
import { SecondFactorCode } from '../mfa/mfa.schemas.js'

/** base64url without padding. A credential id is at most 1023 bytes (WebAuthn L3 §5.8.3): 1364 characters. */
const B64Url = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$', ...(description ? { description } : {}) })
const CredentialIdString = B64Url(1364, 'Credential id, base64url')
const Transport = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z-]+$' })
const Transports = Type.Array(Transport, { maxItems: 8 })
const AuthenticatorAttachment = Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')])
// credProps is asked for at registration (the library always asks); nothing else is.
const ClientExtensionResults = StrictObject({ credProps: Type.Optional(StrictObject({ rk: Type.Optional(Type.Boolean()) })) })

export const PasskeyName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'A label for the passkey' })

export const RegistrationResponse = StrictObject({
  id: CredentialIdString,
  rawId: CredentialIdString,
  type: Type.Literal('public-key'),
  authenticatorAttachment: Type.Optional(AuthenticatorAttachment),
  clientExtensionResults: ClientExtensionResults,
  response: StrictObject({
    clientDataJSON: B64Url(4096),
    attestationObject: B64Url(16_384),
    authenticatorData: Type.Optional(B64Url(8192)),
    transports: Type.Optional(Transports),
    publicKeyAlgorithm: Type.Optional(Type.Integer({ minimum: -65_536, maximum: 65_535 })),
    publicKey: Type.Optional(B64Url(4096)),
  }),
})

export const AuthenticationResponse = StrictObject({
  id: CredentialIdString,
  rawId: CredentialIdString,
  type: Type.Literal('public-key'),
  authenticatorAttachment: Type.Optional(AuthenticatorAttachment),
  clientExtensionResults: ClientExtensionResults,
  response: StrictObject({
    clientDataJSON: B64Url(4096),
    authenticatorData: B64Url(8192),
    signature: B64Url(1024),
    userHandle: Type.Optional(B64Url(128)),
  }),
})

export const RegistrationOptionsBody = StrictObject({ password: Password, code: Type.Optional(SecondFactorCode) })
export const RegistrationBody = StrictObject({ name: PasskeyName, response: RegistrationResponse })
export const RenameBody = StrictObject({ name: PasskeyName })
export const DeleteBody = StrictObject({ password: Password, code: Type.Optional(SecondFactorCode) })
export const PasskeySignInBody = StrictObject({ response: AuthenticationResponse })
export const PasskeyIdParams = StrictObject({ id: Id })

const Descriptor = StrictObject({ id: CredentialIdString, type: Type.Literal('public-key'), transports: Type.Optional(Transports) })

export const CreationOptionsReply = StrictObject(
  {
    rp: StrictObject({ name: Type.String({ maxLength: 256 }), id: Type.String({ maxLength: 253 }) }),
    user: StrictObject({ id: B64Url(128), name: Type.String({ maxLength: 254 }), displayName: Type.String({ maxLength: 254 }) }),
    challenge: B64Url(128),
    pubKeyCredParams: Type.Array(StrictObject({ alg: Type.Integer({ minimum: -65_536, maximum: 65_535 }), type: Type.Literal('public-key') }), { maxItems: 8 }),
    timeout: Type.Integer(),
    attestation: Type.Literal('none'),
    excludeCredentials: Type.Array(Descriptor, { maxItems: 100 }),
    authenticatorSelection: StrictObject({
      residentKey: Type.String({ maxLength: 16 }),
      requireResidentKey: Type.Boolean(),
      userVerification: Type.String({ maxLength: 16 }),
    }),
    extensions: StrictObject({ credProps: Type.Boolean() }),
  },
  { description: 'PublicKeyCredentialCreationOptionsJSON, for navigator.credentials.create()' },
)

export const RequestOptionsReply = StrictObject(
  {
    challenge: B64Url(128),
    rpId: Type.String({ maxLength: 253 }),
    timeout: Type.Integer(),
    userVerification: Type.Literal('required'),
  },
  { description: 'PublicKeyCredentialRequestOptionsJSON, for navigator.credentials.get(); no allowCredentials (discoverable credentials)' },
)

export const PasskeyView = StrictObject({
  id: Id,
  name: PasskeyName,
  createdAt: Timestamp,
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
  backedUp: Type.Boolean(),
})
export const PasskeyCreatedReply = StrictObject({ id: Id, name: PasskeyName, createdAt: Timestamp })
export const PasskeyListReply = StrictObject({ passkeys: Type.Array(PasskeyView, { maxItems: 100 }) })

export type RegistrationResponse = Static<typeof RegistrationResponse>
export type AuthenticationResponse = Static<typeof AuthenticationResponse>
export type PasskeyView = Static<typeof PasskeyView>
export type CreationOptionsReply = Static<typeof CreationOptionsReply>
export type RequestOptionsReply = Static<typeof RequestOptionsReply>
