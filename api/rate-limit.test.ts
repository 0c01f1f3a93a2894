import { afterEach, describe, expect, it } from 'vitest'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'

let api: TestApi
afterEach(async () => { await api.close() })

const PUBLIC = ['/healthz', '/openapi.json', '/docs', '/docs/static/index.html', '/dashboard', '/dashboard/app.js']

/**
 * Issue 11 D5: public routes shared the keyless rate-limit bucket, so 110 requests with bad keys
 * made /healthz answer 429 and failed the load balancer's health check. Health, docs and the
 * dashboard's files are not rate limited with the API; keyless API attempts count in their own bucket.
 */
describe('rate limits leave public routes alone', () => {
  it('answers health, docs and dashboard files however many keyless API attempts were refused', async () => {
    api = await startTestApi({ rateLimit: { max: 3, windowMs: 60_000 }, dashboard: { silenceAlarmMinutes: 30, startedAt: Date.now() } })
    const keyless: number[] = []
    for (let i = 0; i < 6; i++) keyless.push((await api.request('GET', '/v1/payments', { key: 'hpn_live_sk_wrong' })).status)
    expect(keyless).toEqual([401, 401, 401, 429, 429, 429])

    for (const path of PUBLIC) {
      for (let i = 0; i < 5; i++) {
        const res = await api.request('GET', path, { key: null })
        expect(res.status, `${path} #${i + 1}`).toBe(200)
      }
    }
    // A valid key has its own budget.
    expect((await api.request('GET', '/v1/payments', { key: await api.key() })).status).toBe(200)
  })

  it('does not spend the keyless API budget on public routes', async () => {
    api = await startTestApi({ rateLimit: { max: 3, windowMs: 60_000 }, dashboard: { silenceAlarmMinutes: 30, startedAt: Date.now() } })
    for (const path of PUBLIC) for (let i = 0; i < 5; i++) await api.request('GET', path, { key: null })
    const keyless: number[] = []
    for (let i = 0; i < 4; i++) keyless.push((await api.request('GET', '/v1/payments', { key: null })).status)
    expect(keyless).toEqual([401, 401, 401, 429])
  })
})
