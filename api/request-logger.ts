import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString } from 'pino'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

function write (logger: FastifyBaseLogger, level: Level, args: unknown[]): void {
  (logger[level] as (...a: unknown[]) => void).apply(logger, args)
}

/**
 * A request's logger, made only when the request logs something. Fastify gives every request a
 * pino child carrying its `reqId`; making one costs a redaction pass over the bindings (the
 * daemon's wildcard redact paths, daemon/logger.ts) and a few kilobytes of garbage, and a
 * successful read logs nothing at all (api/access-log.ts). The first call makes the child, with
 * the bindings Fastify would have given it, so every line it writes is unchanged.
 */
class LazyRequestLogger implements FastifyBaseLogger {
  readonly #parent: FastifyBaseLogger
  readonly #bindings: Bindings
  #child: FastifyBaseLogger | undefined

  constructor (parent: FastifyBaseLogger, bindings: Bindings) {
    this.#parent = parent
    this.#bindings = bindings
  }

  get #logger (): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings)
    return this.#child
  }

  get level (): LevelWithSilentOrString { return this.#child?.level ?? this.#parent.level }
  set level (level: LevelWithSilentOrString) { this.#logger.level = level }

  fatal (...args: unknown[]): void { write(this.#logger, 'fatal', args) }
  error (...args: unknown[]): void { write(this.#logger, 'error', args) }
  warn (...args: unknown[]): void { write(this.#logger, 'warn', args) }
  info (...args: unknown[]): void { write(this.#logger, 'info', args) }
  debug (...args: unknown[]): void { write(this.#logger, 'debug', args) }
  trace (...args: unknown[]): void { write(this.#logger, 'trace', args) }
  silent (): void {}

  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger.child(bindings, options)
  }
}

/**
 * Fastify's `childLoggerFactory`. A route with its own log level or serializers gets its child at
 * once (Fastify passes them as options); every other request gets the lazy one.
 */
export function lazyRequestLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return hasAny(options) ? logger.child(bindings, options) : new LazyRequestLogger(logger, bindings)
}

/** Whether the object has an enumerable property (without building the array of its keys, as every request would). */
function hasAny (options: object): boolean {
  for (const _ in options) return true
  return false
}
