/**
 * Child process for the crash test: runs the real supervisor against a pty modem and SIGKILLs
 * itself right after the first PDU commit, before the session can send AT+CMGD.
 * Usage: vite-node test/support/crash-child.ts <db path> <port path>
 */
import pino from 'pino'
import { openDatabase } from '../../ledger/db.js'
import { SqliteSmsInbox } from '../../ledger/sms-inbox.js'
import type { SmsInboxPort } from '../../modem/inbox-port.js'
import { assembleText } from '../../modem/pdu/assemble.js'
import { ModemSupervisor } from '../../modem/supervisor.js'

const [dbPath, port] = process.argv.slice(2) as [string, string]
const db = openDatabase(dbPath)
const inner = new SqliteSmsInbox(db, { assemble: assembleText, clock: { now: () => Date.now() } })
const inbox: SmsInboxPort = {
  recordPdu: (modem, pdu) => {
    inner.recordPdu(modem, pdu)
    process.kill(process.pid, 'SIGKILL')
    throw new Error('unreachable')
  },
  releaseExpired: (now) => inner.releaseExpired(now),
  unprocessed: () => inner.unprocessed()
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
void supervisor.start()
