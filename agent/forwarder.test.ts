import { join } from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { openAgentStore, type AgentStore } from '../ledger/agent/store.js'
import { sql } from '../ledger/testing.js'
import type { ModemRef } from '../modem/inbox-port.js'
import { assembleText } from '../modem/pdu/assemble.js'
import { encodeDeliver } from '../modem/pdu/encode.js'
import { toPduRecord } from '../modem/pdu-record.js'
import { emptyCounters } from '../modem/status.js'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'
import { tempDir } from '../test/helpers/temp-dir.js'
import { until } from '../test/helpers/wait-for.js'
import { CentralClient, type CallResult } from './central-client.js'
import { checkCentralUrl } from './central-url.js'
import { Forwarder } from './forwarder.js'
import { Link } from './link.js'
import type { MessageBody, MessageReply, ModemReport } from './protocol.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()?.() })

const modems: ModemRef[] = [
  { id: 'mtn-1', key: 'imsi:620010000000001', network: 'mtn', mode: 'live' },
  { id: 'mtn-2', key: 'imsi:620010000000002', network: 'mtn', mode: 'live' }
]

function status (id: string): ModemReport {
  return {
    id, port: `/dev/${id}`, network: 'mtn', msisdn: '0244000001', virtual: false, connected: true, signal_dbm: -70, registered: true, sim_ready: true,
    imei: null, imsi: null, last_sms_at: null, storage_used: null, storage_total: null, counters: emptyCounters(), last_error: null
  }
}

interface Rig { api: TestApi, store: AgentStore, client: CentralClient, link: Link, start: (forward: (b: MessageBody) => Promise<CallResult<MessageReply>>) => Promise<Forwarder> }

async function rig (): Promise<Rig> {
  const api = await startTestApi()
  cleanups.push(async () => { await api.close() })
  const dir = tempDir('harpoon-forwarder-')
  cleanups.push(dir.cleanup)
  const store = await openAgentStore(join(dir.path, 'agent.db'))
  cleanups.push(async () => { await store.close() })
  const client = new CentralClient({ url: checkCentralUrl(api.url), key: await api.key({ mode: 'live', scopes: ['agent'] }), timeoutMs: 5_000, version: 'test' })
  cleanups.push(async () => { await client.close() })
  const logger = pino({ level: 'silent' })
  let forwarder: Forwarder | null = null
  const link = new Link(logger, () => { forwarder?.wakeAll() })
  return {
    api, store, client, link,
    start: async (forward) => {
      forwarder = new Forwarder({ store, forward, agentId: 'kumasi', modemStatus: (item) => status(item.modemId), link, logger, backoff: { initialMs: 20, maxMs: 60_000 } })
      cleanups.push(async () => { await forwarder?.stop() })
      await forwarder.start()
      return forwarder
    }
  }
}

async function storeMessages (store: AgentStore, modem: ModemRef, texts: readonly string[]): Promise<void> {
  const port = store.inboxPort({ assemble: assembleText })
  for (const [i, text] of texts.entries()) await port.recordPdu(modem, toPduRecord(encodeDeliver({ sender: '+233244000000', text }), 'SM', i))
}

describe('the forwarder', () => {
  it('keeps everything through an outage, then sends each modem\'s messages in order as soon as the central answers', async () => {
    const r = await rig()
    let down = true
    const attempts = new Map<string, number>()
    const forwarder = await r.start(async (body) => {
      attempts.set(body.modem.id, (attempts.get(body.modem.id) ?? 0) + 1)
      return down ? { kind: 'unavailable', error: 'ECONNREFUSED', retryAfterMs: null } : await r.client.forward(body)
    })
    await storeMessages(r.store, modems[0] as ModemRef, ['a1', 'a2', 'a3'])
    await storeMessages(r.store, modems[1] as ModemRef, ['b1', 'b2'])
    forwarder.wake('mtn-1')
    forwarder.wake('mtn-2')
    // Both lanes keep trying with growing waits; nothing leaves the store.
    await until(() => (attempts.get('mtn-1') ?? 0) >= 4 && (attempts.get('mtn-2') ?? 0) >= 4, 'retries on both lanes')
    expect((await r.store.backlog()).pending).toBe(5)
    // The central is back: one call getting through (a heartbeat) wakes every lane out of its back-off,
    // which by now is far longer than this test waits.
    down = false
    r.link.up(async () => 5)
    await until(async () => (await r.store.backlog()).pending === 0, 'the backlog to drain')
    const rows = await r.api.rows.all<{ modem_id: string, text: string }>(sql`SELECT modem_id, text FROM sms_messages ORDER BY id`)
    expect(rows.filter((m) => m.modem_id === 'kumasi/mtn-1').map((m) => m.text)).toEqual(['a1', 'a2', 'a3'])
    expect(rows.filter((m) => m.modem_id === 'kumasi/mtn-2').map((m) => m.text)).toEqual(['b1', 'b2'])
  })

  it('sends a message again when the answer was lost after the central committed, and the central counts it once', async () => {
    const r = await rig()
    let lose = 1
    const answers: Array<CallResult<MessageReply>> = []
    const forwarder = await r.start(async (body) => {
      const result = await r.client.forward(body)
      answers.push(result)
      if (result.kind === 'ok' && lose-- > 0) return { kind: 'unavailable', error: 'socket hang up', retryAfterMs: null }
      return result
    })
    await storeMessages(r.store, modems[0] as ModemRef, ['only once'])
    forwarder.wake('mtn-1')
    await until(async () => (await r.store.backlog()).pending === 0, 'the message to be acknowledged')
    expect(answers.map((a) => a.kind === 'ok' ? a.data.duplicate : a.kind)).toEqual([false, true])
    expect(await r.api.rows.value(sql`SELECT COUNT(*) FROM sms_messages`)).toBe(1)
  })

  it('holds a message the central refuses, and the ones behind it, until it is skipped by hand', async () => {
    const r = await rig()
    const sent: string[] = []
    const forwarder = await r.start(async (body) => {
      sent.push(body.pdus[0] as string)
      const text = toPduRecord(body.pdus[0] as string, null, null).decoded?.text
      return text === 'first' ? { kind: 'refused', error: 'pdus[0] is not a PDU' } : await r.client.forward(body)
    })
    await storeMessages(r.store, modems[0] as ModemRef, ['first', 'second'])
    forwarder.wake('mtn-1')
    await until(() => sent.length >= 1, 'the first attempt')
    const first = await r.store.next('mtn-1')
    expect(first?.pdus[0]).toBe(sent[0])
    // The refused one waits the long back-off; taking it out of the queue lets the next one go.
    expect(await r.store.refused(first?.seq as number, 'skipped by an operator')).toBe(true)
    forwarder.wake('mtn-1')
    await until(async () => (await r.store.backlog()).pending === 0, 'the second message to go')
    expect(await r.api.rows.all(sql`SELECT text FROM sms_messages`)).toEqual([{ text: 'second' }])
    expect(sent.filter((p) => p === sent[0]).length).toBe(sent.length - 1)
  })
})
