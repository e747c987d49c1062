// Each table has one owner (docs/decisions/0080-layers-enforced.md): only the owning folder's code
// names it in a query. Another feature reaches the data through the owner's service. Read from the
// source: Kysely calls (selectFrom, joins, updateTable, insertInto, deleteFrom) and raw sql`...`.
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

/** Every table of src/db/schema.ts and the folder of src/ that owns it. */
const OWNERS: Record<string, string> = {
  security_events: 'audit',
  accounts: 'accounts',
  known_devices: 'accounts',
  sessions: 'sessions',
  one_time_tokens: 'one-time-tokens',
  email_outbox: 'mail',
  auth_throttle: 'throttle',
  auth_failure_streaks: 'throttle',
  totp_factors: 'mfa',
  recovery_codes: 'mfa',
  mfa_challenges: 'mfa',
  api_tokens: 'api-tokens',
  organizations: 'orgs',
  memberships: 'orgs',
  invitations: 'orgs',
  projects: 'projects',
  passkeys: 'passkeys',
  passkey_challenges: 'passkeys',
}

/** The one exception: the principal's hot-path statements read the caller's state in one snapshot (decision 0065). */
const ALLOWED = new Set(['src/sessions/sessions.repo.ts accounts', 'src/sessions/sessions.repo.ts totp_factors', 'src/sessions/sessions.repo.ts passkeys'])
for (const table of ['accounts', 'totp_factors', 'passkeys']) ALLOWED.add(`src/api-tokens/api-tokens.repo.ts ${table}`)

const KYSELY = /\.(?:selectFrom|innerJoin|leftJoin|rightJoin|fullJoin|updateTable|insertInto|deleteFrom|mergeInto)\(\s*['"`]([a-z_]+)/g
// sql`...` templates, and the fixed text of hotStatement<Row, Params>(`...`) (src/db/db.ts).
const RAW_SQL = /\b(?:sql(?:<[^>]*>)?|hotStatement(?:<[^`]*?>)?\()`([^`]*)`/g
const RAW_TABLE = /\b(?:from|join|update|into)\s+([a-z_]+)/gi

/** The tables `code` names in a query. */
function tablesIn(code: string): Set<string> {
  const found = new Set([...code.matchAll(KYSELY)].map((m) => m[1]!))
  for (const [, text] of code.matchAll(RAW_SQL)) for (const m of text!.matchAll(RAW_TABLE)) found.add(m[1]!.toLowerCase())
  return new Set([...found].filter((t) => t in OWNERS))
}

/** "file table" for each query of a table outside its owner's folder. */
function strangers(file: string, code: string): string[] {
  const folder = /^src\/([^/]+)\//.exec(file)?.[1]
  return [...tablesIn(code)].filter((t) => OWNERS[t] !== folder).map((t) => `${file} ${t}`)
}

describe('one owner per table', () => {
  it('knows how a query names a table (Kysely and raw SQL), and what a stranger is', () => {
    const kysely = "db.selectFrom('memberships as m').innerJoin('accounts as a', 'a.id', 'm.account_id')"
    expect(strangers('src/orgs/orgs.repo.ts', kysely)).toEqual(['src/orgs/orgs.repo.ts accounts'])
    expect(strangers('src/orgs/x.ts', 'sql`select 1 from s join accounts a on true`')).toEqual(['src/orgs/x.ts accounts'])
    const hot = 'hotStatement<Row, [id: string]>(`select 1 from memberships m join accounts a on a.id = m.account_id`)'
    expect(strangers('src/orgs/x.ts', hot)).toEqual(['src/orgs/x.ts accounts'])
    expect(strangers('src/accounts/accounts.repo.ts', "db.updateTable('accounts')")).toEqual([])
    // Prose outside a query is not a query.
    expect(strangers('src/orgs/x.ts', '// reads from accounts through its service')).toEqual([])
  })

  it('holds for every query in src/ (tests, test helpers and src/db, which grants on all tables, aside)', async () => {
    const files = (await readdir('src', { recursive: true }))
      .map((f) => path.posix.join('src', f.split(path.sep).join('/')))
      .filter((f) => f.endsWith('.ts') && !/\.test\.ts$|^src\/(testing|db)\//.test(f))
    expect(files.length).toBeGreaterThan(100)
    const found: string[] = []
    for (const file of files) found.push(...strangers(file, await readFile(file, 'utf8')))
    expect(found.filter((f) => !ALLOWED.has(f))).toEqual([])
    // The exception is still in use (else it should go from ALLOWED and from decision 0065's record).
    expect(found.sort()).toEqual([...ALLOWED].sort())
  })
})
