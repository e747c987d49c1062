// `npx tsx bench/profile-summary.ts <file.cpuprofile> [last seconds]`: self time of a `node --cpu-prof`
// profile grouped by layer (package or source folder), to say what each layer of a request costs.
// With a number of seconds, only the end of the profile counts (the load, not the start-up).
import { readFile } from 'node:fs/promises'

interface Node {
  id: number
  callFrame: { functionName: string; url: string }
  hitCount?: number
}
const file = process.argv[2]
if (file === undefined) throw new Error('usage: profile-summary <file.cpuprofile>')
const profile = JSON.parse(await readFile(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] }
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const lastUs = Number(process.argv[3] ?? Infinity) * 1e6
const totalUs = profile.timeDeltas.reduce((a, b) => a + b, 0)
const selfUs = new Map<number, number>()
let atUs = 0
profile.samples.forEach((id, i) => {
  atUs += profile.timeDeltas[i] ?? 0
  if (totalUs - atUs <= lastUs) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
})

function layer(url: string, fn: string): string {
  if (url === '') return fn === '(idle)' || fn === '(program)' || fn === '(garbage collector)' ? fn : '(native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1] ?? url
  if (url.startsWith('node:')) return url.split('/')[0] ?? url
  const src = /\/(src|bench)\/([^/]+)/.exec(url)
  return src ? `${src[1]}/${src[2]}` : url
}
const totals = new Map<string, number>()
const fns = new Map<string, number>()
let all = 0
for (const [id, us] of selfUs) {
  const node = byId.get(id)
  if (node === undefined) continue
  const key = layer(node.callFrame.url, node.callFrame.functionName)
  totals.set(key, (totals.get(key) ?? 0) + us)
  const fnKey = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|bench)\//, '$1/')}`
  fns.set(fnKey, (fns.get(fnKey) ?? 0) + us)
  all += us
}
const busy = all - (totals.get('(idle)') ?? 0)
process.stdout.write(`busy ${(busy / 1e6).toFixed(2)} s of ${(all / 1e6).toFixed(2)} s\n\nby layer (% of busy):\n`)
for (const [k, us] of [...totals]
  .filter(([k]) => k !== '(idle)')
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(process.env['TOP'] ?? 25))) {
  process.stdout.write(`${((100 * us) / busy).toFixed(1).padStart(6)}%  ${k}\n`)
}
process.stdout.write('\ntop functions (% of busy):\n')
for (const [k, us] of [...fns]
  .filter(([k]) => !k.startsWith('(idle)'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(process.env['TOP'] ?? 25))) {
  process.stdout.write(`${((100 * us) / busy).toFixed(1).padStart(6)}%  ${k}\n`)
}
