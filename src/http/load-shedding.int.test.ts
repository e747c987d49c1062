// Past the event-loop lag limit every request but the liveness probe is refused at once with
// 503 + Retry-After, in the error model; when the lag is gone, requests are served again.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../testing/test-app.js'

function blockEventLoop(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // busy: this is the lag under test
  }
}

describe('load shedding', () => {
  const t = useTestApp({ env: { LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '20' } })

  it('answers 503 unavailable with Retry-After while the event loop lags, but keeps /healthz up', async () => {
    let shed: Awaited<ReturnType<typeof t.app.inject>> | undefined
    for (let i = 0; i < 20 && shed === undefined; i += 1) {
      blockEventLoop(300)
      await new Promise((r) => setTimeout(r, 100))
      const res = await t.app.inject({ method: 'GET', url: '/v1/me' })
      if (res.statusCode === 503) {
        shed = res
        expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
      }
    }
    expect(shed?.json()).toEqual({ error: 'unavailable', message: 'Service temporarily unavailable; try again shortly' })
    expect(shed?.headers['retry-after']).toBe('5')
    expect(shed?.headers['x-frame-options']).toBe('DENY')
    // Quiet again: served.
    let served = false
    for (let i = 0; i < 30 && !served; i += 1) {
      await new Promise((r) => setTimeout(r, 200))
      served = (await t.app.inject({ method: 'GET', url: '/v1/me' })).statusCode === 401
    }
    expect(served).toBe(true)
  })
})
