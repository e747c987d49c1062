// The only file that calls @simplewebauthn/server (as src/mfa/totp.ts is for otplib): CBOR, COSE
// keys, attestation and signature checks all happen in the library, never here. Every call pins
// the RP ID (host of PUBLIC_ORIGIN), the exact origin, user verification and the algorithms.
import type * as WebAuthn from '@simplewebauthn/server'
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import type { CreationOptionsReply, RequestOptionsReply } from './passkeys.schemas.js'

// Loaded on first use, not at start: the library and its crypto dependencies take about 0.5 s of
// CPU to import, which every process (each server, each test worker) paid even when no passkey
// ceremony ever ran. The server still loads it before it listens (src/warm-up.ts).
let library: Promise<typeof WebAuthn> | undefined

/** The library, imported once per process (a failed import is retried on the next call). */
export function loadWebAuthn(): Promise<typeof WebAuthn> {
  library ??= import('@simplewebauthn/server').catch((error: unknown) => {
    library = undefined
    throw error
  })
  return library
}

/** EdDSA, ES256, RS256 (COSE ids): what virtually every authenticator offers. */
export const SUPPORTED_ALGORITHMS = [-8, -7, -257]
const MAX_CREDENTIAL_ID_BYTES = 1023
/** How long the browser may take over a ceremony (the server-side TTL is separate). */
const CEREMONY_TIMEOUT_MS = 120_000

export interface RelyingParty {
  readonly name: string
  /** The host of PUBLIC_ORIGIN (WebAuthn L3 §5.1.4.1: an RP ID is a domain, no scheme or port). */
  readonly id: string
  /** PUBLIC_ORIGIN, matched exactly against clientDataJSON.origin. */
  readonly origin: string
}

export function relyingParty(config: { appName: string; http: { publicOrigin: string } }): RelyingParty {
  return { name: config.appName, id: new URL(config.http.publicOrigin).hostname, origin: config.http.publicOrigin }
}

export async function registrationOptions(
  rp: RelyingParty,
  input: { challenge: Buffer; userHandle: Buffer; userName: string; exclude: { id: string; transports: string[] }[] },
): Promise<CreationOptionsReply> {
  const { generateRegistrationOptions } = await loadWebAuthn()
  const o = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: input.userName,
    userDisplayName: input.userName,
    userID: new Uint8Array(input.userHandle),
    challenge: new Uint8Array(input.challenge),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: 'none',
    excludeCredentials: input.exclude,
    // A discoverable credential with user verification: one gesture is two factors.
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  })
  // Spelled out so the reply carries exactly what the route's schema names.
  return {
    rp: { name: rp.name, id: rp.id },
    user: o.user,
    challenge: o.challenge,
    pubKeyCredParams: o.pubKeyCredParams.map((p) => ({ alg: p.alg, type: 'public-key' as const })),
    timeout: CEREMONY_TIMEOUT_MS,
    attestation: 'none',
    excludeCredentials: (o.excludeCredentials ?? []).map((c) => ({
      id: c.id,
      type: 'public-key' as const,
      ...(c.transports ? { transports: [...c.transports] } : {}),
    })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    extensions: { credProps: true },
  }
}

export async function authenticationOptions(rp: RelyingParty, challenge: Buffer): Promise<RequestOptionsReply> {
  // No allowCredentials: the same answer whoever asks, so nothing about accounts is revealed.
  const { generateAuthenticationOptions } = await loadWebAuthn()
  const o = await generateAuthenticationOptions({
    rpID: rp.id,
    challenge: new Uint8Array(challenge),
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: 'required',
  })
  return { challenge: o.challenge, rpId: rp.id, timeout: CEREMONY_TIMEOUT_MS, userVerification: 'required' }
}

export interface VerifiedRegistration {
  credentialId: string
  publicKey: Buffer
  signCount: number
  backupEligible: boolean
  backedUp: boolean
}

/** Verifies an attestation; null when anything is wrong (the library's reason is not passed on). */
export async function verifyRegistration(
  rp: RelyingParty,
  response: RegistrationResponseJSON,
  challengeMatches: (challenge: string) => boolean,
): Promise<VerifiedRegistration | null> {
  const { verifyRegistrationResponse } = await loadWebAuthn()
  try {
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: challengeMatches,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      expectedType: 'webauthn.create',
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    })
    if (!result.verified) return null
    const info = result.registrationInfo
    // WebAuthn L3 §7.1 step 26: a credential id longer than 1023 bytes is refused.
    if (Buffer.from(info.credential.id, 'base64url').length > MAX_CREDENTIAL_ID_BYTES) return null
    return {
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey),
      signCount: info.credential.counter,
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
    }
  } catch {
    return null
  }
}

export interface VerifiedAssertion {
  newSignCount: number
  backedUp: boolean
}

/**
 * Verifies an assertion's challenge, origin, RP ID, flags (UP and UV) and signature; null when any
 * fails. The sign counter is compared by the caller afterwards, so that only an assertion signed
 * by the real key can raise the cloned-authenticator alarm (the library checks it before the
 * signature, where a forged counter could trigger it).
 */
export async function verifyAssertion(
  rp: RelyingParty,
  response: AuthenticationResponseJSON,
  credential: { id: string; publicKey: Buffer; transports: string[] },
  challengeMatches: (challenge: string) => boolean,
): Promise<VerifiedAssertion | null> {
  const { verifyAuthenticationResponse } = await loadWebAuthn()
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challengeMatches,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      expectedType: 'webauthn.get',
      credential: { id: credential.id, publicKey: new Uint8Array(credential.publicKey), counter: 0, transports: credential.transports },
      requireUserVerification: true,
    })
    if (!result.verified) return null
    return { newSignCount: result.authenticationInfo.newCounter, backedUp: result.authenticationInfo.credentialBackedUp }
  } catch {
    return null
  }
}
