import { describe, expect, it } from 'vitest'
import { clientKey } from './client-key.js'

describe('clientKey', () => {
  it('keys IPv6 clients by their /64, whatever the spelling', () => {
    expect(clientKey('2001:db8:1:2::1')).toBe('2001:0db8:0001:0002::/64')
    expect(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:0db8:0001:0002::/64')
    expect(clientKey('2001:0DB8:0001:0002:0:0:0:7')).toBe('2001:0db8:0001:0002::/64')
    expect(clientKey('2001:db8:1:2:a:b:192.0.2.1')).toBe('2001:0db8:0001:0002::/64')
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0000:0000:0000::/64')
    expect(clientKey('::1')).toBe('0000:0000:0000:0000::/64')
    expect(clientKey('2001:db8::')).toBe('2001:0db8:0000:0000::/64')
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'))
  })

  it('turns IPv4-mapped IPv6 into the IPv4 address and leaves IPv4 alone', () => {
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7')
    expect(clientKey('::ffff:c000:207')).toBe('192.0.2.7')
    expect(clientKey('0:0:0:0:0:ffff:192.0.2.7')).toBe('192.0.2.7')
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7')
    expect(clientKey('::ffff:1.2.3.4')).not.toBe(clientKey('::ffff:1.2.3.5'))
  })

  // Found over HTTP behind a trusted proxy: some proxies (Azure's among them) put `ip:port` in
  // X-Forwarded-For, and every source port got a budget of its own.
  it('drops a port a proxy wrote beside the address, so ports share the address', () => {
    expect(clientKey('198.51.100.80:1001')).toBe('198.51.100.80')
    expect(clientKey('198.51.100.80:1002')).toBe(clientKey('198.51.100.80'))
    expect(clientKey('[2001:db8:aaaa:4::9]:443')).toBe('2001:0db8:aaaa:0004::/64')
    expect(clientKey('[2001:db8:aaaa:4::9]')).toBe('2001:0db8:aaaa:0004::/64')
    expect(clientKey('[::ffff:192.0.2.7]:80')).toBe('192.0.2.7')
  })

  it('counts every text that is not an address under one key, so no spelling earns a budget of its own', () => {
    for (const text of ['', 'not an address', 'unknown', '198.51.100.80:x', '198.51.100.999', 'evil-1', 'evil-2'])
      expect(clientKey(text), text).toBe('not-an-address')
  })
})
