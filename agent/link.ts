import type { Logger } from 'pino'

/**
 * Whether the central is answering, as every call sees it, so an outage is logged once when it
 * starts and once when it ends (not at every retry), and the moment any call gets through, every
 * lane waiting out its back-off is woken: the backlog drains at full speed, not at back-off pace.
 */
export class Link {
  readonly #log: Logger
  readonly #onRecover: () => void
  #downSince: number | null = null
  #rejected = new Map<string, number>()

  constructor (logger: Logger, onRecover: () => void) {
    this.#log = logger
    this.#onRecover = onRecover
  }

  get down (): boolean { return this.#downSince !== null }

  /** A call got its answer. */
  up (backlog: () => Promise<number>): void {
    const since = this.#downSince
    this.#rejected.clear()
    if (since === null) return
    this.#downSince = null
    this.#onRecover()
    void backlog().then((pending) => {
      this.#log.info({ down_for_s: Math.round((Date.now() - since) / 1000), pending }, 'agent: the central answers again; forwarding what was stored meanwhile')
    }, () => {})
  }

  /** No answer, or the central failing (5xx, 429): what was stored stays stored and is sent again. */
  unavailable (error: string): void {
    if (this.#downSince !== null) {
      this.#log.debug({ error }, 'agent: the central is still not answering')
      return
    }
    this.#downSince = Date.now()
    this.#log.warn({ error }, 'agent: cannot reach the central; SMS are stored here and forwarded, in order, when it answers')
  }

  /**
   * The central answered but refuses (a revoked key, another merchant's agent id, a body it calls
   * malformed): nothing moves until a person acts. Logged as an error at most once a minute per reason.
   */
  refused (what: string, code: string, error: string, hint: string): void {
    const key = `${what}:${code}`
    const last = this.#rejected.get(key) ?? 0
    if (Date.now() - last < 60_000) return
    this.#rejected.set(key, Date.now())
    this.#log.error({ what, code, error, hint }, 'agent: the central refuses this agent\'s request; retrying slowly until it is fixed')
  }
}
