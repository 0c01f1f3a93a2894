import { createHmac } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { generateSecret, harpoonSignature, isSecret, signedHeaders, signingKeys, standardSignature } from './signer.js'

// Fixed vectors. The expected values were computed outside this code base (openssl dgst -hmac and
// Python's hmac module) and are re-derived below with node:crypto, so a change in our signer cannot
// silently move both sides.
const SECRET = 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8='
const ID = 'whk_00112233445566778899aabbccddeeff'
const TS = 1700000000
const BODY = '{"event":"webhook.test","webhook_id":"whk_00112233445566778899aabbccddeeff","timestamp":"2023-11-14T22:13:20Z","data":{"message":"Akwaaba ₵"},"test":true}'
const HARPOON_HEX = 'f0cca935d4ff29c360fd386d003fca6ea3f645fb78459e18b8ef7b3bf3aa440c'
const STANDARD_B64 = 'Isbt3u1R546OE4CbxNRtuTX1LkaGiqkimCk0t7hnZk0='

describe('webhook signer', () => {
  it('matches the fixed X-Harpoon-Signature vector (whole secret string as key, "{ts}.{body}")', () => {
    expect(harpoonSignature(SECRET, TS, BODY)).toBe(`sha256=${HARPOON_HEX}`)
    const independent = createHmac('sha256', SECRET).update(Buffer.from(`${TS}.${BODY}`, 'utf8')).digest('hex')
    expect(independent).toBe(HARPOON_HEX)
  })

  it('matches the fixed Standard Webhooks vector (decoded key, "{id}.{ts}.{body}")', () => {
    expect(standardSignature(SECRET, ID, TS, BODY)).toBe(`v1,${STANDARD_B64}`)
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64')
    expect(createHmac('sha256', key).update(`${ID}.${TS}.${BODY}`).digest('base64')).toBe(STANDARD_B64)
  })

  it('emits every SPEC §5 header, signing with the newest secret and listing all valid ones', () => {
    const old = generateSecret()
    const h = signedHeaders({ webhookId: ID, timestamp: TS, body: BODY, keys: signingKeys([SECRET, old]) })
    expect(h).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Harpoon-Webhook/1.0',
      'x-harpoon-webhook-id': ID,
      'x-harpoon-timestamp': String(TS),
      'x-harpoon-signature': `sha256=${HARPOON_HEX}`,
      'webhook-id': ID,
      'webhook-timestamp': String(TS)
    })
    expect(h['webhook-signature']?.split(' ')).toEqual([`v1,${STANDARD_B64}`, standardSignature(old, ID, TS, BODY)])
  })

  it('is verified by the standardwebhooks package with either secret during a rotation overlap', () => {
    const oldSecret = generateSecret()
    const newSecret = generateSecret()
    const ts = Math.floor(Date.now() / 1000)
    const both = signedHeaders({ webhookId: ID, timestamp: ts, body: BODY, keys: signingKeys([newSecret, oldSecret]) })
    expect(new Webhook(newSecret).verify(BODY, both)).toMatchObject({ event: 'webhook.test' })
    expect(new Webhook(oldSecret).verify(BODY, both)).toMatchObject({ event: 'webhook.test' })
    // After the overlap only the new secret signs: a receiver still on the old one is refused.
    const after = signedHeaders({ webhookId: ID, timestamp: ts, body: BODY, keys: signingKeys([newSecret]) })
    expect(new Webhook(newSecret).verify(BODY, after)).toBeTruthy()
    expect(() => new Webhook(oldSecret).verify(BODY, after)).toThrow()
    // The id is covered: a captured delivery replayed under another id fails.
    expect(() => new Webhook(newSecret).verify(BODY, { ...after, 'webhook-id': 'whk_other' })).toThrow()
    expect(() => new Webhook(newSecret).verify(BODY.replace('Akwaaba', 'Akwaabа'), after)).toThrow()
  })

  it('makes whsec_ secrets of 32 random bytes', () => {
    const s = generateSecret()
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32)
    expect(isSecret(s)).toBe(true)
    expect(generateSecret()).not.toBe(s)
  })
})
