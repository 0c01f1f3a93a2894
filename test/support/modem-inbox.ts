import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { nextSequence } from '../../modem/virtual/sequence.js'
import { openDatabase, type Db } from '../../ledger/db.js'
import { SqliteSmsInbox } from '../../ledger/sms-inbox.js'
import type { CompleteSms, ModemRef, PduRecord, RecordOutcome, SmsInboxPort } from '../../modem/inbox-port.js'
import { assembleText } from '../../modem/pdu/assemble.js'

/** Test wiring only (imported by *.test.ts): a real SQLite inbox in a temp dir, with commit order recorded. */
export interface TestInbox {
  readonly db: Db
  readonly path: string
  readonly port: SmsInboxPort
  readonly commits: Array<{ seq: number, index: number | null, isNew: boolean }>
  readonly messages: CompleteSms[]
  readonly onMessage: (sms: CompleteSms) => void
  reopen: () => TestInbox
  cleanup: () => void
}

export const silentLogger = pino({ level: 'silent' })

export function testInbox (dir = mkdtempSync(join(tmpdir(), 'harpoon-modem-')), hooks: { afterCommit?: (pdu: PduRecord) => Promise<void> } = {}): TestInbox {
  const path = join(dir, 'harpoon.db')
  const db = openDatabase(path)
  const inner = new SqliteSmsInbox(db, { assemble: assembleText, clock: { now: () => Date.now() } })
  const commits: TestInbox['commits'] = []
  const messages: CompleteSms[] = []
  const port: SmsInboxPort = {
    recordPdu: async (modem: ModemRef, pdu: PduRecord): Promise<RecordOutcome> => {
      const outcome = inner.recordPdu(modem, pdu)
      commits.push({ seq: nextSequence(), index: pdu.index, isNew: outcome.isNew })
      await hooks.afterCommit?.(pdu)
      return outcome
    },
    releaseExpired: (now) => inner.releaseExpired(now),
    unprocessed: () => inner.unprocessed()
  }
  return {
    db,
    path,
    port,
    commits,
    messages,
    onMessage: (sms) => { messages.push(sms); inner.markProcessed(sms.id, 'other') },
    reopen: () => { if (db.open) db.close(); return testInbox(dir) },
    cleanup: () => { if (db.open) db.close(); rmSync(dir, { recursive: true, force: true }) }
  }
}

export { until } from '../helpers/wait-for.js'
