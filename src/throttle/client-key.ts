// The key a per-address limit counts a client under. One host easily holds a whole IPv6 /64 (the
// standard subnet size, RFC 4291 §2.5.1; SLAAC and privacy addresses rotate inside it), so an IPv6
// client is counted by its /64, or it could step through 2^64 addresses, each with a fresh budget.
// IPv4-mapped IPv6 (::ffff:192.0.2.1, what a dual-stack socket reports) is the IPv4 address itself.
import { isIPv4, isIPv6 } from 'node:net'

/** 8 groups of 16 bits, or null when `address` is not IPv6 text. */
function ipv6Groups(address: string): number[] | null {
  const text = address.replace(/%.*$/, '') // a zone id (fe80::1%eth0) names an interface, not a host
  if (!isIPv6(text)) return null
  // A trailing dotted quad (::ffff:192.0.2.1) is the last two groups.
  const hex = text.replace(
    /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/,
    (_m, a: string, b: string, c: string, d: string) => `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  )
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)))
  const halves = hex.split('::')
  const left = parse(halves[0] ?? '')
  if (halves.length === 1) return left.length === 8 ? left : null
  const right = parse(halves[1] ?? '')
  return [...left, ...Array<number>(Math.max(8 - left.length - right.length, 0)).fill(0), ...right]
}

/** The key of every text that is not an address: one budget for all of them, none for each. */
export const NOT_AN_ADDRESS = 'not-an-address'

/**
 * The address without a port a proxy may have written beside it in X-Forwarded-For
 * (`198.51.100.80:1001`, `[2001:db8::1]:443`, `[2001:db8::1]`); IPv6 text has colons of its own,
 * so only a bracketed IPv6 address or an IPv4 address takes a port.
 */
function withoutPort(address: string): string {
  const port = (rest: string): boolean => /^:\d{1,5}$/.test(rest)
  if (address.startsWith('[')) {
    const close = address.indexOf(']')
    return close > 1 && (close === address.length - 1 || port(address.slice(close + 1))) ? address.slice(1, close) : address
  }
  // One colon: an IPv4 address and a port (IPv6 text has at least two).
  const colon = address.indexOf(':')
  return colon > 0 && colon === address.lastIndexOf(':') && port(address.slice(colon)) ? address.slice(0, colon) : address
}

/**
 * `a.b.c.d` for IPv4 (and IPv4-mapped IPv6), `xxxx:xxxx:xxxx:xxxx::/64` for IPv6, a port beside
 * either dropped; NOT_AN_ADDRESS for any other text (a proxy that forwards something else must not
 * hand each spelling a budget of its own).
 */
export function clientKey(raw: string): string {
  if (isIPv4(raw)) return raw // the common case, before any parsing
  const address = withoutPort(raw)
  if (isIPv4(address)) return address
  const groups = ipv6Groups(address)
  if (groups === null || groups.length !== 8) return NOT_AN_ADDRESS
  const [, , , , , g5, g6 = 0, g7 = 0] = groups
  const mapped = groups.slice(0, 5).every((g) => g === 0) && g5 === 0xffff
  if (mapped) return [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff].join('.')
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16).padStart(4, '0'))
    .join(':')}::/64`
}
