import { existsSync, mkdirSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { startTestApi, type TestApi } from '../helpers/api-server.js'
import { cleanupAfterEach } from '../helpers/cleanup.js'
import { tempDir } from '../helpers/temp-dir.js'

/**
 * The hosted checkout and a publishable key in a real browser: Debian's chromium (never a
 * downloaded one; test/system-needs.ts checks for it), driving the real API on a real port over a
 * real SQLite ledger. The API's clock can be moved forward, so a payment expires without waiting an
 * hour. Screenshots go to test-output/screenshots/ (not committed).
 */
const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOTS = resolve(import.meta.dirname, '../../test-output/screenshots')
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
/** A small Android phone's CSS viewport. */
const PHONE = { width: 360, height: 740 }

const track = cleanupAfterEach()

async function launch (viewport = PHONE, javaScriptEnabled = true): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium fonts-liberation (npm test does as root)`)
  const profile = tempDir('harpoon-chromium-')
  track.later(profile.cleanup)
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport, deviceScaleFactor: 2, isMobile: true, hasTouch: true, javaScriptEnabled
  })
  track.later(async () => { await context.close() })
  return context
}

async function shot (page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

/** The page fits the phone: nothing wider than the screen, so nothing scrolls sideways. */
async function fitsWidth (page: Page): Promise<void> {
  expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
}

/**
 * The in-process API with a shop that has three wallets (as the virtual modems give), a key of its
 * own, and a clock the test moves.
 */
async function checkoutApi (): Promise<{ api: TestApi, call: (method: string, path: string, body?: unknown) => Promise<{ status: number, body: any }>, later: (ms: number) => void }> {
  let offset = 0
  const api = await startTestApi({
    now: () => Date.now() + offset,
    wallets: (owner) => owner.merchantId === 'kofi'
      ? [{ network: 'mtn', msisdn: '0240000000', currency: 'GHS' }, { network: 'telecel', msisdn: '0200000000', currency: 'GHS' }, { network: 'at', msisdn: '0270000000', currency: 'GHS' }]
      : []
  })
  track.later(async () => { await api.close() })
  await api.ledger.merchants.create({ id: 'kofi', name: 'Kofi Electronics' })
  const key = await api.key({ merchant: 'kofi' })
  return {
    api,
    call: async (method, path, body) => await api.request(method, path, { key, body }),
    later: (ms) => { offset += ms }
  }
}

interface ShopRequest { path: string, headers: IncomingHttpHeaders }

/**
 * The merchant's site: `/thanks` is where the checkout returns the customer, and `/shop.html` is a
 * page that uses a publishable key straight from the browser. One server, reached as
 * http://127.0.0.1:PORT and as http://localhost:PORT: two origins.
 */
async function shop (apiUrl: string): Promise<{ port: number, seen: ShopRequest[], useKey: (key: string) => void }> {
  const seen: ShopRequest[] = []
  let key = ''
  const page = (): string => `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head><body>
<p id="origin"></p><p id="result">working</p>
<script type="module">
const api = ${JSON.stringify(apiUrl)}
const headers = { authorization: 'Bearer ${key}', 'content-type': 'application/json' }
const out = document.getElementById('result')
document.getElementById('origin').textContent = 'page origin: ' + location.origin
try {
  const made = await fetch(api + '/v1/transactions/initialize', { method: 'POST', headers, body: JSON.stringify({ amount: '25.00', phone_number: '0244123456', description: 'Cart 77' }) })
  const created = await made.json()
  const read = await fetch(api + '/v1/transactions/' + created.data.reference, { headers: { authorization: headers.authorization } })
  const again = await read.json()
  out.textContent = 'created ' + made.status + ' ' + created.data.reference + ' read ' + read.status + ' ' + again.data.status + ' ' + made.headers.get('x-ratelimit-limit')
} catch (err) {
  out.textContent = 'refused: ' + err.name
}
</script></body></html>`
  const server: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers })
    if (req.url === '/shop.html') { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page()); return }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Thanks</title><h1>Thank you for your order</h1>')
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  track.later(async () => { await new Promise((done) => server.close(done)) })
  return { port: (server.address() as AddressInfo).port, seen, useKey: (k) => { key = k } }
}

/** What the customer pays, as the wallet's telco SMS (test mode). */
async function pay (api: TestApi, code: string, amount: string): Promise<void> {
  const res = await api.sms({ mode: 'test', merchant: 'kofi', text: `Payment received for GHS ${amount} from AMA MENSAH  Current Balance: GHS 900.00 . Available Balance: GHS 900.00. Reference: ${code}. Transaction ID: 7${String(Date.now()).slice(-10)}. TRANSACTION FEE: 0.00` })
  expect(res).toBeDefined()
}

describe('hosted checkout in a real browser at 360 px', () => {
  it('walks a payment from pending through partial to paid, then returns the customer to the shop with the reference', async () => {
    const { api, call } = await checkoutApi()
    const site = await shop(api.url)
    const thanks = `http://127.0.0.1:${site.port}/thanks?order=1234`
    const created = (await call('POST', '/v1/transactions/initialize', { amount: '150.00', phone_number: '0244123456', description: 'Order #1234: 1 phone charger', redirect_url: thanks })).body.data
    const context = await launch()
    const page = await context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (err) => pageErrors.push(err.message))

    // Pending: amount, the code large with a copy button, the steps of each network, a countdown.
    await page.goto(created.checkout_url)
    await expect.poll(async () => await page.locator('#countdown').textContent()).toMatch(/^\d\d:\d\d left$/)
    expect(await page.locator('.amount').textContent()).toBe('GHS 150.00')
    expect(await page.locator('#hpn-code').textContent()).toBe(created.hpn_code)
    expect(await page.locator('.code button.copy').isVisible()).toBe(true)
    expect(await page.locator('details.wallet').count()).toBe(3)
    expect(await page.locator('details.wallet[data-network="mtn"] li').first().textContent()).toBe('Dial *170# on the phone with your MoMo wallet.')
    const code = await page.locator('#hpn-code').boundingBox()
    expect(code?.width).toBeLessThanOrEqual(PHONE.width)
    await fitsWidth(page)
    await shot(page, 'checkout-360-1-pending')
    await page.locator('details.wallet[data-network="telecel"] summary').click()
    expect(await page.locator('details.wallet[data-network="telecel"] li').nth(1).isVisible()).toBe(true)
    await shot(page, 'checkout-360-1b-pending-telecel-open')

    // Part of the money arrives: the page sees it by itself and shows what is still owed.
    await pay(api, created.hpn_code, '50.00')
    await expect.poll(async () => await page.locator('.outcome h2').textContent(), { timeout: 15_000 }).toBe('Part of the amount received')
    expect(await page.locator('.outcome p').textContent()).toContain('Pay the remaining GHS 100.00')
    expect(await page.locator('details.wallet[data-network="mtn"] li').nth(3).textContent()).toBe('Enter the amount: 100.00.')
    expect(page.url()).toBe(created.checkout_url)
    await fitsWidth(page)
    await shot(page, 'checkout-360-2-partial')

    // The rest arrives: the outcome shows, then the customer is back at the shop with the reference.
    await pay(api, created.hpn_code, '100.00')
    await expect.poll(async () => await page.locator('.outcome h2').textContent().catch(() => null), { timeout: 15_000 }).toBe('Payment received')
    await shot(page, 'checkout-360-3-paid')
    await page.waitForURL(/\/thanks\?/, { timeout: 15_000 })
    const back = new URL(page.url())
    expect(back.searchParams.get('order')).toBe('1234')
    expect(back.searchParams.get('reference')).toBe(created.reference)
    expect(await page.locator('h1').textContent()).toBe('Thank you for your order')
    // The checkout link's token never travels to the shop.
    const arrival = site.seen.find((r) => r.path.startsWith('/thanks'))
    expect(arrival?.headers.referer).toBeUndefined()
    await shot(page, 'checkout-360-4-back-at-shop')
    expect(pageErrors).toEqual([])
  }, 90_000)

  it('shows an expired request as over, and works without JavaScript', async () => {
    const { api, call, later } = await checkoutApi()
    const created = (await call('POST', '/v1/transactions/initialize', { amount: '80.00', phone_number: '0244123456', expires_in: 600 })).body.data
    const context = await launch()
    const page = await context.newPage()
    await page.goto(created.checkout_url)
    await page.locator('#countdown').waitFor()

    later(11 * 60_000)
    expect(await api.ledger.payments.expireDue()).toBe(1)
    await expect.poll(async () => await page.locator('.outcome h2').textContent().catch(() => null), { timeout: 15_000 }).toBe('This payment request has expired')
    expect(await page.locator('#hpn-code').count()).toBe(0)
    expect(await page.locator('.outcome p').textContent()).toContain('Do not pay it now')
    await fitsWidth(page)
    await shot(page, 'checkout-360-5-expired')

    // A phone with scripts off gets the whole page; only the copy buttons stay hidden.
    const plain = await (await launch(PHONE, false)).newPage()
    const fresh = (await call('POST', '/v1/transactions/initialize', { amount: '80.00', phone_number: '0244123456', description: 'No-script order' })).body.data
    await plain.goto(fresh.checkout_url)
    expect(await plain.locator('#hpn-code').textContent()).toBe(fresh.hpn_code)
    expect(await plain.locator('details.wallet[data-network="mtn"] li').count()).toBe(6)
    expect(await plain.locator('#countdown').textContent()).toMatch(/^(\d+ h )?(\d+ min )?left$/)
    expect(await plain.locator('button.copy').first().isVisible()).toBe(false)
    await fitsWidth(plain)
    await shot(plain, 'checkout-360-6-no-javascript')
  }, 90_000)
})

describe('a publishable key in a real browser page', () => {
  it('works from a page of an allowed origin and is refused from another origin', async () => {
    const { api, call } = await checkoutApi()
    const site = await shop(api.url)
    const allowed = `http://127.0.0.1:${site.port}`
    const made = await call('POST', '/v1/keys', { name: 'web', type: 'publishable', allowed_origins: [allowed] })
    site.useKey(made.body.data.key as string)
    const context = await launch({ width: 800, height: 600 })

    // The allowed origin: created and read back, and the page can read the exposed rate-limit header.
    const good = await context.newPage()
    await good.goto(`${allowed}/shop.html`)
    await expect.poll(async () => await good.locator('#result').textContent(), { timeout: 15_000 }).not.toBe('working')
    expect(await good.locator('#result').textContent()).toMatch(/^created 201 hpn_trx_[0-9a-f]{32} read 200 PENDING 1000$/)
    await shot(good, 'publishable-key-allowed-origin')

    // The same page from another origin (localhost is not 127.0.0.1 to a browser): the browser stops it.
    const other = await context.newPage()
    await other.goto(`http://localhost:${site.port}/shop.html`)
    await expect.poll(async () => await other.locator('#result').textContent(), { timeout: 15_000 }).toBe('refused: TypeError')
    await shot(other, 'publishable-key-other-origin')

    // The refused page created nothing: the one payment is the allowed page's.
    const listed = await call('GET', '/v1/transactions')
    expect(listed.body.pagination.total).toBe(1)
  }, 90_000)
})
