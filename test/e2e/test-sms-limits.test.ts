import { describe, expect, it } from 'vitest'
import { cleanupAfterEach } from '../helpers/cleanup.js'
import { firstKey } from '../helpers/http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { spawnDaemon } from '../helpers/daemon-process.js'

const track = cleanupAfterEach()

interface SmsResult { sms_id: number, sender: string, text: string, outcome: string | null, path: string }

/**
 * Issue 11 D4: a test SMS whose sender SMS cannot carry (an emoji, U+202E, NUL) was a 500 on the
 * virtual-modem path, and a 12-character alphanumeric sender came back after 15 s with `sms_id: 0`,
 * stored undecodable. What SMS cannot carry is a 422 naming the field, before anything is encoded;
 * what it can carry goes through the modem and arrives as sent.
 */
describe('POST /v1/test/sms through a virtual modem', () => {
  it('refuses senders and texts SMS cannot carry, and delivers the longest sender and any Unicode text it can', async () => {
    const dir = tempDir()
    track.later(dir.cleanup)
    const daemon = track.daemon(await spawnDaemon(dir.path, {}))
    const key = firstKey(daemon.output())
    const post = async (body: unknown): Promise<{ status: number, body: { data?: SmsResult, error?: { details: Array<{ field: string, message: string }> } } }> => {
      const res = await fetch(`${daemon.url}/v1/test/sms`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: res.status, body: await res.json() as never }
    }
    await waitFor(async () => {
      const res = await (await fetch(`${daemon.url}/v1/modems`, { headers: { authorization: `Bearer ${key}` } })).json() as { data: Array<{ connected: boolean }> }
      return res.data.length > 0 && res.data.every((m) => m.connected) ? true : undefined
    }, 'the virtual modems to connect')

    for (const [sender, why] of [
      ['😀', 'not in the GSM alphabet'], ['\u202e', 'not in the GSM alphabet'], ['\u0000', 'not in the GSM alphabet'],
      ['ABCDEFGHIJKL', '12 characters'], ['MobileMoney€', '12 septets: € takes two'], [`+${'1'.repeat(21)}`, '21 digits'], ['\ud800', 'a lone surrogate']
    ]) {
      const res = await post({ network: 'mtn', text: 'Payment received', sender })
      expect(res.status, `${JSON.stringify(sender)}: ${why}`).toBe(422)
      expect(res.body.error?.details.map((d) => d.field)).toEqual(['sender'])
    }
    for (const text of ['lone \ud83d half of a pair', 'a NUL \u0000 inside']) {
      const res = await post({ network: 'mtn', text })
      expect(res.status, JSON.stringify(text)).toBe(422)
      expect(res.body.error?.details.map((d) => d.field)).toEqual(['text'])
    }
    const reference = await post({ network: 'mtn', amount: '5.00', reference: 'order \udc00' })
    expect(reference.status).toBe(422)
    expect(reference.body.error?.details.map((d) => d.field)).toEqual(['reference'])

    // The longest alphanumeric sender an SMS can carry, and text beyond GSM 7-bit (sent as UCS-2).
    const longest = await post({ network: 'mtn', text: 'Hello from a shop', sender: 'ABCDEFGHIJK' })
    expect(longest.status).toBe(200)
    expect(longest.body.data).toMatchObject({ path: 'virtual_modem', sender: 'ABCDEFGHIJK', outcome: 'untrusted' })
    expect(longest.body.data?.sms_id).toBeGreaterThan(0)
    const unicode = await post({ network: 'telecel', text: 'Akwaaba 😀 — ₵5 paid, ref ŋ', sender: '+233244123456' })
    expect(unicode.status).toBe(200)
    expect(unicode.body.data?.sms_id).toBeGreaterThan(0)
    const inbox = await (await fetch(`${daemon.url}/v1/sms`, { headers: { authorization: `Bearer ${key}` } })).json() as { data: Array<{ id: number, sender: string, text: string }> }
    expect(inbox.data.find((m) => m.id === longest.body.data?.sms_id)).toMatchObject({ sender: 'ABCDEFGHIJK', text: 'Hello from a shop' })
    expect(inbox.data.find((m) => m.id === unicode.body.data?.sms_id)).toMatchObject({ sender: '+233244123456', text: 'Akwaaba 😀 — ₵5 paid, ref ŋ' })
  })
})
