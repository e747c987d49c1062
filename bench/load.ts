// Runs one load case in a worker thread (bench/load-worker.mjs), so the client does not share
// the event loop of the server it measures.
import { Worker } from 'node:worker_threads'

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
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.mjs', import.meta.url), { workerData: spec })
    worker.once('message', (result: LoadResult) => resolve(result))
    worker.once('error', reject)
  })
}
