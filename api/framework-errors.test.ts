import { connect } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'

let api: TestApi
beforeEach(async () => { api = await startTestApi() })
afterEach(async () => { await api.close() })

/** One request written byte for byte (fetch refuses these shapes); the status and parsed body. */
async function raw (head: string): Promise<{ status: number, contentType: string, body: any }> {
  const port = Number(new URL(api.url).port)
  const text = await new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let out = ''
    socket.on('data', (c: Buffer) => { out += c.toString('utf8') })
    socket.on('error', () => {})
    socket.on('close', () => resolve(out))
    socket.end(head)
  })
  const [headers = '', body = ''] = text.split('\r\n\r\n')
  let parsed: unknown = body
  try { parsed = JSON.parse(body) } catch { /* left as text: the assertion shows it */ }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1]), contentType: /content-type: ([^\r\n]+)/i.exec(headers)?.[1] ?? '', body: parsed }
}

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nhost: x\r\n${extra}connection: close\r\n\r\n`

/**
 * Issue 11: 431, 414 and Fastify's bad-URL 400 answered in Fastify's own shape instead of the SPEC §4
 * error envelope, and a forbidden /docs path said `bad_request`. Every error a client can cause is
 * the envelope with a code that says what happened.
 */
describe('errors raised before a route runs', () => {
  it.each([
    ['a path with bad percent-encoding', get('/v1/payments/%ZZ'), 400, 'malformed_url'],
    ['a path parameter longer than the router takes', get(`/v1/payments/${'a'.repeat(150)}`), 414, 'uri_too_long'],
    ['headers larger than the server takes', get('/healthz', `x-big: ${'a'.repeat(20_000)}\r\n`), 431, 'headers_too_large'],
    ['a request line that is not HTTP', 'NOT HTTP AT ALL\r\n\r\n', 400, 'bad_request'],
    ['a docs path that climbs out of its folder', get('/docs/static/../../package.json'), 403, 'forbidden']
  ])('answers %s with the error envelope', async (_label, request, status, code) => {
    const res = await raw(request)
    expect(res.status).toBe(status)
    expect(res.contentType).toMatch(/^application\/json/)
    expect(res.body).toMatchObject({ success: false, error: { code, details: [] } })
    expect(typeof res.body.error.message).toBe('string')
  })
})
