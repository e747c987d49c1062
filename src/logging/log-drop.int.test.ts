// A log reader that stops reading (a stalled collector, a full pipe) must cost log lines, not the
// process's memory (docs/decisions/0094). Before the bound, every line piled up in the destination.
import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLogger, droppedLogLines, LOG_MAX_BUFFERED_BYTES, logDestination } from './logger.js'

describe('log destination with a reader that never reads', () => {
  it('holds at most LOG_MAX_BUFFERED_BYTES and counts the lines it drops', async () => {
    // A named pipe opened for reading and never read: the kernel's pipe buffer fills after 64 KiB
    // and the next write waits for good.
    const dir = mkdtempSync(path.join(tmpdir(), 'sss-log-drop-'))
    const fifo = path.join(dir, 'pipe')
    execFileSync('mkfifo', [fifo])
    const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const destination = logDestination(openSync(fifo, 'w'))
    destination.on('error', () => undefined) // the write cut short when the test closes the pipe
    try {
      const log = createLogger({ level: 'info', pretty: false }, destination)
      const before = droppedLogLines()
      const line = 'x'.repeat(1000)
      // 32 MiB of lines, twice the bound, yielding to I/O now and then as a server does.
      for (let i = 0; i < 32 * 1024; i += 1) {
        log.info({ line }, 'filler')
        if (i % 512 === 0) await new Promise((r) => setImmediate(r))
      }
      expect(droppedLogLines() - before).toBeGreaterThan(10_000)
      expect((destination as unknown as { _len: number })._len).toBeLessThanOrEqual(LOG_MAX_BUFFERED_BYTES)
    } finally {
      closeSync(readEnd) // the waiting write fails (EPIPE) and frees its thread
      destination.destroy()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
