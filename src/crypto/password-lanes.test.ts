import { describe, expect, it } from 'vitest'
import { defaultHashLanes } from './password-lanes.js'

describe('defaultHashLanes', () => {
  it('leaves one core to the event loop, keeps at least one lane and stays inside libuv’s pool', () => {
    expect(defaultHashLanes(1)).toBe(1)
    expect(defaultHashLanes(2)).toBe(1)
    expect(defaultHashLanes(3)).toBe(2)
    expect(defaultHashLanes(4)).toBe(3)
    expect(defaultHashLanes(64)).toBe(3)
  })
})
