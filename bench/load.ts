// Runs one load case in a child process (bench/load-worker.mjs), so the client shares neither the
// event loop nor the CPU accounting of the server it measures: the bench process's CPU time per
// request (cpuUsPerRequest: the server's thread, its libuv threads and GC) is the server's alone.
// On a shared machine that figure moves far less than requests per second do.
import { fork } from 'node:child_process'

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
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./load-worker.mjs', import.meta.url), { execArgv: [] })
    let cpu: NodeJS.CpuUsage | undefined
    child.once('spawn', () => {
      cpu = process.cpuUsage()
      child.send(spec)
    })
    child.once('message', (result: Omit<LoadResult, 'cpuUsPerRequest'>) => {
      const used = process.cpuUsage(cpu)
      resolve({ ...result, cpuUsPerRequest: (used.user + used.system) / Math.max(1, result.requests) })
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`))
    })
  })
}
