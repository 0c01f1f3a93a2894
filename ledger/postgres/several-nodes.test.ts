import { testSecretKey } from '../../test/secret-key.js'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createAgentIntake, type AgentIntake } from '../../ingest/agent-intake.js'
import { createIngest, type Ingest } from '../../ingest/ingest.js'
import { SIMULATED_SENDER, telcoCreditText } from '../../ingest/telco-wording.js'
import { assembleText } from '../../modem/pdu/assemble.js'
import { encodeDeliver, encodeMultipart } from '../../modem/pdu/encode.js'
import { toPduRecord } from '../../modem/pdu-record.js'
import { emptyCounters } from '../../modem/status.js'
import { createSmsParser } from '../../parsers/index.js'
import { createTestDatabase } from '../../test/helpers/postgres-database.js'
import { createEndpoint } from '../../webhooks/endpoints.js'
import { generateCode } from '../hpn-code.js'
import { IDEMPOTENCY_STALE_CLAIM_MS } from '../idempotency.js'
import type { Ledger } from '../ledger.js'
import { openLedger } from '../open.js'
import { sql, testExecutor } from '../testing.js'

/**
 * Several daemons on one PostgreSQL ledger: each "node" here is a ledger of its own (its own pool,
 * as a separate process has), on one database. What SQLite got from having one writer, these nodes
 * must get from the database: SERIALIZABLE retries, unique indexes claimed with ON CONFLICT, and
 * row locks with SKIP LOCKED for the work queues.
 */

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

const OWNER = { merchantId: 'default', mode: 'live' as const }
const silent = pino({ level: 'silent' })

interface Nodes { a: Ledger, b: Ledger, clock: { now: number } }

async function twoNodes (options: { drawCode?: () => () => string } = {}): Promise<Nodes> {
  const db = await createTestDatabase()
  const clock = { now: Date.now() }
  const open = async (): Promise<Ledger> => {
    const ledger = await openLedger({ path: 'unused.db', url: db.url }, { secretKey: testSecretKey(), now: () => clock.now, drawCode: options.drawCode?.() })
    cleanups.push(async () => { await ledger.close() })
    return ledger
  }
  const a = await open()
  const b = await open()
  await a.merchants.create({ id: 'default', name: 'Shop' })
  return { a, b, clock }
}

function ingestOf (ledger: Ledger): Ingest {
  return createIngest({ ledger, logger: silent, parser: createSmsParser(), holdBrokenChains: false, merchantOf: () => 'default' })
}

describe('several daemons on one PostgreSQL ledger', () => {
  it('hand out unique HPN codes under concurrent initializes, even when both nodes draw the same codes', async () => {
    // Both nodes draw from the same list in the same order: nearly every first draw collides.
    const codes = Array.from({ length: 2_000 }, () => generateCode())
    const { a, b } = await twoNodes({ drawCode: () => { let i = 0; return () => codes[i++ % codes.length] as string } })
    const initialize = async (node: Ledger): Promise<string> => (await node.payments.initialize(OWNER, {
      amountMinor: 1_000, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 600
    })).payment.hpn_code
    const drawn = await Promise.all(Array.from({ length: 16 }, async (_, i) => await initialize(i % 2 === 0 ? a : b)))
    expect(new Set(drawn).size).toBe(16)
    expect(await testExecutor(a).value(sql`SELECT count(DISTINCT hpn_code) FROM payments WHERE status = 'PENDING'`)).toBe(16)
  })

  it('returns one payment for one client_reference initialized on two nodes at once', async () => {
    const { a, b } = await twoNodes()
    const input = { amountMinor: 2_500, currency: 'GHS', clientReference: 'order-77', customerPhone: null, meta: null, expiresInSeconds: 600 }
    const results = await Promise.all([a, b, a, b].map(async (node) => await node.payments.initialize(OWNER, input)))
    expect(new Set(results.map((r) => r.payment.reference)).size).toBe(1)
    expect(results.filter((r) => r.created)).toHaveLength(1)
  })

  it('count a telco transaction once when both nodes receive it at the same moment', async () => {
    const { a, b } = await twoNodes()
    const [ia, ib] = [ingestOf(a), ingestOf(b)]
    for (let i = 0; i < 6; i++) {
      const { payment } = await a.payments.initialize(OWNER, { amountMinor: 5_000, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 600 })
      const text = telcoCreditText({ network: 'mtn', amountMinor: 5_000, reference: payment.hpn_code, payerPhone: '0244111222', payerName: 'KOFI MENSAH', transactionId: `7${String(i).padStart(10, '0')}`, balanceMinor: 5_000 * (i + 1), at: new Date() })
      // The same SMS reaches a modem of each node (two wallets on one payment, a resend).
      await Promise.all([
        ia.ingestText({ merchantId: 'default', mode: 'live', modemId: 'mtn-a', network: 'mtn', sender: SIMULATED_SENDER.mtn, text }, Date.now()),
        ib.ingestText({ merchantId: 'default', mode: 'live', modemId: 'mtn-b', network: 'mtn', sender: SIMULATED_SENDER.mtn, text }, Date.now())
      ])
      expect(await a.payments.getById(payment.id)).toMatchObject({ status: 'SUCCESS', actual_minor: 5_000 })
    }
    const rows = testExecutor(a)
    expect(await rows.all(sql`SELECT status, count(*) AS "n" FROM credits GROUP BY status ORDER BY status`)).toEqual([{ status: 'duplicate', n: 6 }, { status: 'matched', n: 6 }])
  })

  it('settle a stored SMS once when two nodes take it up at once', async () => {
    const { a, b } = await twoNodes()
    const { payment } = await a.payments.initialize(OWNER, { amountMinor: 900, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 600 })
    const text = telcoCreditText({ network: 'mtn', amountMinor: 900, reference: payment.hpn_code, payerPhone: '0244111222', payerName: 'AMA', transactionId: '70000000099', balanceMinor: 900, at: new Date() })
    const sms = await a.smsInbox.storeText({ mode: 'live', modemId: 'mtn-a', network: 'mtn', sender: SIMULATED_SENDER.mtn, text }, Date.now())
    const settled = await Promise.all([ingestOf(a).process(sms, 'default'), ingestOf(b).process(sms, 'default')])
    expect(settled.filter((s) => s !== null)).toHaveLength(1)
    expect(await testExecutor(a).value(sql`SELECT count(*) FROM credits`)).toBe(1)
    expect(await a.payments.getById(payment.id)).toMatchObject({ status: 'SUCCESS', actual_minor: 900 })
  })

  it('store a PDU, and open a multipart group, once when two readers record them at the same moment', async () => {
    const { a, b } = await twoNodes()
    const modem = { id: 'mtn-1', key: 'imsi:620010000000001', network: 'mtn' as const, mode: 'live' as const }
    const rules = { assemble: assembleText }
    const single = toPduRecord(encodeDeliver({ sender: 'MobileMoney', text: 'one part' }), 'SM', 1)
    const outcomes = await Promise.all([a.smsInbox.recordPdu(modem, single, rules), b.smsInbox.recordPdu(modem, single, rules)])
    expect(outcomes.map((o) => o.isNew).sort()).toEqual([false, true])
    const [first, second] = encodeMultipart({ sender: 'MobileMoney', text: 'x'.repeat(200), ref: 9 }).map((p, i) => toPduRecord(p, 'SM', 10 + i))
    const parts = await Promise.all([a.smsInbox.recordPdu(modem, first as never, rules), b.smsInbox.recordPdu(modem, second as never, rules)])
    expect(parts.filter((p) => p.completed !== null)).toHaveLength(1)
    const rows = testExecutor(a)
    expect(await rows.value(sql`SELECT count(*) FROM sms_part_groups`)).toBe(1)
    expect(await rows.all(sql`SELECT text FROM sms_messages ORDER BY id`)).toEqual([{ text: 'one part' }, { text: 'x'.repeat(200) }])
  })

  it('give an Idempotency-Key to one request across nodes, replay its answer on the other, and take over a claim its node left behind', async () => {
    const { a, b, clock } = await twoNodes()
    const begun = await Promise.all([a, b, a, b].map(async (node) => await node.idempotency.begin(OWNER, 'key-1', 'print').then((l) => l.kind, (err: { code: string }) => err.code)))
    expect(begun.sort()).toEqual(['idempotency_key_in_use', 'idempotency_key_in_use', 'idempotency_key_in_use', 'new'])
    const claim = await testExecutor(a).value<number>(sql`SELECT created_at FROM idempotency_keys WHERE key = ${'key-1'}`) as number
    await a.transact(async (tx) => { await tx.idempotency.complete(OWNER, 'key-1', claim, { statusCode: 201, body: '{"data":1}' }) })
    expect(await b.idempotency.begin(OWNER, 'key-1', 'print')).toEqual({ kind: 'replay', response: { statusCode: 201, body: '{"data":1}' } })

    // Node a claims key-2 and dies before answering: after a minute node b takes the claim over,
    // and the old request could no longer store its answer (its change would roll back with it).
    const lost = await a.idempotency.begin(OWNER, 'key-2', 'print')
    await expect(b.idempotency.begin(OWNER, 'key-2', 'print')).rejects.toMatchObject({ code: 'idempotency_key_in_use' })
    clock.now += IDEMPOTENCY_STALE_CLAIM_MS
    const taken = await b.idempotency.begin(OWNER, 'key-2', 'print')
    expect(taken.kind).toBe('new')
    await expect(a.transact(async (tx) => { await tx.idempotency.complete(OWNER, 'key-2', (lost as { claim: number }).claim, { statusCode: 201, body: 'late' }) }))
      .rejects.toMatchObject({ code: 'idempotency_key_in_use' })
    await b.transact(async (tx) => { await tx.idempotency.complete(OWNER, 'key-2', (taken as { claim: number }).claim, { statusCode: 201, body: 'first answer' }) })
    expect(await a.idempotency.begin(OWNER, 'key-2', 'print')).toEqual({ kind: 'replay', response: { statusCode: 201, body: 'first answer' } })
  })

  it('claim each due delivery on exactly one node, and take over the lease of a node that died', async () => {
    const { a, b, clock } = await twoNodes()
    const { endpoint } = await createEndpoint(a, OWNER, { url: 'https://shop.example/hooks' })
    const ids: string[] = []
    for (let i = 0; i < 40; i++) {
      const id = randomUUID()
      ids.push(id)
      await a.webhookDeliveries.insert({ id, webhookId: `whk_${i}`, endpointId: endpoint.id, merchantId: 'default', mode: 'live', eventId: null, eventType: 'webhook.test', body: '{}', maxRetries: null })
    }
    const claim = async (node: Ledger, owner: string): Promise<string[]> => (await node.webhookDeliveries.claimDue(owner, 5_000, 10, () => 10)).map((d) => d.id)
    // Node a's first claim runs alone, so it surely holds leases when it "dies" below; then both
    // nodes claim at once (which round SKIP LOCKED leaves empty is up to the scheduler).
    const heldByA = await claim(a, 'node-a')
    const rounds = await Promise.all([claim(a, 'node-a'), claim(b, 'node-b'), claim(a, 'node-a'), claim(b, 'node-b'), claim(a, 'node-a')])
    const all = [...heldByA, ...rounds.flat()]
    expect(new Set(all).size).toBe(all.length)
    // Whatever SKIP LOCKED passed over in one round is claimed in the next.
    for (let i = 0; i < 4 && all.length < 40; i++) all.push(...await claim(b, 'node-b'))
    expect(all.sort()).toEqual([...ids].sort())

    // Node a dies holding its leases: once they lapse, node b takes them over and node a's late
    // outcomes are refused.
    expect(heldByA.length).toBe(10)
    expect(await claim(b, 'node-b')).toEqual([])
    clock.now += 5_001
    const takenOver = await claim(b, 'node-b')
    expect(takenOver.length).toBeGreaterThan(0)
    const delivery = await a.webhookDeliveries.byId(takenOver[0] as string)
    const late = await a.webhookDeliveries.complete({
      delivery: delivery as NonNullable<typeof delivery>, leaseOwner: 'node-a', startedAt: clock.now,
      result: { statusCode: 200, error: null, responseBody: '', durationMs: 5 }, verdict: { kind: 'delivered' }
    })
    expect(late).toBe(false)
    expect(await testExecutor(a).value(sql`SELECT count(*) FROM webhook_attempts WHERE outcome = 'abandoned'`)).toBe(takenOver.length)
  })

  it('claim each due channel call on exactly one node, and refuse the late verdict of a node whose lease was taken over', async () => {
    const { a, b, clock } = await twoNodes()
    const references: string[] = []
    for (let i = 0; i < 30; i++) {
      const referenceId = randomUUID()
      references.push(referenceId)
      await a.transact(async (tx) => {
        const { payment } = await tx.payments.initialize(OWNER, {
          amountMinor: 1_000 + i, currency: 'GHS', clientReference: null, customerPhone: '0240000100', meta: null, expiresInSeconds: 600,
          channel: { id: 'mtn-gh', type: 'mtn_momo', reference: referenceId }
        })
        await tx.channelTransactions.create({
          kind: 'collection', channelId: 'mtn-gh', channelType: 'mtn_momo', owner: OWNER, paymentId: payment.id, referenceId,
          amountMinor: payment.expected_minor, currency: 'GHS', party: '233240000100', request: {}, note: null
        })
      })
    }
    const claim = async (node: Ledger, owner: string, limit = 8): Promise<string[]> => (await node.channelTransactions.claimDue(owner, 5_000, limit)).map((r) => r.reference_id)
    // As above: node a's first claim alone, so it holds leases when it "dies".
    const heldByA = await claim(a, 'node-a')
    const rounds = await Promise.all([claim(a, 'node-a'), claim(b, 'node-b'), claim(a, 'node-a'), claim(b, 'node-b')])
    const all = [...heldByA, ...rounds.flat()]
    expect(new Set(all).size).toBe(all.length)
    for (let i = 0; i < 6 && all.length < 30; i++) all.push(...await claim(b, 'node-b'))
    expect(all.sort()).toEqual([...references].sort())

    // Node a dies holding its leases; a callback reaching node b brings nothing forward while they
    // hold, and once they lapse node b takes the rows over: node a's late verdict writes nothing.
    expect(heldByA.length).toBe(8)
    const woken = await b.channelTransactions.wake('mtn-gh', heldByA[0] as string, clock.now)
    expect(woken?.lease_owner).toBe('node-a')
    expect(await claim(b, 'node-b')).toEqual([])
    clock.now += 5_001
    expect((await claim(b, 'node-b', 30)).sort()).toEqual([...references].sort())
    const row = await a.channelTransactions.byReference('mtn-gh', heldByA[0] as string)
    const late = await a.transact(async (tx) => await tx.channelTransactions.apply(row as NonNullable<typeof row>, 'node-a', { phase: 'done', nextAt: null, outcome: 'failed', failureReason: 'APPROVAL_REJECTED' }))
    expect(late).toBe(false)
    expect(await b.channelTransactions.byReference('mtn-gh', heldByA[0] as string)).toMatchObject({ phase: 'send', outcome: null, lease_owner: 'node-b' })
  })

  it('expire each due payment once when every node sweeps at the same time', async () => {
    const { a, b, clock } = await twoNodes()
    for (let i = 0; i < 30; i++) {
      await a.payments.initialize(OWNER, { amountMinor: 100 + i, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 60 })
    }
    clock.now += 61_000
    const swept = await Promise.all([a.payments.expireDue(7), b.payments.expireDue(7), a.payments.expireDue(7), b.payments.expireDue(7)])
    let total = swept.reduce((x, y) => x + y, 0)
    for (let n = await b.payments.expireDue(); n > 0; n = await b.payments.expireDue()) total += n
    expect(total).toBe(30)
    const rows = testExecutor(a)
    expect(await rows.value(sql`SELECT count(*) FROM payments WHERE status = 'EXPIRED'`)).toBe(30)
    expect(await rows.value(sql`SELECT count(*) FROM events WHERE type = 'transaction.expired'`)).toBe(30)
  })

  it('accept and settle an agent\'s message once when two nodes take it at the same moment (a retry reaching the other node)', async () => {
    const { a, b } = await twoNodes()
    const key = { keyId: 'key_kumasi', ...OWNER }
    const intakeOf = (ledger: Ledger): AgentIntake => createAgentIntake({ ledger, ingest: ingestOf(ledger), logger: silent, rules: { assemble: assembleText } })
    const [ia, ib] = [intakeOf(a), intakeOf(b)]
    const modem = {
      id: 'mtn-1', port: '/dev/ttyUSB0', network: 'mtn', msisdn: '0244000001', virtual: false, connected: true, signal_dbm: -70, registered: true, sim_ready: true,
      imei: '860000000000001', imsi: '620010000000001', last_sms_at: null, storage_used: 1, storage_total: 30, counters: emptyCounters(), last_error: null
    } as const
    const sent: string[] = []
    for (let i = 0; i < 6; i++) {
      const { payment } = await a.payments.initialize(OWNER, { amountMinor: 4_000 + i, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 600 })
      const tx = `8${String(i).padStart(10, '0')}`
      sent.push(tx)
      const text = telcoCreditText({ network: 'mtn', amountMinor: 4_000 + i, reference: payment.hpn_code, payerPhone: '0244111222', payerName: 'KOFI MENSAH', transactionId: tx, balanceMinor: 50_000 + i, at: new Date() })
      const pdus = encodeMultipart({ sender: SIMULATED_SENDER.mtn, text: `${text} ${'padding '.repeat(20)}`, ref: 40 + i })
      const message = { agentId: 'kumasi', seq: 10 + i, modem, modemKey: 'imsi:620010000000001', pdus, complete: true, storedAt: 1_000 + i }
      const results = await Promise.all([ia.accept(key, message), ib.accept(key, message)])
      expect(results.map((r) => r.duplicate).sort()).toEqual([false, true])
      expect(results[0].smsId).toBe(results[1].smsId)
      expect((await a.payments.getById(payment.id))?.status).toBe('SUCCESS')
    }
    const rows = testExecutor(a)
    expect(await rows.value(sql`SELECT count(*) FROM agent_messages`)).toBe(6)
    expect(await rows.value(sql`SELECT count(*) FROM sms_messages WHERE modem_id = 'kumasi/mtn-1'`)).toBe(6)
    expect(await rows.all(sql`SELECT telco_transaction_id AS tx, status FROM credits ORDER BY id`)).toEqual(sent.map((tx) => ({ tx, status: 'matched' })))
  })
})
