import { DatabaseUnavailableError } from '../engine.js'

/**
 * How the PostgreSQL engine reads the errors of `pg`: SQLSTATE codes from the server, Node socket
 * codes and a few messages of `pg`/`pg-pool` itself (they carry no code).
 */

/** Node socket errors: the server is not there, or the network between is not. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED'])

/**
 * SQLSTATEs of a server that is going away or not taking work: admin_shutdown, crash_shutdown,
 * cannot_connect_now (starting up or recovering), idle_session_timeout, too_many_connections; the
 * whole class 08 is connection exceptions.
 */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '57P05', '53300'])

/** Messages of `pg` and `pg-pool` for a connection that is gone or never came. */
const MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Connection lost)/

function causes (err: unknown): unknown[] {
  const chain: unknown[] = []
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    chain.push(e)
    // Node's connect to several addresses (localhost = ::1 and 127.0.0.1) fails with an AggregateError.
    if (e instanceof AggregateError) chain.push(...e.errors)
    e = (e as { cause?: unknown }).cause
  }
  return chain
}

/** True when `err` means the database cannot be reached or refused service right now. */
export function isUnavailable (err: unknown): boolean {
  return causes(err).some((e) => {
    if (e instanceof DatabaseUnavailableError) return true
    if (typeof e !== 'object' || e === null) return false
    const { code, syscall, message } = e as { code?: unknown, syscall?: unknown, message?: unknown }
    if (typeof code === 'string') {
      if (SOCKET_CODES.has(code) || SERVER_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true
      // A unix socket whose server is stopped: the socket file is gone.
      if (code === 'ENOENT' && syscall === 'connect') return true
    }
    return typeof message === 'string' && MESSAGES.test(message)
  })
}

/**
 * True when `pg` refused to send the statement because it already knew the connection was gone: a
 * COMMIT that failed so never reached the server, and the transaction is known to be rolled back.
 */
export function wasNeverSent (err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message
  return typeof message === 'string' && /^(Client has encountered a connection error|Client was closed)/.test(message)
}

/**
 * 'serialization_failure' (40001) or 'deadlock_detected' (40P01) when `err` says the transaction
 * lost a race and will succeed if run again from the start; otherwise undefined.
 */
export function isRetryableConflict (err: unknown): string | undefined {
  for (const e of causes(err)) {
    const code = (e as { code?: unknown } | null)?.code
    if (code === '40001') return 'serialization_failure'
    if (code === '40P01') return 'deadlock_detected'
  }
  return undefined
}

/**
 * True for "cached plan must not change result type" (feature_not_supported, 0A000): a statement
 * this connection prepared returns other column types since the schema changed (a node migrated).
 * Preparing it again fixes it; the transaction it happened in is aborted.
 */
export function isStalePlan (err: unknown): boolean {
  return causes(err).some((e) => {
    const { code, message } = (e ?? {}) as { code?: unknown, message?: unknown }
    return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type')
  })
}
