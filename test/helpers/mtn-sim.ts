import { randomUUID } from 'node:crypto'
import { afterEach } from 'vitest'
import { MtnMomoClient, type MtnClientConfig, type MtnClientOptions, type RequestToPayInput } from '../../channels/mtn-momo/client.js'
import type { MtnLeg } from '../../channels/mtn-momo/legs.js'
import { SimClock, startMtnSimulator, type MtnSimulator, type MtnSimulatorOptions } from '../../channels/mtn-momo/simulator.js'

export interface MtnRig {
  sim: MtnSimulator
  client: MtnMomoClient
  clock: SimClock
  legs: MtnLeg[]
  /** One call to the simulator's control API: status and parsed JSON (null for an empty body). */
  control: (method: string, path: string, body?: unknown) => Promise<{ status: number, body: any }>
  /** The MTN calls the simulator received, by operation and answer. */
  received: (operation?: string) => Promise<Array<{ operation: string, status: number | string, referenceId: string | null }>>
  /** Another client on the same simulator (other config or options); closed after the test. */
  newClient: (config?: Partial<MtnClientConfig>, options?: MtnClientOptions) => MtnMomoClient
}

/** One call to a simulator's control API at `url`: status and parsed JSON (null for an empty body). */
export function simControl (url: string): (method: string, path: string, body?: unknown) => Promise<{ status: number, body: any }> {
  return async (method, path, body) => {
    const res = await fetch(`${url}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) })
    const text = await res.text()
    return { status: res.status, body: text === '' ? null : JSON.parse(text) }
  }
}

/**
 * Registers an afterEach that closes what `rig` opened. Each rig is a real simulator on a loopback
 * port with a manual clock (time moves only when a test advances it) and a real client over HTTP.
 */
export function mtnRigs (): (options?: MtnSimulatorOptions, clientOptions?: MtnClientOptions) => Promise<MtnRig> {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    while (closers.length > 0) await closers.pop()?.()
  })
  return async (options = {}, clientOptions = {}) => {
    const clock = options.clock ?? new SimClock({ manual: true })
    const sim = await startMtnSimulator({ ...options, clock })
    closers.push(async () => { await sim.close() })
    const legs: MtnLeg[] = []
    const newClient = (config: Partial<MtnClientConfig> = {}, opts: MtnClientOptions = {}): MtnMomoClient => {
      const c = new MtnMomoClient({ ...sim.clientConfig(), ...config }, { clock, onLeg: (leg) => { legs.push(leg) }, ...clientOptions, ...opts })
      closers.push(async () => { await c.close() })
      return c
    }
    const control = simControl(sim.url)
    const received = async (operation?: string): Promise<Array<{ operation: string, status: number | string, referenceId: string | null }>> => {
      const log = (await control('GET', '/_sim/log')).body as Array<{ operation: string, status: number | string, referenceId: string | null }>
      return operation === undefined ? log : log.filter((e) => e.operation === operation)
    }
    return { sim, client: newClient(), clock, legs, control, received, newClient }
  }
}

/** A request to pay with sensible defaults (sandbox: EUR, an ordinary number that approves). */
export function rtp (overrides: Partial<RequestToPayInput> = {}): RequestToPayInput {
  return {
    referenceId: randomUUID(),
    amount: '150.00',
    currency: 'EUR',
    externalId: 'pay_test_1',
    payer: { partyIdType: 'MSISDN', partyId: '46733123400' },
    payerMessage: 'Order 1001',
    payeeNote: 'Kofi Shop',
    ...overrides
  }
}
