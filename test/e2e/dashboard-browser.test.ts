import { createHmac } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { cleanupAfterEach } from '../helpers/cleanup.js'
import { spawnDaemon } from '../helpers/daemon-process.js'
import { apiCall, firstKey } from '../helpers/http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { openTestLedger } from '../helpers/ledger.js'
import { startReceiver } from '../webhooks/receiver.js'
import { MODEM_NETWORKS } from '../../core/networks.js'

// Debian's chromium, never a downloaded browser: test/system-needs.ts checks for it (and installs it as root).
const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOTS = resolve(import.meta.dirname, '../../test-output/screenshots')
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

const track = cleanupAfterEach()

interface Created { reference: string, hpn_code: string }

async function launch (): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the dashboard browser tests drive Debian's chromium. Install it with: apt-get install -y chromium fonts-liberation (npm test does as root)`)
  }
  const profile = tempDir('harpoon-chromium-')
  track.later(profile.cleanup)
  // A persistent context is how Playwright takes a fresh --user-data-dir of our choosing.
  const context = await chromium.launchPersistentContext(profile.path, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1360, height: 900 } })
  track.later(async () => { await context.close() })
  return context
}

async function shot (page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

async function open (page: Page, nav: string): Promise<void> {
  await page.locator('#nav button', { hasText: nav }).click()
}

describe('dashboard in a real browser against a real daemon with virtual modems', () => {
  it('signs in, shows modems and the silence alarm, watches a payment arrive, assigns a credit and replays a dead letter', async () => {
    // A receiver that always fails: with two short retries every delivery is soon a dead letter.
    const receiver = await startReceiver((_q, res) => { res.statusCode = 500; res.end('down') })
    track.later(async () => { await receiver.close() })
    const dir = tempDir()
    track.later(dir.cleanup)
    const daemon = track.daemon(await spawnDaemon(dir.path, {
      webhooks: { retry_schedule: [0.2, 0.2], allow_private_targets: true, timeout_ms: 2000, poll_interval_ms: 100 },
      dashboard: { silence_alarm_minutes: 0.05 }
    }))
    const key = firstKey(daemon.output())
    const call = async <T>(path: string, method = 'GET', body?: unknown): Promise<T> => await apiCall<T>(`${daemon.url}${path}`, key, method, body)
    await call('/v1/webhooks', 'POST', { url: receiver.url, description: 'always failing receiver' })

    const context = await launch()
    const page = await context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (err) => pageErrors.push(err.message))

    // A key without the operator scope is turned away with what to do instead.
    const reader = await call<{ key: string }>('/v1/keys', 'POST', { name: 'reader', scopes: ['payments:read'], mode: 'test' })
    await page.goto(`${daemon.url}/dashboard`)
    await page.locator('#key').fill(reader.key)
    await page.locator('#signin-form button[type=submit]').click()
    await expect.poll(async () => await page.locator('#signin-error').textContent(), { timeout: 15_000 }).toContain('lacks the operator scope')
    expect(await page.locator('#nav').isVisible()).toBe(false)

    // Sign in: the key goes in a password field and never into the URL.
    await page.locator('#key').fill(key)
    await shot(page, '01-sign-in')
    await page.locator('#signin-form button[type=submit]').click()
    // The first page is the overview (charts); the modems are one click away.
    await page.locator('#page[data-loaded="overview"]').waitFor({ timeout: 15_000 })
    await open(page, 'Modems')
    const mtn = page.locator('article[data-modem="virtual-mtn"]')
    await expect.poll(async () => await mtn.textContent(), { timeout: 15_000 }).toContain('connected')
    expect(page.url()).toBe(`${daemon.url}/dashboard`)
    await expect.poll(async () => await page.locator('article.modem').count()).toBe(MODEM_NETWORKS.length)
    expect(await mtn.textContent()).toContain('dBm')

    // A pending payment and no SMS for the (shortened) silence window: the alarm banner shows.
    const paid = await call<Created>('/v1/payments/initialize', 'POST', { amount: '250.00', client_reference: 'order-1001' })
    await page.locator('#alarm').waitFor({ state: 'visible', timeout: 20_000 })
    expect(await page.locator('#alarm').textContent()).toMatch(/No SMS for .* payment\(s\) are pending/)
    await shot(page, '02-modems-with-silence-alarm')

    // The customer pays: the SMS arrives through the virtual modem and shows in the inbox as a credit.
    await open(page, 'SMS inbox')
    await call('/v1/test/sms', 'POST', { network: 'mtn', amount: '250.00', reference: paid.hpn_code })
    // Hostile text in an SMS is shown as text, never run.
    await call('/v1/test/sms', 'POST', { network: 'mtn', sender: 'MobileMoney', text: '<img src=x onerror="window.pwned=1"><b>FREE</b> money' })
    const creditRow = page.locator('tr[data-sms]', { hasText: paid.hpn_code })
    await creditRow.waitFor({ timeout: 15_000 })
    expect(await creditRow.textContent()).toContain('credit')
    const hostile = page.locator('td.sms-text', { hasText: '<img src=x' })
    await hostile.waitFor({ timeout: 15_000 })
    expect(await hostile.textContent()).toBe('<img src=x onerror="window.pwned=1"><b>FREE</b> money')
    expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined()
    expect(await page.locator('td.sms-text img, td.sms-text b').count()).toBe(0)
    await shot(page, '03-sms-inbox')

    // Payments: search by HPN code shows the payment, its credit and its events.
    await open(page, 'Payments')
    await page.locator('#search').fill(paid.hpn_code)
    await page.locator('#search').press('Enter')
    const detail = page.locator('#search-result')
    await expect.poll(async () => await detail.textContent(), { timeout: 15_000 }).toContain('transaction.completed')
    expect(await detail.textContent()).toContain('SUCCESS')
    expect(await detail.textContent()).toContain('order-1001')
    await shot(page, '04-payments-search')

    // A request to pay through the embedded MTN simulator: its page shows the channel and every leg.
    const prompted = await call<Created>('/v1/payments/initialize', 'POST', { amount: '40.00', channel: 'mtn_momo', customer_phone: '0244123456' })
    await page.locator('#search').fill(prompted.hpn_code)
    await page.locator('#search').press('Enter')
    await expect.poll(async () => await page.locator('#audit').textContent(), { timeout: 15_000 }).toContain('requesttopay')
    expect(await detail.textContent()).toContain('mtn_momo (mtn_momo)')
    expect(await page.locator('#audit').textContent()).toContain('app request')
    expect(await page.locator('#audit').textContent()).toContain('POST /v1/payments/initialize')
    await shot(page, '04b-payment-audit-log')

    // Money without a usable code: an unmatched credit the operator assigns by hand.
    const order = await call<Created>('/v1/payments/initialize', 'POST', { amount: '120.00', client_reference: 'order-1002' })
    const stray = await call<{ credit_id: string, payment: string | null }>('/v1/test/sms', 'POST', { network: 'telecel', amount: '120.00', reference: 'for my order' })
    expect(stray.payment).toBeNull()
    await open(page, 'Unmatched credits')
    const row = page.locator(`tr[data-credit="${stray.credit_id}"]`)
    await row.waitFor({ timeout: 15_000 })
    await row.locator('input').fill(order.hpn_code)
    await shot(page, '05-unmatched-credits')
    await row.locator('button', { hasText: 'Assign' }).click()
    await expect.poll(async () => await page.locator('#notice').textContent(), { timeout: 15_000 }).toContain(`assigned to ${order.hpn_code}: payment is now SUCCESS`)
    expect((await call<{ status: string }>(`/v1/payments/${order.reference}`)).status).toBe('SUCCESS')
    await shot(page, '05b-credit-assigned')

    // Webhooks: the failing receiver turned the deliveries into dead letters; replay one.
    await open(page, 'Webhooks')
    const replay = page.locator('tr[data-delivery] button', { hasText: 'Replay' }).first()
    await expect.poll(async () => { await open(page, 'Webhooks'); return await replay.count() }, { timeout: 20_000 }).toBeGreaterThan(0)
    await shot(page, '06-webhooks-dead-letters')
    const deliveryId = await page.locator('tr[data-delivery]', { has: page.locator('button', { hasText: 'Replay' }) }).first().getAttribute('data-delivery')
    const before = receiver.requests.length
    await page.locator(`tr[data-delivery="${deliveryId ?? ''}"] button`, { hasText: 'Replay' }).click()
    await expect.poll(async () => await page.locator('#notice').textContent(), { timeout: 15_000 }).toContain('queued again with the same webhook_id')
    const endpoints = await call<Array<{ id: string }>>('/v1/webhooks')
    const deliveries = await call<Array<{ id: string, webhook_id: string, replays: number }>>(`/v1/webhooks/${endpoints[0]?.id ?? ''}/deliveries?limit=100`)
    const replayed = deliveries.find((d) => d.id === deliveryId)
    expect(replayed?.replays).toBe(1)
    // Other deliveries may still be on their last retry: wait for this one's webhook_id, not any request.
    await expect.poll(() => receiver.requests.slice(before).map((r) => r.headers['x-harpoon-webhook-id']), { timeout: 15_000 }).toContain(replayed?.webhook_id)
    await shot(page, '07-webhooks-after-replay')

    // The overview draws its charts with the daemon's own copy of Chart.js, from what just happened.
    await open(page, 'Overview')
    await page.locator('#page[data-loaded="overview"]').waitFor({ timeout: 15_000 })
    await expect.poll(async () => await page.evaluate(() => Object.keys((globalThis as unknown as { Chart: { instances: Record<string, unknown> } }).Chart.instances).length), { timeout: 15_000 }).toBe(5)
    const drawn = await page.evaluate(() => Object.values((globalThis as unknown as { Chart: { instances: Record<string, { canvas: { id: string }, data: { labels: string[], datasets: Array<{ data: number[] }> } }> } }).Chart.instances)
      .map((c) => ({ id: c.canvas.id, labels: c.data.labels, total: c.data.datasets.flatMap((d) => d.data).reduce((a, b) => a + b, 0) })))
    const byId = Object.fromEntries(drawn.map((d) => [d.id, d]))
    expect(byId['chart-money']?.labels).toContain('MTN (GHS)')
    expect(byId['chart-money']?.total).toBeGreaterThanOrEqual(500) // 250.00 today and in the week
    expect(byId['chart-outcomes']?.labels).toContain('SUCCESS')
    expect(byId['chart-confirmation']?.total).toBeGreaterThanOrEqual(1)
    expect(byId['chart-webhooks']?.total).toBeGreaterThanOrEqual(1)
    expect(byId['chart-sms']?.total).toBeGreaterThanOrEqual(2)
    await shot(page, '12-overview-charts')

    // Signing out forgets the key; nothing of it was ever logged.
    await page.locator('#signout').click()
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length)).toBe(0)
    expect(daemon.output().split(key).length).toBe(2) // printed once, at first start, and nowhere else
    expect(daemon.output()).not.toContain(reader.key)
    expect(pageErrors).toEqual([])
  }, 120_000)

  it('manages webhook endpoints and API keys (each new secret shown once) and shows the audit trail of it all', async () => {
    const receiver = await startReceiver((_q, res) => { res.statusCode = 204; res.end() })
    track.later(async () => { await receiver.close() })
    const dir = tempDir()
    track.later(dir.cleanup)
    const daemon = track.daemon(await spawnDaemon(dir.path, { webhooks: { allow_private_targets: true, timeout_ms: 2000 } }))
    const key = firstKey(daemon.output())
    const call = async <T>(path: string, method = 'GET', body?: unknown): Promise<T> => await apiCall<T>(`${daemon.url}${path}`, key, method, body)
    const context = await launch()
    const page = await context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (err) => pageErrors.push(err.message))
    await page.goto(`${daemon.url}/dashboard`)
    await page.locator('#key').fill(key)
    await page.locator('#signin-form button[type=submit]').click()
    await page.locator('#nav').waitFor({ state: 'visible', timeout: 15_000 })

    // Webhooks: add one; its signing secret is shown once, and is the one deliveries are signed with.
    await open(page, 'Webhooks')
    await page.locator('#new-endpoint-url').fill(receiver.url)
    await page.locator('form.add button[type=submit]').click()
    await page.locator('#secret').waitFor({ state: 'visible', timeout: 15_000 })
    const secret = (await page.locator('#secret-value').textContent()) ?? ''
    expect(secret).toMatch(/^whsec_/)
    const card = page.locator('article[data-endpoint]')
    await card.waitFor({ timeout: 15_000 })
    await shot(page, '08-webhook-added-secret-once')
    await page.locator('#secret-done').click()
    expect(await page.locator('#secret').isVisible()).toBe(false)
    await card.locator('button', { hasText: 'Send test' }).click()
    await expect.poll(async () => await page.locator('#notice').textContent(), { timeout: 15_000 }).toContain('Test delivered')
    await receiver.waitFor(1)
    const signed = receiver.requests[0]
    expect(signed?.headers['x-harpoon-signature']).toBe(`sha256=${createHmac('sha256', secret).update(`${String(signed?.headers['x-harpoon-timestamp'])}.${signed?.body ?? ''}`).digest('hex')}`)
    await card.locator('button', { hasText: 'Rotate secret' }).click()
    await page.locator('#secret').waitFor({ state: 'visible', timeout: 15_000 })
    expect(await page.locator('#secret-value').textContent()).not.toBe(secret)
    await page.locator('#secret-done').click()
    await card.locator('button', { hasText: 'Disable' }).click()
    await expect.poll(async () => await card.textContent(), { timeout: 15_000 }).toContain('disabled')
    await shot(page, '09-webhook-disabled')

    // Keys: create one (shown once, and it works), roll it, revoke the new one.
    await open(page, 'API keys')
    await page.locator('#new-key-name').fill('shop server')
    await page.locator('form.add button[type=submit]').click()
    await page.locator('#secret').waitFor({ state: 'visible', timeout: 15_000 })
    const made = (await page.locator('#secret-value').textContent()) ?? ''
    expect(made).toMatch(/^hpn_test_sk_/)
    expect((await fetch(`${daemon.url}/v1/payments`, { headers: { authorization: `Bearer ${made}` } })).status).toBe(200)
    await page.locator('#secret-done').click()
    const row = page.locator('tr[data-key]', { hasText: 'shop server' })
    await row.waitFor({ timeout: 15_000 })
    await row.locator('button', { hasText: 'Roll' }).click()
    await page.locator('#secret').waitFor({ state: 'visible', timeout: 15_000 })
    const rolled = (await page.locator('#secret-value').textContent()) ?? ''
    expect(rolled).toMatch(/^hpn_test_sk_/)
    await shot(page, '10-key-rolled-secret-once')
    await page.locator('#secret-done').click()
    const keys = await call<Array<{ id: string, name: string, rolled_from: string | null }>>('/v1/keys')
    const newest = keys.find((k) => k.name === 'shop server' && k.rolled_from !== null)
    await page.locator(`tr[data-key="${newest?.id ?? ''}"] button`, { hasText: 'Revoke' }).click()
    await expect.poll(async () => (await fetch(`${daemon.url}/v1/payments`, { headers: { authorization: `Bearer ${rolled}` } })).status, { timeout: 15_000 }).toBe(401)

    // The audit trail shows every one of those changes, newest first, without a secret.
    await open(page, 'Audit trail')
    await expect.poll(async () => await page.locator('tr[data-seq]').count(), { timeout: 15_000 }).toBe(7)
    const actions = await page.locator('tr[data-seq] td:nth-child(4)').allTextContents()
    expect(actions).toEqual(['key.revoke', 'key.roll', 'key.create', 'webhook.update', 'webhook.rotate_secret', 'webhook.test', 'webhook.create'])
    const body = (await page.locator('#page').textContent()) ?? ''
    for (const s of [secret, made, rolled]) expect(body).not.toContain(s)
    await shot(page, '11-audit-trail')
    expect(daemon.output()).not.toContain(secret)
    expect(pageErrors).toEqual([])
  }, 120_000)

  it('shows an agent\'s modems with their last contact, and names an agent that stopped reporting in the alarm banner', async () => {
    const dir = tempDir()
    track.later(dir.cleanup)
    const daemon = track.daemon(await spawnDaemon(dir.path, { virtual_modems: false, central: { agent_offline_after_ms: 1_500 } }))
    const key = firstKey(daemon.output())
    // The laptop agent reports once (a test agent key, made beside the running daemon), then goes quiet.
    const setup = await openTestLedger({ dir: dir.path })
    const agentKey = (await setup.ledger.apiKeys.create({ merchantId: 'default', name: 'laptop', mode: 'test', scopes: ['agent'] })).secret
    await setup.close()
    const modem = {
      id: 'virtual-mtn', port: 'virtual:mtn', network: 'mtn', msisdn: '0240000000', virtual: true, connected: true, signal_dbm: -73, registered: true, sim_ready: true,
      imei: null, imsi: null, last_sms_at: null, storage_used: 0, storage_total: 30, counters: { received: 0 }, last_error: null
    }
    await apiCall(`${daemon.url}/v1/agent/heartbeat`, agentKey, 'POST', { agent: 'laptop', version: 'test', backlog: { pending: 3, oldest_pending_at: null }, modems: [modem] })

    const page = await (await launch()).newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (err) => pageErrors.push(err.message))
    await page.goto(`${daemon.url}/dashboard`)
    await page.locator('#key').fill(key)
    await page.locator('#signin-form button[type=submit]').click()
    await open(page, 'Modems')
    const card = page.locator('article[data-modem="laptop/virtual-mtn"]')
    await expect.poll(async () => await card.textContent(), { timeout: 15_000 }).toContain('last contact')
    expect(await card.textContent()).toContain('laptop')
    await page.locator('#alarm').waitFor({ state: 'visible', timeout: 20_000 })
    expect(await page.locator('#alarm').textContent()).toMatch(/Agent laptop \(last heard .*\) stopped reporting/)
    await expect.poll(async () => await card.textContent(), { timeout: 15_000 }).toContain('agent_offline')
    await shot(page, '08-agent-offline')
    expect(pageErrors).toEqual([])
  }, 60_000)
})
