// SQL for totp_factors, recovery_codes and mfa_challenges. Secrets arrive here already sealed or
// hashed. Every single-use rule is one conditional UPDATE/DELETE whose row count says who won, so
// parallel requests cannot both spend the same code, step or pending login.
import type { Selectable } from 'kysely'
import type { Db } from '../db/db.js'
import type { DB } from '../db/schema.js'

export type TotpFactorRow = Pick<Selectable<DB['totp_factors']>, 'secret_ciphertext' | 'confirmed_at' | 'last_used_step' | 'pending_session_id'>

export interface ChallengeAttempt {
  id: string
  account_id: string
  /** Attempts made on this pending login, this one included. */
  failures: number
}

export async function findFactor(db: Db, accountId: string): Promise<TotpFactorRow | undefined> {
  return db
    .selectFrom('totp_factors')
    .select(['secret_ciphertext', 'confirmed_at', 'last_used_step', 'pending_session_id'])
    .where('account_id', '=', accountId)
    .executeTakeFirst()
}

export async function hasConfirmedFactor(db: Db, accountId: string): Promise<boolean> {
  const row = await db
    .selectFrom('totp_factors')
    .select('account_id')
    .where('account_id', '=', accountId)
    .where('confirmed_at', 'is not', null)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Stores a pending enrolment started by `sessionId`, replacing an unconfirmed one; false when a
 * confirmed factor exists.
 */
export async function upsertPendingFactor(db: Db, accountId: string, secretCiphertext: string, sessionId: string, now: Date): Promise<boolean> {
  const row = await db
    .insertInto('totp_factors')
    .values({ account_id: accountId, secret_ciphertext: secretCiphertext, created_at: now, pending_session_id: sessionId })
    .onConflict((oc) =>
      oc
        .column('account_id')
        .doUpdateSet({ secret_ciphertext: secretCiphertext, created_at: now, last_used_step: null, pending_session_id: sessionId })
        .where('totp_factors.confirmed_at', 'is', null),
    )
    .returning('account_id')
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Confirms a pending enrolment, compare-and-set: only the exact ciphertext whose code was checked,
 * only from the session that started it, and only while still pending. True for the one caller
 * that turned it on; a parallel re-enrolment (new ciphertext) makes it false.
 */
export async function confirmPendingFactor(
  db: Db,
  accountId: string,
  expected: { secretCiphertext: string; sessionId: string; step: number },
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('totp_factors')
    .set({ confirmed_at: now, last_used_step: expected.step, pending_session_id: null })
    .where('account_id', '=', accountId)
    .where('confirmed_at', 'is', null)
    .where('secret_ciphertext', '=', expected.secretCiphertext)
    .where('pending_session_id', '=', expected.sessionId)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', expected.step)]))
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

/** Compare-and-set of the last accepted step of a confirmed factor: true only for the one caller that moved it forward. */
export async function advanceLastUsedStep(db: Db, accountId: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('totp_factors')
    .set({ last_used_step: step })
    .where('account_id', '=', accountId)
    .where('confirmed_at', 'is not', null)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

export async function deleteFactor(db: Db, accountId: string): Promise<boolean> {
  const result = await db.deleteFrom('totp_factors').where('account_id', '=', accountId).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** A page of factors in account-id order, for re-encryption. */
export async function listFactorsAfter(db: Db, afterAccountId: string | null, limit: number): Promise<{ account_id: string; secret_ciphertext: string }[]> {
  let query = db.selectFrom('totp_factors').select(['account_id', 'secret_ciphertext']).orderBy('account_id').limit(limit)
  if (afterAccountId !== null) query = query.where('account_id', '>', afterAccountId)
  return query.execute()
}

/** Swaps the ciphertext only if nobody changed it meanwhile (a re-enrolment wins over a re-seal). */
export async function replaceCiphertext(db: Db, accountId: string, from: string, to: string): Promise<boolean> {
  const result = await db
    .updateTable('totp_factors')
    .set({ secret_ciphertext: to })
    .where('account_id', '=', accountId)
    .where('secret_ciphertext', '=', from)
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

export async function replaceRecoveryCodes(db: Db, accountId: string, hashes: readonly Buffer[], now: Date): Promise<void> {
  await db.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute()
  if (hashes.length === 0) return
  await db
    .insertInto('recovery_codes')
    .values(hashes.map((code_hash) => ({ account_id: accountId, code_hash, created_at: now })))
    .execute()
}

export async function deleteRecoveryCodes(db: Db, accountId: string): Promise<void> {
  await db.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute()
}

/** Marks an unused code used; true only for the one caller that spent it. */
export async function spendRecoveryCode(db: Db, accountId: string, codeHash: Buffer, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('recovery_codes')
    .set({ used_at: now })
    .where('account_id', '=', accountId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

export async function countUnusedRecoveryCodes(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow()
  return row.n
}

export async function insertChallenge(db: Db, row: { account_id: string; token_hash: Buffer; created_at: Date; expires_at: Date }): Promise<void> {
  await db.insertInto('mfa_challenges').values(row).execute()
}

/**
 * Counts one attempt on a live pending login before its code is checked, so parallel guesses
 * each take one of the `maxAttempts`. Undefined when the login is unknown, expired or used up.
 */
export async function reserveChallengeAttempt(db: Db, tokenHash: Buffer, now: Date, maxAttempts: number): Promise<ChallengeAttempt | undefined> {
  return db
    .updateTable('mfa_challenges')
    .set((eb) => ({ failures: eb('failures', '+', 1) }))
    .where('token_hash', '=', tokenHash)
    .where('expires_at', '>', now)
    .where('failures', '<', maxAttempts)
    .returning(['id', 'account_id', 'failures'])
    .executeTakeFirst()
}

/** The account of a live pending login, without counting an attempt; undefined otherwise. */
export async function findChallengeAccount(db: Db, tokenHash: Buffer, now: Date): Promise<string | undefined> {
  const row = await db.selectFrom('mfa_challenges').select('account_id').where('token_hash', '=', tokenHash).where('expires_at', '>', now).executeTakeFirst()
  return row?.account_id
}

/** Ends a pending login; true only for the one caller that removed it. */
export async function deleteChallenge(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('mfa_challenges').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows === 1n
}

export async function deleteChallengesForAccount(db: Db, accountId: string): Promise<number> {
  const result = await db.deleteFrom('mfa_challenges').where('account_id', '=', accountId).executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function deleteExpiredChallenges(db: Db, now: Date): Promise<void> {
  await db.deleteFrom('mfa_challenges').where('expires_at', '<=', now).execute()
}
