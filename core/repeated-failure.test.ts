import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { RepeatedFailureLog } from './repeated-failure.js'

describe('RepeatedFailureLog', () => {
  it('logs a failure when it starts and then every 30 s, and its end once with how long it lasted', () => {
    const lines: Array<{ level: number, msg: string, failing_for_ms?: number, err?: { message: string } }> = []
    const sink = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString())); done() } })
    let t = 1_000_000
    const log = new RepeatedFailureLog({ logger: pino({ level: 'info' }, sink), now: () => t, failed: 'could not claim; retrying', recovered: 'claims again' })

    log.succeeded()
    for (let i = 0; i < 60; i++) { log.failed(new Error(`database away ${i}`)); t += 1_000 }
    log.succeeded()
    log.succeeded()
    log.failed(new Error('away again'))

    expect(lines.map((l) => [l.level, l.msg, l.err?.message ?? l.failing_for_ms])).toEqual([
      [50, 'could not claim; retrying', 'database away 0'],
      [50, 'could not claim; retrying', 'database away 30'],
      [30, 'claims again', 60_000],
      [50, 'could not claim; retrying', 'away again']
    ])
  })
})
