// Tables owned by src/passkeys (migrations/202612011300_create_passkeys.ts). No secret is stored:
// a passkey row holds a public key; a pending ceremony holds SHA-256 hashes of its challenge and
// of its pending-sign-in cookie.
import type { Generated } from 'kysely'
import type { Timestamp } from '../db/schema.js'

export interface PasskeysTable {
  id: Generated<string>
  account_id: string
  /** base64url credential id; unique across accounts. */
  credential_id: string
  /** COSE_Key of the credential. */
  public_key: Buffer
  sign_count: Generated<number>
  transports: Generated<string[]>
  backup_eligible: boolean
  backed_up: boolean
  /** The WebAuthn user.id given at registration (random, base64url). */
  user_handle: string
  name: string
  created_at: Timestamp
  last_used_at: Date | null
}

export interface PasskeyChallengesTable {
  id: Generated<string>
  purpose: 'registration' | 'authentication'
  challenge_hash: Buffer
  session_id: string | null
  account_id: string | null
  pending_token_hash: Buffer | null
  user_handle: string | null
  created_at: Timestamp
  expires_at: Date
}

export interface PasskeyTables {
  passkeys: PasskeysTable
  passkey_challenges: PasskeyChallengesTable
}
