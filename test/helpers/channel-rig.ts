import pino from 'pino'
import { afterEach } from 'vitest'
import type { Channel } from '../../channels/channel.js'
import { startCollection, startRefund } from '../../channels/collect.js'
import { providerLegRecorder } from '../../channels/legs.js'
import { MtnMomoChannel } from '../../channels/mtn-momo/channel.js'
import { SimClock, startMtnSimulator, type MtnSimulator, type MtnSimulatorOptions } from '../../channels/mtn-momo/simulator.js'
import { OutboundWorker, type OutboundSettings } from '../../channels/outbound.js'
import type { Ledger } from '../../ledger/ledger.js'
import type { PaymentRow } from '../../ledger/payment-model.js'
import { openTestLedger, type TestLedger } from './ledger.js'
import { waitFor } from './wait-for.js'
import { simControl } from './mtn-sim.js'

/** Fast schedules: the worker's timing comes from here, never from a sleep in a test. */
export const FAST_CALLS: OutboundSettings = {
  timeout_ms: 1_500, retry_schedule: [0.02, 0.05, 0.1], status_schedule: [0.05, 0.1, 0.2], poll_interval_ms: 20, concurrency: 4, give_up_after_hours: 24
}

export interface ChannelRig {
  ledger: Ledger
  test: TestLedger
  sim: MtnSimulator
  /** The simulator's time: decisions, approval windows and token expiry move only when advanced. */
  simClock: SimClock
  channel: Channel
  worker: OutboundWorker
  /** The daemon's own time (payment expiry, schedules): a real clock plus `skip`. */
  skip: (ms: number) => void
  control: (method: string, path: string, body?: unknown) => Promise<{ status: number, body: any }>
  /** A test-mode payment of merchant `default` collected through the channel. */
  collect: (phone: string, amount?: number, expiresInSeconds?: number) => Promise<PaymentRow>
  refund: (payment: PaymentRow, amountMinor: number) => Promise<void>
  payment: (id: number) => Promise<PaymentRow>
  /** Waits until the payment's row satisfies `done`. */
  until: (id: number, done: (p: PaymentRow) => boolean, what: string) => Promise<PaymentRow>
}

/**
 * The channel layer in process over real parts: a migrated ledger on disk, the MTN simulator on a
 * loopback port (manual clock), the MTN channel speaking HTTP to it, and the outbox worker running.
 * Closed after each test.
 */
export function channelRigs (): (options?: MtnSimulatorOptions & { settings?: MtnSimulatorOptions['settings'] }, calls?: Partial<OutboundSettings>) => Promise<ChannelRig> {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => { while (closers.length > 0) await closers.pop()?.() })
  return async (options = {}, calls = {}) => {
    let offset = 0
    const now = (): number => Date.now() + offset
    const test = await openTestLedger({ now })
    closers.push(async () => { await test.cleanup() })
    const { ledger } = test
    await ledger.merchants.create({ id: 'default', name: 'Shop' })
    const simClock = new SimClock({ manual: true })
    const sim = await startMtnSimulator({ environment: 'sandbox', ...options, clock: simClock })
    closers.push(async () => { await sim.close() })
    const logger = pino({ level: 'silent' })
    const channel = new MtnMomoChannel({
      id: 'mtn-test', mode: 'test', merchant: 'default', base_url: sim.url, target_environment: sim.environment, currency: sim.currency,
      country: sim.environment === 'sandbox' ? null : 'GH', collection: sim.credentials.collection, disbursement: sim.credentials.disbursement, callback_url: null
    }, { timeoutMs: (calls.timeout_ms ?? FAST_CALLS.timeout_ms), onLeg: providerLegRecorder(ledger.audit, 'mtn-test', logger) })
    closers.push(async () => { await channel.close() })
    const worker = new OutboundWorker({ ledger, channels: { get: (id) => id === channel.id ? channel : undefined }, logger, settings: { ...FAST_CALLS, ...calls }, now })
    worker.start()
    closers.push(async () => { await worker.stop(0) })
    const owner = { merchantId: 'default', mode: 'test' as const }
    const payment = async (id: number): Promise<PaymentRow> => await ledger.payments.getById(id) as PaymentRow
    return {
      ledger,
      test,
      sim,
      simClock,
      channel,
      worker,
      skip: (ms) => { offset += ms },
      control: simControl(sim.url),
      collect: async (phone, amount = 15_000, expiresInSeconds = 3600) => {
        const display = channel.displayPhone(phone)
        if (display === null) throw new Error(`${phone} is not a number of the rig's channel`)
        return await ledger.transact(async (tx) => (await startCollection(tx, channel, owner, {
          amountMinor: amount, currency: channel.currency, customerPhone: display, clientReference: null, meta: null, expiresInSeconds
        }, () => { worker.wake() })).payment)
      },
      refund: async (p, amountMinor) => {
        await ledger.transact(async (tx) => { await startRefund(tx, channel, await tx.payments.getById(p.id) as PaymentRow, amountMinor, null, () => { worker.wake() }) })
      },
      payment,
      until: async (id, done, what) => await waitFor(async () => { const p = await payment(id); return done(p) ? p : undefined }, what, 20_000, 20)
    }
  }
}
