import { afterEach, describe, expect, it } from 'vitest'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'
import { longDuration, RateLimiter } from './rate-limit.js'

let api: TestApi | undefined
afterEach(async () => { await api?.close(); api = undefined })

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

describe('RateLimiter windows', () => {
  it('opens a window at a client\'s first request and starts afresh once it has passed', () => {
    const limiter = new RateLimiter({ max: 2, timeWindow: 1000 })
    expect(limiter.count('a', 10_000)).toEqual({ count: 1, ttl: 1000 })
    expect(limiter.count('a', 10_400)).toEqual({ count: 2, ttl: 600 })
    expect(limiter.count('b', 10_500)).toEqual({ count: 1, ttl: 1000 })
    expect(limiter.count('a', 10_999)).toEqual({ count: 3, ttl: 1 })
    expect(limiter.count('a', 11_000)).toEqual({ count: 1, ttl: 1000 })
  })

  it('forgets the least recently seen client first once 5000 are remembered', () => {
    const limiter = new RateLimiter({ max: 10, timeWindow: 60_000 })
    limiter.count('first', 0)
    limiter.count('second', 0)
    for (let i = 0; i < 4998; i++) limiter.count(`c${i}`, 0)
    // Seen again: now the most recent, so `second` is the one forgotten.
    expect(limiter.count('first', 1).count).toBe(2)
    limiter.count('newcomer', 2)
    expect(limiter.count('first', 3).count).toBe(3)
    expect(limiter.count('second', 4).count).toBe(1)
  })

  it('words the time left as the 429 message always did', () => {
    expect([0, 1000, 2000, 59_000, 60_000, 90_000, 3_600_000, 86_400_000 * 2].map(longDuration))
      .toEqual(['0 ms', '1 second', '2 seconds', '59 seconds', '1 minute', '2 minutes', '1 hour', '2 days'])
  })
})
