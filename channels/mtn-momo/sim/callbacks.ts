import { Agent, request } from 'undici'
import { isoSeconds } from '../../../core/time.js'
import type { CallbackBehaviour } from './behaviour.js'
import type { SimClock } from './clock.js'

/** One callback the simulator sent, or decided not to send. */
export interface CallbackAttempt {
  at: string
  /** Which copy (1 unless the behaviour repeats callbacks). */
  copy: number
  /** Which try of that copy (more than 1 only with MTN's retry schedule). */
  attempt: number
  method: 'PUT' | 'POST'
  url: string
  /** True when the behaviour drops this callback: nothing was sent. */
  dropped: boolean
  statusCode: number | null
  error: string | null
}

export interface CallbackJob {
  url: string
  behaviour: CallbackBehaviour
  body: string
  record: (attempt: CallbackAttempt) => void
}

/**
 * MTN's documented retry schedule for a callback that failed (2 s timeout each): 20 tries a second
 * apart, then 30 every two minutes, then hourly. MTN goes on hourly "until unblocked"; the
 * simulator stops after a day of it. Returns the wait before the next try, or null to give up.
 */
export function mtnRetryDelayMs (failedTries: number): number | null {
  if (failedTries <= 20) return 1_000
  if (failedTries <= 50) return 120_000
  if (failedTries <= 74) return 3_600_000
  return null
}

/**
 * Sends callbacks as MTN does: the status body, `Content-Type: application/json`, no signature, by
 * PUT or POST. Copies go one after another; each copy follows the retry rule on its own.
 */
export class CallbackSender {
  readonly #clock: SimClock
  readonly #agent = new Agent({ keepAliveTimeout: 1_000 })
  #closed = false

  constructor (clock: SimClock) {
    this.#clock = clock
  }

  schedule (job: CallbackJob): void {
    const b = job.behaviour
    if (!b.deliver) {
      job.record({ at: isoSeconds(this.#clock.now()), copy: 1, attempt: 1, method: b.method, url: job.url, dropped: true, statusCode: null, error: null })
      return
    }
    this.#clock.at(this.#clock.now() + b.delayMs, () => {
      (async () => {
        for (let copy = 1; copy <= b.copies; copy++) await this.#try(job, copy, 1)
      })().catch(() => { /* #try records each attempt's error itself */ })
    })
  }

  async close (): Promise<void> {
    this.#closed = true
    await this.#agent.destroy()
  }

  async #try (job: CallbackJob, copy: number, attempt: number): Promise<void> {
    if (this.#closed) return
    const b = job.behaviour
    const at = isoSeconds(this.#clock.now())
    let statusCode: number | null = null
    let error: string | null = null
    try {
      const res = await request(job.url, {
        method: b.method,
        headers: { 'content-type': 'application/json' },
        body: job.body,
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(b.timeoutMs)
      })
      statusCode = res.statusCode
      await res.body.dump()
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`
    } catch (err) {
      const e = err as { name?: string, code?: string, message?: string }
      error = e.name === 'TimeoutError' ? `no answer within ${b.timeoutMs} ms` : `${e.code ?? e.name ?? 'error'}: ${e.message ?? ''}`.slice(0, 200)
    }
    if (this.#closed) return
    job.record({ at, copy, attempt, method: b.method, url: job.url, dropped: false, statusCode, error })
    if (error === null || b.retry === 'none') return
    const wait = mtnRetryDelayMs(attempt)
    if (wait !== null) this.#clock.at(this.#clock.now() + wait, () => { this.#try(job, copy, attempt + 1).catch(() => { /* #try records each attempt's error itself */ }) })
  }
}
