import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openTestLedger } from '../helpers/ledger.js'
import { cleanupAfterEach } from '../helpers/cleanup.js'
import { apiCall } from '../helpers/http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { spawnDaemon } from '../helpers/daemon-process.js'

const track = cleanupAfterEach()

interface Payment { pay_to: Array<{ network: string, msisdn: string }> }
interface Modem { id: string, network: string, msisdn: string, imsi: string | null }

const numbers = (p: Payment): string[] => p.pay_to.map((w) => `${w.network} ${w.msisdn}`).sort()

/**
 * Issue 11: live payments told customers to pay the virtual modems' placeholder numbers, and one
 * merchant's operator key listed every merchant's modems (IMSI, IMEI, number). `pay_to` lists only
 * wallets whose SMS can settle a payment of that merchant and mode; `/v1/modems` only the caller's
 * merchant's modems.
 */
describe('modems belong to a merchant and a mode', () => {
  it('puts only wallets that can settle the payment in pay_to, and shows an operator only its merchant\'s modems', async () => {
    const dir = tempDir()
    track.later(dir.cleanup)
    const { ledger, close } = await openTestLedger({ dir: dir.path })
    await ledger.merchants.create({ id: 'default', name: 'Shop' })
    await ledger.merchants.create({ id: 'shop2', name: 'Second shop' })
    const key = async (merchantId: string, mode: 'live' | 'test'): Promise<string> =>
      (await ledger.apiKeys.create({ merchantId, name: 'k', mode, scopes: ['payments:write', 'payments:read', 'operator'] })).secret
    const keys = { live: await key('default', 'live'), test: await key('default', 'test'), shop2: await key('shop2', 'live') }
    await close()

    // Two real modems (their sticks unplugged: the ports do not exist) and the virtual ones.
    const daemon = track.daemon(await spawnDaemon(dir.path, {
      virtual_modems: true,
      modems: [
        { id: 'mtn-1', port: join(dir.path, 'no-such-port-1'), network: 'mtn', msisdn: '0244000001', merchant: 'default' },
        { id: 'telecel-2', port: join(dir.path, 'no-such-port-2'), network: 'telecel', msisdn: '0204000002', merchant: 'shop2' }
      ]
    }))
    const call = async <T>(k: string, method: string, path: string, body?: unknown): Promise<T> => await apiCall<T>(`${daemon.url}${path}`, k, method, body)

    const live = await call<Payment>(keys.live, 'POST', '/v1/payments/initialize', { amount: 10 })
    expect(numbers(live)).toEqual(['mtn 0244000001'])
    const test = await call<Payment>(keys.test, 'POST', '/v1/payments/initialize', { amount: 10 })
    expect(test.pay_to.length).toBeGreaterThan(0)
    expect(numbers(test)).not.toContain('mtn 0244000001')
    const other = await call<Payment>(keys.shop2, 'POST', '/v1/payments/initialize', { amount: 10 })
    expect(numbers(other)).toEqual(['telecel 0204000002'])

    const seenBy = async (k: string): Promise<string[]> => (await call<Modem[]>(k, 'GET', '/v1/modems')).map((m) => m.id).sort()
    expect(await seenBy(keys.shop2)).toEqual(['telecel-2'])
    const mine = await seenBy(keys.live)
    expect(mine).toContain('mtn-1')
    expect(mine).not.toContain('telecel-2')
    const status = await call<{ modems_total: number }>(keys.shop2, 'GET', '/v1/operator/status')
    expect(status.modems_total).toBe(1)
  })
})
