/**
 * Child process for the crash test: runs the real supervisor against a pty modem and SIGKILLs
 * itself right after the first commit of PDUs (a listing's batch), before the session can send AT+CMGD.
 * Usage: vite-node test/support/crash-child.ts <database settings as JSON> <port path>
 * (the parent's `testDatabase(dir)`: this process runs outside vitest, so it cannot make its own).
 */
import { testSecretKey } from '../secret-key.js'
import pino from 'pino'
import { smsInboxPort } from '../../ledger/sms-inbox.js'
import type { SmsInboxPort } from '../../modem/inbox-port.js'
import { assembleText } from '../../modem/pdu/assemble.js'
import { ModemSupervisor } from '../../modem/supervisor.js'
import type { DatabaseSettings } from '../../ledger/open.js'
import { openLedger } from '../../ledger/open.js'

const [database, port] = process.argv.slice(2) as [string, string]
const ledger = await openLedger(JSON.parse(database) as DatabaseSettings, { secretKey: testSecretKey() })
const inner = smsInboxPort(ledger, { assemble: assembleText })
const inbox: SmsInboxPort = {
  recordPdu: async (modem, pdu) => {
    await inner.recordPdu(modem, pdu)
    process.kill(process.pid, 'SIGKILL')
    throw new Error('unreachable')
  },
  recordPdus: async (modem, pdus) => {
    await inner.recordPdus(modem, pdus)
    process.kill(process.pid, 'SIGKILL')
    throw new Error('unreachable')
  },
  releaseExpired: inner.releaseExpired,
  unprocessed: inner.unprocessed
}
const supervisor = new ModemSupervisor({
  modems: [{ id: 'telecel-1', port }],
  inbox,
  onMessage: () => {},
  logger: pino({ level: 'silent' }),
  scanIntervalMs: 200,
  commandTimeoutMs: 1000,
  resyncQuietMs: 50
})
await supervisor.start()
