// Key rings: "<id>:<base64url of 32 bytes>" pairs, comma-separated. The first key is active
// (encrypts, signs); every key is accepted for reading, so keys rotate without downtime.

/** A malformed key ring. Its message names the variable, never a key; src/config turns it into a ConfigError. */
export class KeyRingError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KeyRingError'
  }
}

export const KEY_BYTES = 32

export interface KeyRing {
  readonly activeId: string
  readonly keys: ReadonlyMap<string, Buffer>
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/

export function parseKeyRing(name: string, value: string): KeyRing {
  const keys = new Map<string, Buffer>()
  let activeId: string | undefined
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const sep = part.indexOf(':')
    const id = part.slice(0, sep)
    if (sep < 1 || !KEY_ID.test(id)) throw new KeyRingError(`${name}: each key must read <id>:<base64url 32 bytes>`)
    const key = Buffer.from(part.slice(sep + 1), 'base64url')
    if (key.length !== KEY_BYTES) throw new KeyRingError(`${name}: key "${id}" must decode to ${KEY_BYTES} bytes`)
    if (keys.has(id)) throw new KeyRingError(`${name}: key id "${id}" appears twice`)
    keys.set(id, key)
    activeId ??= id
  }
  if (activeId === undefined) throw new KeyRingError(`${name}: needs at least one key`)
  return { activeId, keys }
}

export function activeKey(ring: KeyRing): Buffer {
  const key = ring.keys.get(ring.activeId)
  if (key === undefined) throw new Error('key ring without its active key')
  return key
}
