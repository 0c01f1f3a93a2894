import pino, { type DestinationStream, type Logger } from 'pino'

/**
 * Structured logs with secrets removed by path, whatever logs them: Authorization headers, API
 * keys, webhook secrets and SIM PINs. The code never logs a secret on purpose; this is the net.
 */
export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers["idempotency-key"]', 'headers.authorization', 'authorization',
  'key', 'secret', 'pin', 'password', 'token',
  '*.key', '*.secret', '*.pin', '*.password', '*.token', '*.authorization',
  'config.modems[*].pin', 'modems[*].pin'
]

export function createLogger (level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'harpoon' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime
  }, destination ?? pino.destination({ dest: 1, sync: false }))
}
