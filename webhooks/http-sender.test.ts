import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../test/webhooks/receiver.js'
import { HttpSender, RESPONSE_LIMIT, parseRetryAfter } from './http-sender.js'
import type { Resolver } from './ssrf.js'

const loopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }]
const req = (url: string) => ({ url, headers: { 'content-type': 'application/json' }, body: '{"a":1}', requireHttps: false })

describe('HTTP sender', () => {
  let sender: HttpSender
  let receiver: Receiver
  beforeAll(() => { sender = new HttpSender({ timeoutMs: 800, allowPrivateTargets: true, resolver: loopback }) })
  afterAll(async () => { await sender.close() })
  afterEach(async () => { await receiver.close() })

  it('delivers on 2xx, sending the body byte for byte', async () => {
    receiver = await startReceiver((_q, res) => { res.writeHead(204).end() })
    const r = await sender.send({ ...req(receiver.url), body: '{"b":"₵ 1"}' })
    expect(r).toMatchObject({ delivered: true, statusCode: 204, error: null })
    expect(receiver.requests[0]?.body).toBe('{"b":"₵ 1"}')
  })

  it('does not follow a redirect, and never contacts the Location', async () => {
    const target = await startReceiver()
    receiver = await startReceiver((_q, res) => { res.writeHead(302, { location: target.url }).end() })
    const r = await sender.send(req(receiver.url))
    expect(r).toMatchObject({ delivered: false, statusCode: 302 })
    expect(r.error).toMatch(/redirects are not followed/)
    expect(target.requests).toHaveLength(0)
    await target.close()
  })

  it('fails 4xx and 5xx, and reads Retry-After on 429 and 503 only', async () => {
    receiver = await startReceiver((_q, res, n) => { res.writeHead([400, 500, 429, 503][n - 1] ?? 418, { 'retry-after': '7' }).end('no') })
    const results = []
    for (let i = 0; i < 4; i++) results.push(await sender.send(req(receiver.url)))
    expect(results.map((r) => [r.delivered, r.statusCode, r.retryAfterMs])).toEqual([[false, 400, null], [false, 500, null], [false, 429, 7000], [false, 503, 7000]])
    expect(results[0]?.responseBody).toBe('no')
  })

  it('parses Retry-After as seconds or an HTTP date and ignores garbage', () => {
    const now = Date.parse('2026-04-29T12:00:00Z')
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter('Wed, 29 Apr 2026 12:01:00 GMT', now)).toBe(60_000)
    expect(parseRetryAfter('Wed, 29 Apr 2026 11:01:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeNull()
    expect(parseRetryAfter('-5', now)).toBeNull()
    expect(parseRetryAfter(undefined, now)).toBeNull()
  })

  it('keeps at most 16 KiB of a huge response and closes it', async () => {
    receiver = await startReceiver((_q, res) => {
      res.writeHead(200)
      const chunk = 'x'.repeat(64 * 1024)
      // An endless body: only the sender hanging up ends it.
      const pump = (): void => { while (res.write(chunk)) { /* fill the buffer */ } }
      res.on('drain', pump)
      res.on('close', () => res.off('drain', pump))
      pump()
    })
    const r = await sender.send(req(receiver.url))
    expect(r.delivered).toBe(true)
    expect(r.responseBody).toHaveLength(RESPONSE_LIMIT)
  })

  it('frees the slot of a hanging receiver at the timeout', async () => {
    receiver = await startReceiver(() => { /* never answers */ })
    const r = await sender.send(req(receiver.url))
    expect(r).toMatchObject({ delivered: false, statusCode: null })
    expect(r.error).toMatch(/timed out/)
  })

  it('fails a receiver that trickles its response past the timeout', async () => {
    receiver = await startReceiver((_q, res) => {
      res.writeHead(200)
      const t = setInterval(() => res.write('.'), 100)
      res.on('close', () => clearInterval(t))
    })
    const r = await sender.send(req(receiver.url))
    expect(r).toMatchObject({ delivered: false, statusCode: 200 })
    expect(r.error).toMatch(/timed out/)
  })

  it('reports a receiver that is down', async () => {
    receiver = await startReceiver()
    const url = receiver.url
    await receiver.close()
    const r = await sender.send(req(url))
    expect(r.error).toMatch(/ECONNREFUSED/)
  })
})

describe('HTTP sender SSRF guard', () => {
  it('refuses at connect a name that resolves to loopback, and the receiver is never contacted', async () => {
    const receiver = await startReceiver()
    const strict = new HttpSender({ timeoutMs: 2000, allowPrivateTargets: false, resolver: loopback })
    const r = await strict.send(req(`http://shop.example:${receiver.port}/hook`))
    expect(r.delivered).toBe(false)
    expect(r.error).toMatch(/resolves to 127\.0\.0\.1/)
    // The same name goes through when private targets are allowed: the lookup is what connects.
    const lax = new HttpSender({ timeoutMs: 2000, allowPrivateTargets: true, resolver: loopback })
    expect((await lax.send(req(`http://shop.example:${receiver.port}/hook`))).delivered).toBe(true)
    expect(receiver.requests).toHaveLength(1)
    const literal = await strict.send(req(`http://127.0.0.1:${receiver.port}/hook`))
    expect(literal.error).toMatch(/loopback, private/)
    const meta = await lax.send(req('http://169.254.169.254/latest/meta-data/'))
    expect(meta.error).toMatch(/metadata/)
    expect(receiver.requests).toHaveLength(1)
    await Promise.all([strict.close(), lax.close(), receiver.close()])
  })

  it('keeps judging a URL on every send: a refusal is not forgotten, and the https rule counts per send', async () => {
    const receiver = await startReceiver()
    const strict = new HttpSender({ timeoutMs: 2000, allowPrivateTargets: false, resolver: loopback })
    const url = `http://127.0.0.1:${receiver.port}/hook`
    for (let i = 0; i < 3; i++) expect((await strict.send(req(url))).error).toMatch(/loopback, private/)
    const lax = new HttpSender({ timeoutMs: 2000, allowPrivateTargets: true, resolver: loopback })
    expect((await lax.send(req(url))).delivered).toBe(true)
    // The same URL judged before without the https rule is refused with it (a live endpoint's send).
    expect((await lax.send({ ...req(url), requireHttps: true })).error).toMatch(/must use https/)
    expect((await lax.send(req(url))).delivered).toBe(true)
    expect(receiver.requests).toHaveLength(2)
    await Promise.all([strict.close(), lax.close(), receiver.close()])
  })
})
