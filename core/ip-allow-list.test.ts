import { describe, expect, it } from 'vitest'
import { ipAllowed, normaliseAllowedIps } from './ip-allow-list.js'

describe('IP allow-lists', () => {
  it('normalises addresses and ranges to address/prefix with the host bits cleared', () => {
    expect(normaliseAllowedIps(['203.0.113.7', '10.1.2.3/8', ' 2001:DB8:0:0:1::/64 ', '::1', '203.0.113.7/32'])).toEqual({
      ok: ['203.0.113.7/32', '10.0.0.0/8', '2001:db8::/64', '::1/128']
    })
    expect(normaliseAllowedIps(['2001:db8::1:0:0:1'])).toEqual({ ok: ['2001:db8::1:0:0:1/128'] })
    // An IPv4-mapped IPv6 address is the IPv4 address it carries.
    expect(normaliseAllowedIps(['::ffff:198.51.100.9'])).toEqual({ ok: ['198.51.100.9/32'] })
  })

  it('names every entry that is not an address or a range', () => {
    expect(normaliseAllowedIps(['10.0.0.0/33', '1.2.3', 'example.com', '10.0.0.0/8/1', '::/129', '0x7f.0.0.1', '10.0.0.0/-1', 'fe80::1%eth0', '10.0.0.1/8'])).toEqual({
      bad: ['10.0.0.0/33', '1.2.3', 'example.com', '10.0.0.0/8/1', '::/129', '0x7f.0.0.1', '10.0.0.0/-1', 'fe80::1%eth0']
    })
  })

  it('matches IPv4 and IPv6 clients against their own family, mapped IPv4 included', () => {
    const list = ['203.0.113.0/24', '2001:db8::/32']
    expect(ipAllowed(list, '203.0.113.200')).toBe(true)
    expect(ipAllowed(list, '203.0.114.1')).toBe(false)
    expect(ipAllowed(list, '::ffff:203.0.113.5')).toBe(true)
    expect(ipAllowed(list, '2001:db8:ffff::1')).toBe(true)
    expect(ipAllowed(list, '2001:db9::1')).toBe(false)
    expect(ipAllowed(['0.0.0.0/0'], '192.0.2.1')).toBe(true)
    expect(ipAllowed(['0.0.0.0/0'], '::1')).toBe(false)
    expect(ipAllowed(['::/0'], '::1')).toBe(true)
    expect(ipAllowed(['127.0.0.1/32'], 'not an address')).toBe(false)
  })
})
