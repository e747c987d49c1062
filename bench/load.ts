// Runs one load case in a child process (bench/load-worker.mjs), so the client shares neither the
// event loop nor the CPU accounting of the server it measures: the bench process's CPU time per
// request (cpuUsPerRequest: the server's thread, its libuv threads and GC) is the server's alone.
// On a shared machine that figure moves far less than requests per second do.
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface LoadSpec {
  port: number
  method?: string
  path: string
  headers?: Record<string, string>
  body?: string
  connections: number
  durationMs: number
}

export interface LoadResult {
  requests: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  /** Answers by status code. */
  statuses: Record<string, number>
  /** p99 latency of the answers of each status code. */
  p99ByStatus: Record<string, number>
  /** CPU time of this process (the servers under test) per answer, in microseconds. */
  cpuUsPerRequest: number
  /** CPU time of the whole machine (server, PostgreSQL, load generator, anything else) per answer, in microseconds; Linux only. */
  machineUsPerRequest: number | undefined
}

/** Busy time of all CPUs so far, in microseconds, from /proc/stat (undefined off Linux). */
function machineBusyUs(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
    // user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
    const busy = fields.reduce((a, b) => a + b, 0) - (fields[3] ?? 0) - (fields[4] ?? 0)
    return (busy * 1e6) / 100
  } catch {
    return undefined
  }
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./load-worker.mjs', import.meta.url), { execArgv: [] })
    let cpu: NodeJS.CpuUsage | undefined
    let machine: number | undefined
    child.once('spawn', () => {
      cpu = process.cpuUsage()
      machine = machineBusyUs()
      child.send(spec)
    })
    child.once('message', (result: Omit<LoadResult, 'cpuUsPerRequest' | 'machineUsPerRequest'>) => {
      const used = process.cpuUsage(cpu)
      const machineNow = machineBusyUs()
      const requests = Math.max(1, result.requests)
      resolve({
        ...result,
        cpuUsPerRequest: (used.user + used.system) / requests,
        machineUsPerRequest: machine === undefined || machineNow === undefined ? undefined : (machineNow - machine) / requests,
      })
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`))
    })
  })
}
