import type { Logger } from 'pino'

/**
 * The log of a step that a poll loop retries every round (claiming due rows while the database is
 * away): the failure is logged when it starts and then every `everyMs`, not twice a second, and its
 * end once, with how long it lasted.
 */
export class RepeatedFailureLog {
  readonly #logger: Logger
  readonly #now: () => number
  readonly #everyMs: number
  readonly #failed: string
  readonly #recovered: string
  #failing: { since: number, logged: number } | null = null

  constructor (o: { logger: Logger, now: () => number, failed: string, recovered: string, everyMs?: number }) {
    this.#logger = o.logger
    this.#now = o.now
    this.#failed = o.failed
    this.#recovered = o.recovered
    this.#everyMs = o.everyMs ?? 30_000
  }

  failed (err: unknown): void {
    const t = this.#now()
    if (this.#failing !== null && t - this.#failing.logged < this.#everyMs) return
    this.#logger.error({ err }, this.#failed)
    this.#failing = { since: this.#failing?.since ?? t, logged: t }
  }

  succeeded (): void {
    if (this.#failing === null) return
    this.#logger.info({ failing_for_ms: this.#now() - this.#failing.since }, this.#recovered)
    this.#failing = null
  }
}
