import { describe, expect, it } from 'vitest'
import { TRANSACT_HASH_ORDER, datastring, hmacSha256Hex, sameHash } from './hash.js'

/**
 * Vectors. The research note gives the datastring of every call (B.3–B.7) and iPay's public test
 * credentials (vid `demo`, key `demoCHANGED`, B.1) but no worked hash values, so each expected
 * HMAC below was computed outside Node, with OpenSSL:
 *   printf '%s' "<datastring>" | openssl dgst -sha256 -hmac demoCHANGED
 * The datastrings themselves are written out by hand from the note, not built by the code under test.
 */
const KEY = 'demoCHANGED'

describe('iPay datastrings and hashes', () => {
  it('transact: live.oid.inv.amount.tel.eml.vid.curr.p1.p2.p3.p4.cst.cbk — cst before cbk, no crl (B.3)', () => {
    expect(TRANSACT_HASH_ORDER).toEqual(['live', 'oid', 'inv', 'amount', 'tel', 'eml', 'vid', 'curr', 'p1', 'p2', 'p3', 'p4', 'cst', 'cbk'])
    const data = datastring.transact({
      live: '0', oid: 'ORD-1001', inv: 'ORD-1001', amount: '150', tel: '254712345678', eml: 'customer@example.com', vid: 'demo', curr: 'KES',
      p1: '', p2: '', p3: '', p4: '', cst: '1', cbk: 'https://example.com/callback'
    })
    expect(data).toBe('0ORD-1001ORD-1001150254712345678customer@example.comdemoKES1https://example.com/callback')
    expect(hmacSha256Hex(KEY, data)).toBe('51a69be045b3f5c94ac5d5db83da19d1bfc33b5b4ffc2c8f460f261fe8929c03')
  })

  it('STK push: phone.vid.sid, as the page\'s PHP and every client concatenate it (B.4)', () => {
    const data = datastring.stkPush({ phone: '254712345678', vid: 'demo', sid: 'SID123' })
    expect(data).toBe('254712345678demoSID123')
    expect(hmacSha256Hex(KEY, data)).toBe('7a17b599f371c6e85de32707eafb27dcd5b892dc199508038bec2f747f48d3fd')
  })

  it('mobilemoney status: sid.vid (B.5)', () => {
    const data = datastring.status({ sid: 'SID123', vid: 'demo' })
    expect(data).toBe('SID123demo')
    expect(hmacSha256Hex(KEY, data)).toBe('3e7222dd54714413ea1be20097d5f738660ad41550ed86910f5288204934b45a')
  })

  it('search: oid.vid (B.6)', () => {
    const data = datastring.search({ oid: 'ORD-1001', vid: 'demo' })
    expect(data).toBe('ORD-1001demo')
    expect(hmacSha256Hex(KEY, data)).toBe('310ebdd19b11be4164ee3da0b0c7dae8925ba3242cb8b5085cbdad5e8421d003')
  })

  it('refund: the parameters as a query string in alphabetical order, hash left out (B.7, the doc\'s code 1539630706A)', () => {
    expect(datastring.refund({ vid: 'demo', code: '1539630706A' })).toBe('code=1539630706A&vid=demo')
    expect(hmacSha256Hex(KEY, 'code=1539630706A&vid=demo')).toBe('f2666deff60e141243213a2dcf2b8c744045b23ff1c1139985e866494b12d5f8')
    const withAmount = datastring.refund({ vid: 'demo', hash: 'ignored', code: 'UHS9E43HUG', amount: '50' })
    expect(withAmount).toBe('amount=50&code=UHS9E43HUG&vid=demo')
    expect(hmacSha256Hex(KEY, withAmount)).toBe('f54b4ed0a069dc6095405cd9582f0ab878f9ae350a46517ffe28cb4753aa6e14')
  })

  it('compares hashes in constant time, case-insensitively, and never equal across lengths', () => {
    const h = hmacSha256Hex(KEY, 'x')
    expect(sameHash(h, h.toUpperCase())).toBe(true)
    expect(sameHash(h, h.slice(0, 63))).toBe(false)
    const flipped = h.slice(0, 63) + (h.endsWith('0') ? '1' : '0')
    expect(sameHash(h, flipped)).toBe(false)
  })
})
