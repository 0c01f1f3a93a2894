import { afterEach } from 'vitest'
import { IpayClient, type IpayConfig, type IpayLeg } from '../../channels/ipay/client.js'
import { startIpaySimulator } from '../../channels/ipay/simulator.js'
import type { SimSettings } from '../../channels/ipay/sim-state.js'
import { startReceiver } from '../webhooks/receiver.js'

/** 31 May 2026, 09:00 UTC: the simulator's clock stands still here unless a test moves it on. */
export const RIG_EPOCH = Date.UTC(2026, 4, 31, 9, 0, 0)

/**
 * The iPay simulator on a loopback port with a frozen clock, a merchant's callback receiver, and a
 * client pointed at both that records every leg. Everything over real HTTP.
 */
export async function ipayRig (options: { settings?: Partial<SimSettings>, vendors?: Record<string, string>, config?: Partial<IpayConfig>, timeoutMs?: number } = {}) {
  const sim = await startIpaySimulator({ clock: { now: () => RIG_EPOCH }, settings: { customerDelayMs: 5_000, ...options.settings }, vendors: options.vendors })
  const receiver = await startReceiver()
  const legs: IpayLeg[] = []
  const config: IpayConfig = { base_url: sim.baseUrl, ipn_url: sim.ipnUrl, vendor_id: 'demo', hash_key: 'demoCHANGED', live: false, currency: 'KES', ...options.config }
  const client = new IpayClient(config, { onLeg: (leg) => legs.push(leg), timeoutMs: options.timeoutMs })

  /** One control-API call (`/_sim/…`), JSON both ways. */
  async function control<T = Record<string, unknown>> (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number, body: T }> {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    return { status: res.status, body: await res.json() as T }
  }

  return {
    sim,
    receiver,
    client,
    legs,
    config,
    control,
    /** Moves the simulator's clock on; resolves once the answers due and their callbacks are done. */
    advance: async (ms: number) => await control('POST', '/_sim/clock', { advance_ms: ms }),
    /** The query of every callback the merchant received, in order. */
    callbacks: (): Array<Record<string, string>> => receiver.requests.map((r) => Object.fromEntries(new URL(r.url, 'http://receiver').searchParams)),
    async close (): Promise<void> {
      await client.close()
      await sim.close()
      await receiver.close()
    }
  }
}

export type IpayRig = Awaited<ReturnType<typeof ipayRig>>

/** A rig factory for one test file: every rig it makes is closed after each test. */
export function ipayRigs (): (options?: Parameters<typeof ipayRig>[0]) => Promise<IpayRig> {
  const open: IpayRig[] = []
  afterEach(async () => { while (open.length > 0) await open.pop()?.close() })
  return async (options = {}) => {
    const r = await ipayRig(options)
    open.push(r)
    return r
  }
}
