// Load generator, in a child process of its own (plain JavaScript: no TypeScript loader needed). A closed loop per connection over HTTP/1.1 keep-alive, one request in flight each:
// requests are pre-built bytes and answers are parsed only as far as the status and
// Content-Length, so the client costs far less than the server it drives. See bench/load.ts.
import { connect } from 'node:net'

function requestBytes(spec) {
  const lines = [`${spec.method ?? 'GET'} ${spec.path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: keep-alive']
  for (const [name, value] of Object.entries(spec.headers ?? {})) lines.push(`${name}: ${value}`)
  if (spec.body !== undefined) lines.push(`content-length: ${Buffer.byteLength(spec.body)}`)
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${spec.body ?? ''}`)
}

async function runLoad(spec) {
  const payload = requestBytes(spec)
  const latencies = []
  const statuses = {}
  const byStatus = {}
  const deadline = performance.now() + spec.durationMs
  const one = () =>
    new Promise((resolve, reject) => {
      const socket = connect(spec.port, '127.0.0.1')
      socket.setNoDelay(true)
      let buffer = Buffer.alloc(0)
      let started = 0
      const send = () => {
        if (performance.now() >= deadline) {
          socket.end()
          resolve()
          return
        }
        started = performance.now()
        socket.write(payload)
      }
      socket.on('connect', send)
      socket.on('error', reject)
      socket.on('data', (chunk) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
        for (;;) {
          const end = buffer.indexOf('\r\n\r\n')
          if (end < 0) return
          const head = buffer.subarray(0, end).toString('latin1')
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
          if (buffer.length < end + 4 + length) return
          const status = head.slice(9, 12)
          statuses[status] = (statuses[status] ?? 0) + 1
          const latency = performance.now() - started
          latencies.push(latency)
          ;(byStatus[status] ??= []).push(latency)
          buffer = buffer.subarray(end + 4 + length)
          send()
        }
      })
    })
  const began = performance.now()
  await Promise.all(Array.from({ length: spec.connections }, one))
  const elapsed = (performance.now() - began) / 1000
  latencies.sort((a, b) => a - b)
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
  const p99ByStatus = {}
  for (const [status, list] of Object.entries(byStatus)) {
    list.sort((a, b) => a - b)
    p99ByStatus[status] = list[Math.min(list.length - 1, Math.floor(0.99 * list.length))]
  }
  return { requests: latencies.length, perSecond: latencies.length / elapsed, p50Ms: pick(0.5), p99Ms: pick(0.99), statuses, p99ByStatus }
}

process.once('message', (spec) => {
  runLoad(spec).then(
    (result) => process.send(result, () => process.disconnect()),
    (err) => {
      process.stderr.write(`load: ${err instanceof Error ? err.message : 'failed'}\n`)
      process.exit(1)
    },
  )
})
