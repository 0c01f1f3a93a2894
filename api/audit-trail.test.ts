import { describe, expect, it } from 'vitest'
import { redactSecrets } from './audit-trail.js'

describe('redactSecrets', () => {
  it('replaces every secret field set, at any depth, and leaves a null one null', () => {
    const value = { id: 'we_1', secret: 'whsec_x', endpoints: [{ url: 'https://a.example', previous_secret: 'old' }], token: null }
    expect(redactSecrets(value)).toEqual({ id: 'we_1', secret: '[redacted]', endpoints: [{ url: 'https://a.example', previous_secret: '[redacted]' }], token: null })
    // The caller's value is never changed.
    expect(value.secret).toBe('whsec_x')
  })

  it('serialises as it always did: plain data as it is, any other object as the copy made it', () => {
    const plain = { reference: 'hpn_trx_1', amount: '1.00', meta: { tags: ['a', null], nested: { n: 1 } }, note: undefined }
    expect(JSON.stringify(redactSecrets(plain))).toBe(JSON.stringify(plain))
    // The copy always turned a Date (no own enumerable fields) into {}: the trail's text stays that.
    expect(JSON.stringify(redactSecrets({ at: new Date(0) }))).toBe('{"at":{}}')
    // An own __proto__ (JSON.parse makes one) was lost by the copy's assignment: still lost.
    expect(JSON.stringify(redactSecrets(JSON.parse('{"a":1,"__proto__":{"b":2}}')))).toBe('{"a":1}')
    expect(redactSecrets(null)).toBeNull()
    expect(redactSecrets('text')).toBe('text')
  })
})
