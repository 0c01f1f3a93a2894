import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino'

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

const SECRET_IN_TEXT = /(hpn_(?:live|test)_(?:sk|pk)_|whsec_)[0-9A-Za-z+/=_-]+/g
/** A hosted checkout link's token: whoever holds the link sees the payment, so it stays out of logs too. */
const CHECKOUT_TOKEN = /(\/checkout\/)[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g

/** Masks API keys, webhook secrets and checkout tokens inside free text (a client may paste a key into a URL). */
export function maskSecrets (text: string): string {
  return text.replace(SECRET_IN_TEXT, '$1[redacted]').replace(CHECKOUT_TOKEN, '$1[redacted]')
}

interface LoggedRequest { method?: string, url?: string, hostname?: string, host?: string, ip?: string, socket?: { remotePort?: number } }

export function loggerOptions (level: string): LoggerOptions {
  return {
    level,
    base: { service: 'harpoon' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: {
      err: pino.stdSerializers.err,
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: maskSecrets(req.url ?? ''),
        host: req.host ?? req.hostname,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort
      })
    }
  }
}

export function createLogger (level: string, destination?: DestinationStream): Logger {
  return pino(loggerOptions(level), destination ?? pino.destination({ dest: 1, sync: false }))
}
