import { describe, expect, it } from 'vitest'
import type { ResolvedAddress } from '../webhooks/ssrf.js'
import { checkCentralAddresses, checkCentralUrl, privateOnlyLookup } from './central-url.js'

const resolverOf = (addresses: string[]) => async (): Promise<ResolvedAddress[]> => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))

async function lookup (addresses: string[]): Promise<string> {
  return await new Promise((resolve, reject) => {
    privateOnlyLookup(resolverOf(addresses))('central.lan', { family: 0 }, (err, address) => {
      if (err !== null) reject(err); else resolve(address as string)
    })
  })
}

describe('the central URL an agent may send its key to', () => {
  it('takes https anywhere and plain http only to loopback or private addresses', () => {
    expect(checkCentralUrl('https://central.example.com/harpoon/').href).toBe('https://central.example.com/harpoon')
    expect(checkCentralUrl('http://192.168.1.10:8080').host).toBe('192.168.1.10:8080')
    expect(checkCentralUrl('http://[fd00::5]:8080').hostname).toBe('[fd00::5]')
    expect(() => checkCentralUrl('http://1.1.1.1')).toThrow(/plain http:\/\/ is allowed only to a loopback or private address/)
    expect(() => checkCentralUrl('http://0x01010101')).toThrow(/plain http/)
    expect(() => checkCentralUrl('https://central.example.com/?key=1')).toThrow(/query or fragment/)
    expect(() => checkCentralUrl('central.example.com')).toThrow(/absolute URL/)
  })

  it('checks a plain-http name at start and at every connect, refusing any public address', async () => {
    await expect(checkCentralAddresses(new URL('http://central.lan'), resolverOf(['10.0.0.7']))).resolves.toBeUndefined()
    await expect(checkCentralAddresses(new URL('http://central.lan'), resolverOf(['10.0.0.7', '8.8.8.8']))).rejects.toThrow(/resolves to 8.8.8.8/)
    // https names are not judged: TLS says who answers.
    await expect(checkCentralAddresses(new URL('https://central.lan'), resolverOf(['8.8.8.8']))).resolves.toBeUndefined()
    expect(await lookup(['192.168.4.4'])).toBe('192.168.4.4')
    await expect(lookup(['192.168.4.4', '93.184.216.34'])).rejects.toThrow(/93.184.216.34/)
  })
})
