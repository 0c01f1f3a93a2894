import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { nextSequence } from '../../modem/virtual/sequence.js'
import type { Executor } from '../../ledger/engine.js'
import { smsInboxPort } from '../../ledger/sms-inbox.js'
import type { CompleteSms, ModemRef, PduRecord, RecordOutcome, SmsInboxPort } from '../../modem/inbox-port.js'
import { assembleText } from '../../modem/pdu/assemble.js'
import { openTestLedger } from '../helpers/ledger.js'

/** Test wiring only (imported by *.test.ts): a real ledger inbox in a temp dir, with commit order recorded. */
export interface TestInbox {
  /** Raw statements for assertions on rows. */
  readonly rows: Executor
  readonly dir: string
  readonly port: SmsInboxPort
  readonly commits: Array<{ seq: number, index: number | null, isNew: boolean }>
  readonly messages: CompleteSms[]
  readonly onMessage: (sms: CompleteSms) => void
  /** A restart: this inbox closes, a new one opens on the same database. */
  reopen: () => Promise<TestInbox>
  cleanup: () => Promise<void>
}

export const silentLogger = pino({ level: 'silent' })

export async function testInbox (dir = mkdtempSync(join(tmpdir(), 'harpoon-modem-')), hooks: { afterCommit?: (pdu: PduRecord) => Promise<void> } = {}): Promise<TestInbox> {
  const test = await openTestLedger({ dir })
  const inner = smsInboxPort(test.ledger, { assemble: assembleText })
  const commits: TestInbox['commits'] = []
  const messages: CompleteSms[] = []
  // Messages marked processed (as ingest would), awaited before the ledger closes.
  const marks: Array<Promise<unknown>> = []
  const port: SmsInboxPort = {
    recordPdu: async (modem: ModemRef, pdu: PduRecord): Promise<RecordOutcome> => {
      const outcome = await inner.recordPdu(modem, pdu)
      commits.push({ seq: nextSequence(), index: pdu.index, isNew: outcome.isNew })
      await hooks.afterCommit?.(pdu)
      return outcome
    },
    recordPdus: async (modem: ModemRef, pdus: readonly PduRecord[]): Promise<RecordOutcome[]> => {
      const outcomes = await inner.recordPdus(modem, pdus)
      // One commit for the batch: every PDU of it is committed from here on.
      pdus.forEach((pdu, i) => commits.push({ seq: nextSequence(), index: pdu.index, isNew: (outcomes[i] as RecordOutcome).isNew }))
      for (const pdu of pdus) await hooks.afterCommit?.(pdu)
      return outcomes
    },
    releaseExpired: async (now) => await inner.releaseExpired(now),
    unprocessed: async () => await inner.unprocessed()
  }
  const close = async (): Promise<void> => {
    await Promise.allSettled(marks)
    await test.close()
  }
  return {
    rows: test.rows,
    dir,
    port,
    commits,
    messages,
    onMessage: (sms) => {
      messages.push(sms)
      marks.push(test.ledger.smsInbox.markProcessed(sms.id, 'other'))
    },
    reopen: async () => { await close(); return await testInbox(dir) },
    cleanup: async () => { await close(); rmSync(dir, { recursive: true, force: true }) }
  }
}

export { until } from '../helpers/wait-for.js'
