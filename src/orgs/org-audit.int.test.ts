import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { verifyChain } from '../audit/audit-chain.js'
import { verifyExportLines } from '../audit/audit-org.js'
import { signedIn } from '../testing/factories.js'
import { accountIdOf, addMember, createOrg } from '../testing/orgs.js'
import { runTs } from '../testing/run-ts.js'
import { useTestApp } from '../testing/test-app.js'

const verifyCli = (file: string) => runTs('scripts/verify-audit-export.ts', [file])

describe('audit trail of an organization', () => {
  const t = useTestApp()

  let n = 0
  async function busyOrg(): Promise<{
    owner: string
    orgId: string
    admin: { cookie: string; accountId: string }
    viewer: { cookie: string; accountId: string }
  }> {
    n += 1
    const owner = await signedIn(t, `own${n}@audit.test`)
    const orgId = await createOrg(t, owner)
    const admin = await addMember(t, owner, orgId, `adm${orgId.slice(0, 8)}@audit.test`, 'admin')
    const viewer = await addMember(t, owner, orgId, `vie${orgId.slice(0, 8)}@audit.test`, 'viewer')
    for (let i = 0; i < 5; i += 1)
      await t.app.inject({ method: 'POST', url: `/v1/orgs/${orgId}/projects`, headers: { cookie: admin.cookie }, payload: { name: `p${i}` } })
    await t.app.inject({
      method: 'PATCH',
      url: `/v1/orgs/${orgId}/members/${viewer.accountId}`,
      headers: { cookie: admin.cookie },
      payload: { role: 'member' },
    })
    return { owner, orgId, admin, viewer }
  }

  it('records every change with actor, target, ip, user agent and request id, newest first, paged by cursor', async () => {
    const { owner, orgId, admin, viewer } = await busyOrg()
    const other = await signedIn(t, 'other@audit.test')
    await createOrg(t, other, 'Elsewhere')
    const first = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/audit-events?limit=4`, headers: { cookie: owner, 'user-agent': 'audit-test' } })
    expect(first.statusCode).toBe(200)
    interface Page {
      events: { id: string; type: string; actor: { email: string }; target: { kind: string; id: string; email: string | null } | null; ip: string }[]
      nextCursor: string | null
    }
    const page1 = first.json<Page>()
    expect(page1.events).toHaveLength(4)
    expect(page1.events[0]).toMatchObject({
      type: 'member.role_changed',
      actor: { accountId: admin.accountId, email: expect.stringContaining('adm') },
      target: { kind: 'account', id: viewer.accountId },
      ip: '127.0.0.1',
    })
    const all = [...page1.events]
    let cursor: string | null = page1.nextCursor
    while (cursor !== null) {
      const next: Awaited<ReturnType<typeof t.app.inject>> = await t.app.inject({
        method: 'GET',
        url: `/v1/orgs/${orgId}/audit-events?limit=4&cursor=${cursor}`,
        headers: { cookie: owner },
      })
      const page = next.json<Page>()
      all.push(...page.events)
      cursor = page.nextCursor
    }
    expect(all.map((e) => e.type).reverse()).toEqual([
      'org.created',
      'member.invited',
      'member.joined',
      'member.invited',
      'member.joined',
      ...Array(5).fill('project.created'),
      'member.role_changed',
    ])
    const row = await t.deps.db
      .selectFrom('security_events')
      .select(['details', 'user_agent'])
      .where('org_id', '=', orgId)
      .where('type', '=', 'project.created')
      .limit(1)
      .executeTakeFirstOrThrow()
    expect(row.details).toMatchObject({ requestId: expect.any(String), targetProjectId: expect.any(String) })
    // Viewers and members do not read it.
    expect((await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/audit-events`, headers: { cookie: viewer.cookie } })).statusCode).toBe(403)
  })

  it('answers a cursor past every event id (up to its 24 digits) with the first page, never a 500', async () => {
    // Found by a scan: a cursor above 2^53 lost precision or became "1e+21" on its way to bigint.
    const { owner, orgId } = await busyOrg()
    const first = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/audit-events?limit=3`, headers: { cookie: owner } })
    for (const cursor of ['9007199254740993', '9223372036854775807', '9223372036854775808', '999999999999999999999', '9'.repeat(24)]) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/audit-events?limit=3&cursor=${cursor}`, headers: { cookie: owner } })
      expect(res.statusCode, cursor).toBe(200)
      expect(res.json()).toEqual(first.json())
    }
  })

  it('takes a limit of 1 to 100 as documented (400 beyond), and the export type in any letter case', async () => {
    // Found by an attacker pass: 101 to 999 were silently capped, and Accept: application/X-NDJSON got the JSON page.
    const { owner, orgId } = await busyOrg()
    const url = `/v1/orgs/${orgId}/audit-events`
    for (const limit of ['1', '100'])
      expect((await t.app.inject({ method: 'GET', url: `${url}?limit=${limit}`, headers: { cookie: owner } })).statusCode).toBe(200)
    for (const limit of ['0', '101', '999', '1000', '-1', '01']) {
      const res = await t.app.inject({ method: 'GET', url: `${url}?limit=${limit}`, headers: { cookie: owner } })
      expect(res.statusCode, limit).toBe(400)
      expect(res.json()).toMatchObject({ error: 'validation_failed' })
    }
    const upper = await t.app.inject({ method: 'GET', url, headers: { cookie: owner, accept: 'Application/X-NDJSON' } })
    expect(upper.headers['content-type']).toContain('application/x-ndjson')
  })

  it('exports every event as NDJSON that verifies offline, and names a tampered or missing line', async () => {
    const { owner, orgId } = await busyOrg()
    const res = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/audit-events`, headers: { cookie: owner, accept: 'application/x-ndjson' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('application/x-ndjson')
    const lines = res.body.trim().split('\n')
    expect(lines).toHaveLength(1 + 11)
    expect(await verifyExportLines(lines)).toMatchObject({ ok: true, events: 11 })
    expect(await verifyChain(t.deps.db)).toMatchObject({ ok: true })

    const tampered = [...lines]
    tampered[3] = (tampered[3] ?? '').replace('"ip":"127.0.0.1"', '"ip":"203.0.113.7"')
    expect(await verifyExportLines(tampered)).toMatchObject({ ok: false, line: 4 })
    const dropped = lines.filter((_, i) => i !== 5)
    expect(await verifyExportLines(dropped)).toMatchObject({ ok: false, line: 6, reason: expect.stringContaining('missing') })

    const dir = await mkdtemp(path.join(tmpdir(), 'org-audit-'))
    try {
      await writeFile(path.join(dir, 'good.ndjson'), res.body)
      await writeFile(path.join(dir, 'bad.ndjson'), `${tampered.join('\n')}\n`)
      // The two CLI runs in parallel.
      const [good, bad] = await Promise.all([verifyCli(path.join(dir, 'good.ndjson')), verifyCli(path.join(dir, 'bad.ndjson'))])
      expect(good).toMatchObject({ code: 0, stdout: expect.stringContaining('export intact: 11 events') })
      expect(bad).toMatchObject({ code: 2 })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('streams a long trail in constant-size batches', async () => {
    const owner = await signedIn(t, 'long@audit.test')
    const orgId = await createOrg(t, owner)
    for (let i = 0; i < 60; i += 1)
      await t.app.inject({ method: 'POST', url: `/v1/orgs/${orgId}/projects`, headers: { cookie: owner }, payload: { name: `p${i}` } })
    const ownerId = await accountIdOf(t, owner)
    const { exportOrgEvents } = await import('../audit/audit-org.js')
    const seen: number[] = []
    for await (const event of exportOrgEvents(t.deps.db, orgId, 7)) {
      expect(event.accountId).toBe(ownerId)
      seen.push(event.id)
    }
    expect(seen).toHaveLength(61)
    expect([...seen].sort((x, y) => x - y)).toEqual(seen)
  })
})
