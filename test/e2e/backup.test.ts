import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { cleanupAfterEach } from '../helpers/cleanup.js'
import { apiCall, firstKey } from '../helpers/http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { CLI, spawnDaemon, type DaemonProcess } from '../helpers/daemon-process.js'

const run = promisify(execFile)
const track = cleanupAfterEach()

interface Payment { reference: string, hpn_code: string, status: string, expected_amount: string, actual_amount: string | null, credits: Array<{ amount: string }> }
interface Summary { path: string, bytes: number, integrity: string, counts: Record<string, number>, payments_by_status: Record<string, number> }

async function allPayments (daemon: DaemonProcess, key: string): Promise<Payment[]> {
  const out: Payment[] = []
  let cursor: string | null = null
  do {
    const res = await fetch(`${daemon.url}/v1/payments?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`, { headers: { authorization: `Bearer ${key}` } })
    const page = await res.json() as { data: Payment[], next_cursor: string | null }
    out.push(...page.data)
    cursor = page.next_cursor
  } while (cursor !== null)
  return out
}

// Traffic runs flat out: lift the per-key rate limit so the test measures backups, not 429s.
const CONFIG = { virtual_modems: false, api: { port: 0, rate_limit: { max: 100_000, window_ms: 1000 } } }

const summary = (p: Payment) => ({ reference: p.reference, status: p.status, expected: p.expected_amount, actual: p.actual_amount, credits: p.credits.map((c) => c.amount) })

async function backup (config: string, path: string, ...extra: string[]): Promise<Summary> {
  const { stdout } = await run(process.execPath, [CLI, 'backup', path, '--json', '--config', config, ...extra])
  return JSON.parse(stdout) as Summary
}

describe('harpoon backup', () => {
  it('copies a database online while the daemon writes, and a daemon started from the copy has every payment', async () => {
    const dir = tempDir()
    track.later(dir.cleanup)
    const daemon = track.daemon(await spawnDaemon(dir.path, CONFIG))
    const key = firstKey(daemon.output())
    const config = join(dir.path, 'harpoon.json')

    // Traffic: payments created and paid (exactly, short, or not at all) without pause until told to stop.
    let stop = false
    let made = 0
    let failure: unknown = null
    const traffic = (async () => {
      while (!stop) {
        const p = await apiCall<Payment>(`${daemon.url}/v1/payments/initialize`, key, 'POST', { amount: '100.00', client_reference: `order-${made}` })
        const pay = made % 3
        made++
        if (pay < 2) await apiCall(`${daemon.url}/v1/test/sms`, key, 'POST', { network: 'mtn', amount: pay === 0 ? '100.00' : '60.00', reference: p.hpn_code })
      }
    })().catch((err: unknown) => { failure = err })
    const until = async (n: number): Promise<void> => {
      while (made < n) {
        if (failure !== null) throw failure
        await new Promise((r) => setTimeout(r, 20))
      }
    }

    await until(30)
    const during = await backup(config, join(dir.path, 'during.db'))
    const madeAtBackup = made
    await until(madeAtBackup + 15)
    stop = true
    await traffic
    if (failure !== null) throw failure
    expect(during.integrity).toBe('ok')
    // The copy was taken mid-traffic: it holds some payments, and the daemon went on to make more.
    expect(during.counts['payments']).toBeGreaterThanOrEqual(30)
    expect(during.counts['payments']).toBeLessThan(made)

    // Idle now (the daemon still running): a second copy must equal the live database exactly.
    const idle = await backup(config, join(dir.path, 'idle.db'))
    const live = await allPayments(daemon, key)
    expect(idle.counts['payments']).toBe(live.length)
    expect(live.length).toBe(made)
    expect(new Set(live.map((p) => p.status))).toEqual(new Set(['SUCCESS', 'PARTIAL', 'PENDING']))

    // It refuses to overwrite without --force, and replaces with it.
    await expect(backup(config, join(dir.path, 'idle.db'))).rejects.toThrow(/already exists.*--force/s)
    expect((await backup(config, join(dir.path, 'idle.db'), '--force')).counts['payments']).toBe(made)
    expect(readdirSync(dir.path).filter((f) => f.includes('.partial-'))).toEqual([])

    daemon.child.kill('SIGTERM')
    await daemon.exited

    // A daemon started from each copy serves every payment it holds, with the same statuses and amounts.
    for (const [name, copy] of [['idle.db', idle], ['during.db', during]] as const) {
      const restoredDir = tempDir()
      track.later(restoredDir.cleanup)
      const db = join(restoredDir.path, 'harpoon.db')
      // Restore as the README says: the copy becomes the database file.
      await run('cp', [join(dir.path, name), db])
      const restored = track.daemon(await spawnDaemon(restoredDir.path, CONFIG))
      // The same key works: the copy has the keys table too; no new first-start key was made.
      expect(restored.output()).not.toMatch(/hpn_test_sk_/)
      const payments = await allPayments(restored, key)
      expect(payments).toHaveLength(copy.counts['payments'] as number)
      const byStatus: Record<string, number> = {}
      for (const p of payments) byStatus[p.status] = (byStatus[p.status] ?? 0) + 1
      expect(byStatus).toEqual(copy.payments_by_status)
      if (name === 'idle.db') {
        expect(payments.map(summary)).toEqual(live.map(summary))
      } else {
        // A mid-traffic copy is one consistent moment: every payment it holds is in the live
        // database, and every paid payment carries the credit that paid it.
        const liveByRef = new Map(live.map((p) => [p.reference, p]))
        for (const p of payments) {
          expect(liveByRef.get(p.reference)?.expected_amount).toBe(p.expected_amount)
          if (p.status !== 'PENDING') expect(p.credits.map((c) => c.amount)).toEqual([p.actual_amount])
        }
      }
      restored.child.kill('SIGTERM')
      await restored.exited
    }
    expect(existsSync(join(dir.path, 'harpoon.db'))).toBe(true)
  }, 120_000) // three daemon starts and four CLI runs: room for a loaded machine (no timing is asserted)
})
