// The layering of src/ is enforced by ESLint (LAYERS in eslint.config.js, docs/decisions/0080).
// These snippets are linted in memory as if they stood in a folder of src/: an import that runs
// up the layers, or into another feature's repo, must fail; an import down the layers must pass.
import { ESLint } from 'eslint'
import tseslint from 'typescript-eslint'
import { describe, expect, it } from 'vitest'

// Type information is not needed for import rules, and the snippets are not files on disk.
const eslint = new ESLint({
  overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked, languageOptions: { parserOptions: { projectService: false } } }],
})

async function importErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

describe('layer rule (no-restricted-imports generated from LAYERS)', () => {
  it('refuses a lower folder importing a higher one (accounts -> orgs)', async () => {
    const errors = await importErrors(
      'src/accounts/snippet.ts',
      "import { assertNotLastOwnerAnywhere } from '../orgs/members.service.js'\nexport const f = assertNotLastOwnerAnywhere\n",
    )
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/src\/accounts sits in layer \d+: it may import only lower layers/)
  })

  it('refuses the arrows this layout removed: crypto -> config, http -> sessions, principal -> sessions', async () => {
    expect(await importErrors('src/crypto/snippet.ts', "export { parseKeyRing } from '../config/keyring.js'\n")).toHaveLength(1)
    expect(await importErrors('src/http/snippet.ts', "export { validateSession } from '../sessions/sessions.service.js'\n")).toHaveLength(1)
    expect(await importErrors('src/principal/snippet.ts', "export type { SessionView } from '../sessions/sessions.schemas.js'\n")).toHaveLength(1)
  })

  it('refuses two folders of one layer importing each other (sessions -> accounts)', async () => {
    expect(await importErrors('src/sessions/snippet.ts', "export { getAccount } from '../accounts/accounts.service.js'\n")).toHaveLength(1)
  })

  it("refuses another feature's repo even from a higher layer (auth -> accounts.repo)", async () => {
    const errors = await importErrors('src/auth/snippet.ts', "export { findById } from '../accounts/accounts.repo.js'\n")
    expect(errors).toEqual([expect.stringMatching(/Another feature's repo: call its service/)])
  })

  it('refuses a root module above the importer (a feature importing src/app.ts)', async () => {
    expect(await importErrors('src/orgs/snippet.ts', "export { buildApp } from '../app.js'\n")).toHaveLength(1)
  })

  it('lets imports run down the layers, and within a folder', async () => {
    const code = [
      "import { recordEvent } from '../audit/audit.service.js'",
      "import { getAccount } from '../accounts/accounts.service.js'",
      "import { requireAuth } from '../principal/principal.js'",
      "import type { Deps } from '../deps.js'",
      "import * as repo from './orgs.repo.js'",
      'export const all = [recordEvent, getAccount, requireAuth, repo]',
      'export type D = Deps',
      '',
    ].join('\n')
    expect(await importErrors('src/orgs/snippet.ts', code)).toEqual([])
    expect(await importErrors('src/app.ts', "export { buildApp as b } from './auth/auth.routes.js'\n")).toEqual([])
  })

  it('keeps the crypto doors in the same rule options (a later block would otherwise drop them)', async () => {
    const errors = await importErrors('src/accounts/snippet.ts', "import { randomBytes } from 'node:crypto'\nexport const r = randomBytes\n")
    expect(errors).toEqual([expect.stringMatching(/Use src\/crypto\//)])
    expect(await importErrors('src/mfa/totp.ts', "import { authenticator } from 'otplib'\nexport const a = authenticator\n")).toEqual([])
  })

  it('leaves tests out of the layering: they drive the whole app through src/testing', async () => {
    expect(await importErrors('src/accounts/snippet.int.test.ts', "export { useTestApp } from '../testing/test-app.js'\n")).toEqual([])
  })
})
