import { readFileSync } from 'node:fs'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { ERROR_CODES, type ErrorCodeEntry } from '../core/error-codes.js'
import { HarpoonError } from '../core/errors.js'
import { requireAmount } from '../core/money.js'
import { takeUnmappedErrors } from '../test/helpers/unmapped-errors.js'
import { errorHandler } from './error-handler.js'
import { HttpError } from './http-errors.js'

const README = new URL('./README.md', import.meta.url)

/** The table of api/README.md "Error codes" as the registry says it must read. */
function tableRows (): string[] {
  return Object.entries(ERROR_CODES as Record<string, ErrorCodeEntry>)
    .filter(([, e]) => e.status !== null)
    .map(([code, e]) => `| \`${code}\` | ${[e.status, ...(e.alsoStatus ?? [])].join(', ')} | ${e.meaning} |`)
}

describe('the error-code registry', () => {
  it('is the table api/README.md shows, row for row, and the project README links to it', () => {
    const text = readFileSync(README, 'utf8')
    const section = text.split('\n## Error codes\n')[1]?.split('\n## ')[0] ?? ''
    const documented = section.split('\n').filter((l) => /^\| `/.test(l))
    expect(documented).toEqual(tableRows())
    expect(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).toContain('api/README.md#error-codes')
  })

  it('gives every status-bearing code a client error or an outage status, and every code a meaning', () => {
    for (const [code, e] of Object.entries(ERROR_CODES as Record<string, ErrorCodeEntry>)) {
      expect(code).toMatch(/^[a-z][a-z0-9_]*$/)
      expect(e.meaning.length, code).toBeGreaterThan(5)
      for (const s of [e.status, ...(e.alsoStatus ?? [])]) if (s !== null) expect([s >= 400 && s < 600, code]).toEqual([true, code])
    }
  })
})

describe('errors reaching a route', () => {
  let app: FastifyInstance | undefined
  afterEach(async () => { await app?.close(); app = undefined })

  async function answerTo (fail: () => never): Promise<{ status: number, body: { error: { code: string, details: unknown[] } } }> {
    app = Fastify({ logger: false })
    app.setErrorHandler(errorHandler)
    app.get('/x', async () => fail())
    const res = await app.inject({ method: 'GET', url: '/x' })
    return { status: res.statusCode, body: res.json() }
  }

  it('get the status of their code: an invalid amount is the 422 naming the field, not a 500', async () => {
    const { status, body } = await answerTo(() => { requireAmount('12.345', 'amount'); throw new Error('unreachable') })
    expect(status).toBe(422)
    expect(body.error).toMatchObject({ code: 'invalid_amount', details: [{ field: 'amount' }] })
    expect(takeUnmappedErrors()).toEqual([])
  })

  it('answer a code that is never an HTTP answer with 500 internal_error, and the suite fails on it', async () => {
    const { status, body } = await answerTo(() => { throw new HarpoonError('modem_timeout', 'AT+CMGL timed out') })
    expect([status, body.error.code]).toEqual([500, 'internal_error'])
    expect(takeUnmappedErrors()).toEqual([{ code: 'modem_timeout', status: null, message: 'AT+CMGL timed out' }])
  })

  it('answer an HttpError naming a status its code does not have with the registry\'s, and the suite fails on it', async () => {
    const { status, body } = await answerTo(() => { throw new HttpError(500, 'not_found', 'no such thing') })
    expect([status, body.error.code]).toEqual([404, 'not_found'])
    expect(takeUnmappedErrors()).toEqual([{ code: 'not_found', status: 500, message: 'no such thing' }])
  })

  it('keep a compatibility status the registry lists for the code', async () => {
    const { status } = await answerTo(() => { throw new HttpError(400, 'invalid_status', 'payment is SUCCESS') })
    expect(status).toBe(400)
    expect(takeUnmappedErrors()).toEqual([])
  })
})
