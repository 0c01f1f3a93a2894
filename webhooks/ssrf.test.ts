import { describe, expect, it } from 'vitest'
import {
  TargetRefusedError, checkAddresses, checkTargetUrl, classifyAddress, classifyHostname, guardedLookup, parseLegacyIPv4, resolveAndCheck,
  type Resolver
} from './ssrf.js'

const strict = { allowPrivateTargets: false }
const lax = { allowPrivateTargets: true }

describe('address classification', () => {
  it.each([
    ['127.0.0.1', 'private'], ['127.255.255.254', 'private'], ['10.1.2.3', 'private'], ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'], ['192.168.1.1', 'private'], ['100.64.0.1', 'private'], ['0.0.0.0', 'private'],
    ['169.254.1.1', 'private'], ['198.18.0.1', 'private'],
    ['169.254.169.254', 'forbidden'], ['169.254.170.2', 'forbidden'], ['100.100.100.200', 'forbidden'],
    ['224.0.0.1', 'forbidden'], ['255.255.255.255', 'forbidden'],
    ['8.8.8.8', 'public'], ['172.32.0.1', 'public'], ['93.184.216.34', 'public']
  ])('IPv4 %s is %s', (ip, cls) => { expect(classifyAddress(ip)).toBe(cls) })

  it.each([
    ['::1', 'private'], ['::', 'private'], ['fc00::1', 'private'], ['fd12:3456::1', 'private'], ['fe80::1%eth0', 'private'],
    ['::ffff:127.0.0.1', 'private'], ['::ffff:7f00:1', 'private'], ['[::ffff:10.0.0.1]', 'private'],
    ['::ffff:169.254.169.254', 'forbidden'], ['fd00:ec2::254', 'forbidden'], ['ff02::1', 'forbidden'],
    ['64:ff9b::7f00:1', 'private'], ['64:ff9b::127.0.0.1', 'private'], ['64:ff9b::a9fe:a9fe', 'forbidden'],
    ['64:ff9b::808:808', 'public'], ['2002:7f00:1::', 'private'], ['2002:a9fe:a9fe::1', 'forbidden'],
    ['2606:4700::1111', 'public'], ['::ffff:8.8.8.8', 'public']
  ])('IPv6 %s is %s', (ip, cls) => { expect(classifyAddress(ip)).toBe(cls) })

  it('reads the decimal, hex, octal and short IPv4 forms getaddrinfo accepts', () => {
    const loopback = 0x7f000001
    for (const form of ['2130706433', '0x7f000001', '0177.0.0.1', '127.1', '0x7f.0.0.1', '017700000001']) {
      expect(parseLegacyIPv4(form), form).toBe(loopback)
      expect(classifyAddress(form), form).toBe('private')
    }
    expect(classifyAddress('2852039166')).toBe('forbidden') // 169.254.169.254
    expect(parseLegacyIPv4('256.1.1.1')).toBeNull()
    expect(parseLegacyIPv4('example')).toBeNull()
  })

  it('judges host names that need no DNS', () => {
    expect(classifyHostname('localhost')).toBe('private')
    expect(classifyHostname('api.localhost.')).toBe('private')
    expect(classifyHostname('metadata.google.internal')).toBe('forbidden')
    expect(classifyHostname('example.com')).toBe('name')
  })
})

describe('target URL rules', () => {
  const live = { ...strict, requireHttps: true }
  const refused = (url: string, policy = live): string => {
    try { checkTargetUrl(url, policy); return 'accepted' } catch (err) { expect(err).toBeInstanceOf(TargetRefusedError); return 'refused' }
  }

  it('needs https in live mode and http only where allowed', () => {
    expect(refused('https://shop.example.com/hook')).toBe('accepted')
    expect(refused('http://shop.example.com/hook')).toBe('refused')
    expect(refused('http://shop.example.com/hook', { ...strict, requireHttps: false })).toBe('accepted')
    expect(refused('ftp://shop.example.com/')).toBe('refused')
    expect(refused('not a url')).toBe('refused')
    expect(refused('https://user:pw@shop.example.com/')).toBe('refused')
  })

  it('refuses literal and encoded private addresses, which WHATWG URL normalises', () => {
    for (const url of ['https://127.0.0.1/', 'https://2130706433/', 'https://0x7f.1/', 'https://0177.0.0.1/', 'https://[::1]/',
      'https://[::ffff:127.0.0.1]/', 'https://[64:ff9b::7f00:1]/', 'https://localhost:8443/', 'https://10.0.0.8/']) {
      expect(refused(url), url).toBe('refused')
      expect(refused(url, { ...lax, requireHttps: true }), url).toBe('accepted')
    }
  })

  it('refuses metadata addresses even with allow_private_targets', () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/', 'http://2852039166/',
      'http://[::ffff:169.254.169.254]/', 'http://metadata.google.internal/']) {
      expect(refused(url, { ...lax, requireHttps: false }), url).toBe('refused')
    }
  })
})

describe('resolved addresses', () => {
  it('refuses a name when any of its addresses is private, not only the first', async () => {
    const resolver: Resolver = async () => [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }]
    await expect(resolveAndCheck('mixed.example', resolver, strict)).rejects.toThrow(/127\.0\.0\.1/)
    await expect(resolveAndCheck('mixed.example', resolver, lax)).resolves.toHaveLength(2)
    expect(() => checkAddresses('meta.example', [{ address: '169.254.169.254', family: 4 }], lax)).toThrow(TargetRefusedError)
    await expect(resolveAndCheck('nx.example', async () => { throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' }) }, strict)).rejects.toThrow(/ENOTFOUND/)
  })

  it('checks again at connect time: a rebinding answer is refused inside the lookup', async () => {
    let calls = 0
    const rebinding: Resolver = async () => (++calls === 1 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }])
    await expect(resolveAndCheck('rebind.example', rebinding, strict)).resolves.toHaveLength(1)
    const lookup = guardedLookup(rebinding, strict)
    const err = await new Promise<Error | null>((resolve) => { lookup('rebind.example', { all: true }, (e) => { resolve(e) }) })
    expect(err).toBeInstanceOf(TargetRefusedError)
    const ok = await new Promise<unknown>((resolve) => { guardedLookup(async () => [{ address: '8.8.8.8', family: 4 }], strict)('x.example', {}, (_e, a, f) => { resolve([a, f]) }) })
    expect(ok).toEqual(['8.8.8.8', 4])
  })
})
