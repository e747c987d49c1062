// zxcvbn off the event loop. Scoring a password takes 25-80 ms of CPU (measured, docs/benchmarks.md):
// on the main thread every sign-up, password change and reset stalled every other request for that
// long, and parallel sign-ups queued behind each other. One worker thread scores passwords in turn;
// its code is plain JavaScript (an eval worker), so it runs the same under tsx, vitest and the
// build, and it loads the same dictionaries with the same options as password-policy.ts.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

const require = createRequire(import.meta.url)
const PACKAGES = {
  core: require.resolve('@zxcvbn-ts/core'),
  common: require.resolve('@zxcvbn-ts/language-common'),
  en: require.resolve('@zxcvbn-ts/language-en'),
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { ZxcvbnFactory } = require(workerData.core)
const common = require(workerData.common)
const en = require(workerData.en)
const zxcvbn = new ZxcvbnFactory({ dictionary: { ...common.dictionary, ...en.dictionary }, graphs: common.adjacencyGraphs, translations: en.translations })
parentPort.on('message', ({ id, password, userInputs }) => {
  try {
    parentPort.postMessage({ id, score: zxcvbn.check(password, userInputs).score })
  } catch {
    parentPort.postMessage({ id, score: -1 })
  }
})
`

type Pending = { resolve: (score: number) => void; reject: (err: Error) => void }

let worker: Worker | undefined
let nextId = 0
const pending = new Map<number, Pending>()

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err)
  pending.clear()
  worker = undefined
}

function getWorker(): Worker {
  if (worker !== undefined) return worker
  const started = new Worker(WORKER_SOURCE, { eval: true, workerData: PACKAGES })
  started.on('message', (msg: { id: number; score: number }) => {
    const p = pending.get(msg.id)
    pending.delete(msg.id)
    if (pending.size === 0) started.unref()
    if (msg.score < 0) p?.reject(new Error('password scoring failed'))
    else p?.resolve(msg.score)
  })
  started.on('error', (err) => failAll(err))
  started.on('exit', () => failAll(new Error('password scoring worker exited')))
  // Kept alive only while a score is awaited (ref in scoreOffThread), never when idle.
  // After the listeners: adding a 'message' listener refs the worker again.
  started.unref()
  worker = started
  return started
}

/** The zxcvbn score (0-4) of `password`, computed on the worker thread. Rejects if the worker fails. */
export function scoreOffThread(password: string, userInputs: string[]): Promise<number> {
  const id = nextId
  nextId += 1
  return new Promise((resolve, reject) => {
    const w = getWorker()
    pending.set(id, { resolve, reject })
    w.ref()
    w.postMessage({ id, password, userInputs })
  })
}
