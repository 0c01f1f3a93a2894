import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { telcoCreditText } from '../ingest/telco-wording.js'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'
import { PAYMENT_GUIDES } from '../core/payment-guides.js'
import { renderCheckout, type CheckoutModel } from './render.js'
import { returnUrlOf } from './page.js'

/** The checkout page over HTTP (no browser: the server-rendered HTML is what a phone without JavaScript gets). */
let api: TestApi
beforeEach(async () => { api = await startTestApi() })
afterEach(async () => { await api.close() })

async function checkout (body: Record<string, unknown> = {}): Promise<{ url: string, path: string, reference: string, hpn_code: string }> {
  const res = await api.request('POST', '/v1/transactions/initialize', { body: { amount: '150.00', phone_number: '0244123456', description: 'Order #1234', ...body } })
  expect(res.status).toBe(201)
  return { ...res.body.data, url: res.body.data.checkout_url, path: new URL(res.body.data.checkout_url as string).pathname }
}
const get = async (path: string): Promise<{ status: number, headers: Headers, text: string }> => {
  const res = await fetch(api.url + path)
  return { status: res.status, headers: res.headers, text: await res.text() }
}
async function pay (code: string, amountMinor: number): Promise<void> {
  await api.sms({ mode: 'test', network: 'mtn', text: telcoCreditText({ network: 'mtn', amountMinor, reference: code, payerPhone: '0244123456', payerName: 'AMA', transactionId: `7${String(amountMinor).padStart(10, '0')}`, balanceMinor: 500_000, at: new Date() }) })
}

describe('hosted checkout page', () => {
  it('renders the payment readable without JavaScript, under the strict CSP, with no Referer and no caching', async () => {
    const c = await checkout()
    const page = await get(c.path)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'/)
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect(page.headers.get('cache-control')).toBe('no-store')
    expect(page.text).toContain('GHS 150.00')
    expect(page.text).toContain(`<p class="hpn" id="hpn-code">${c.hpn_code}</p>`)
    expect(page.text).toContain('Order #1234')
    expect(page.text).toContain('Dial *170# on the phone with your MoMo wallet.')
    expect(page.text).toContain('Enter the number 0244000000')
    expect(page.text).toContain(`When asked for a Reference, enter ${c.hpn_code} exactly.`)
    expect(page.text).toMatch(/<noscript><meta http-equiv="refresh" content="20"><\/noscript>/)
    // Nothing inline: no <style>, no style= and no inline script.
    expect(page.text).not.toMatch(/<style|style=|<script>|onclick=/)
    // Nothing the merchant did not attach to this payment: no phone of the customer, no reference.
    expect(page.text).not.toContain('0244123456')
    expect(page.text).not.toContain(c.reference)
    for (const asset of ['/checkout/assets/checkout.js', '/checkout/assets/checkout.css']) {
      const file = await get(asset)
      expect(file.status, asset).toBe(200)
      expect(file.headers.get('content-security-policy')).toMatch(/default-src 'none'/)
    }
    // The link opens the payment: its token is masked in the access log like a key.
    await get(`${c.path}/status`)
    const token = c.path.split('/')[2] as string
    expect(api.logs.join('\n')).not.toContain(token)
    expect(api.logs.join('\n')).toContain('/checkout/[redacted]/status')
    expect(api.logs.join('\n')).toContain('/checkout/assets/checkout.js')
  })

  it('answers its token-scoped status with this payment\'s state only', async () => {
    const c = await checkout({ client_reference: 'order_1234', meta: { secret: 'x' } })
    const res = await get(`${c.path}/status`)
    expect(JSON.parse(res.text)).toEqual({ success: true, data: { status: 'PENDING', sequence: 1, final: false, expected_amount: '150.00', actual_amount: null, currency: 'GHS', expires_at: expect.any(String) } })
    await pay(c.hpn_code, 5000)
    const partial = JSON.parse((await get(`${c.path}/status`)).text).data
    expect(partial).toMatchObject({ status: 'PARTIAL', sequence: 2, final: false, actual_amount: '50.00' })
  })

  it('answers unknown, altered and malformed links alike, with nothing about any payment', async () => {
    const c = await checkout()
    const token = c.path.split('/')[2] as string
    const altered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')
    for (const path of [`/checkout/${altered}`, '/checkout/x', `/checkout/${c.reference}`, `/checkout/${c.hpn_code}`, `/checkout/${altered}/status`]) {
      const res = await get(path)
      expect(res.status, path).toBe(404)
      expect(res.text).not.toContain(c.hpn_code)
    }
    expect((await get(`/checkout/${altered}`)).text).toContain('This payment link is not valid')
  })

  it('shows a partial payment\'s remainder with the same code, and a paid one\'s outcome with the way back to the shop', async () => {
    const c = await checkout({ redirect_url: 'https://shop.example/thanks?order=1234' })
    await pay(c.hpn_code, 5000)
    const partial = (await get(c.path)).text
    expect(partial).toContain('GHS 50.00 of GHS 150.00 reached the shop')
    expect(partial).toContain('Pay the remaining GHS 100.00')
    expect(partial).toContain('Enter the amount: 100.00.')
    expect(partial).not.toContain('id="countdown"')
    expect(partial).not.toMatch(/http-equiv="refresh" content="4/)
    expect(partial).toContain('href="https://shop.example/thanks?order=1234&amp;reference=')
    await pay(c.hpn_code, 10_000)
    const paid = (await get(c.path)).text
    expect(paid).toContain('Payment received')
    expect(paid).toContain(`<meta http-equiv="refresh" content="4;url=https://shop.example/thanks?order=1234&amp;reference=${c.reference}">`)
    expect(paid).not.toContain('id="hpn-code"')
  })

  it('tells the customer not to pay an expired or cancelled request', async () => {
    const c = await checkout()
    await api.request('POST', `/v1/transactions/${c.reference}/cancel`, { body: {} })
    const page = (await get(c.path)).text
    expect(page).toContain('This payment request was cancelled')
    expect(page).toContain('Do not pay it.')
    expect(page).not.toContain('Dial *170#')
  })
})

describe('checkout rendering', () => {
  const base: CheckoutModel = {
    status: 'PENDING', expectedMinor: 15_000, actualMinor: null, currency: 'GHS', hpnCode: 'K7M3F6', reference: 'hpn_trx_x', expiresAt: Date.parse('2026-04-29T13:00:00Z'),
    sequence: 1, description: '<img src=x onerror=alert(1)>', returnUrl: null,
    wallets: [{ network: 'mtn', msisdn: '0244000000' }, { network: 'telecel', msisdn: '0200000000' }, { network: 'at', msisdn: '0270000000' }],
    guides: PAYMENT_GUIDES, approval: 'ussd', statusUrl: '/checkout/t/status', now: Date.parse('2026-04-29T12:00:00Z')
  }

  it('escapes every value that comes from outside', () => {
    const html = renderCheckout(base)
    expect(html).not.toContain('<img src=x')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    const steps = renderCheckout({ ...base, guides: { ...PAYMENT_GUIDES, mtn: { name: 'MTN <b>', ussdCode: '*170#', steps: ['Dial "{code}" & <go>'] } } })
    expect(steps).toContain('Dial &quot;K7M3F6&quot; &amp; &lt;go&gt;')
    expect(steps).toContain('MTN &lt;b&gt;')
  })

  it('gives each network its own USSD menu and shows the expiry in GMT with the time left', () => {
    const html = renderCheckout(base)
    expect(html).toContain('Dial *170# on the phone with your MoMo wallet.')
    expect(html).toContain('Dial *110# on the phone with your Telecel Cash wallet.')
    expect(html).toContain('Choose Send Money, then AT Money User.')
    expect(html).toContain('13:00 GMT, 29 Apr 2026')
    expect(html).toContain('1 h left')
    expect(renderCheckout({ ...base, now: base.expiresAt - 95 * 60_000 })).toContain('1 h 35 min left')
  })

  it('says "approve on your phone" for a request-to-pay payment instead of the USSD steps', () => {
    const html = renderCheckout({ ...base, approval: 'phone_prompt' })
    expect(html).toContain('Approve on your phone')
    expect(html).toContain('Waiting for you to approve on your phone')
    expect(html).not.toContain('Dial *170#')
  })

  it('adds the reference to the shop\'s own query', () => {
    expect(returnUrlOf('https://shop.example/done?order=1&reference=spoof', 'hpn_trx_1')).toBe('https://shop.example/done?order=1&reference=hpn_trx_1')
    expect(returnUrlOf(null, 'hpn_trx_1')).toBeNull()
  })
})
