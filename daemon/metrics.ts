import { Gauge } from 'prom-client'
import type { Metrics } from '../api/metrics.js'
import type { ModemStatus } from '../api/routes/system.js'
import type { LedgerStats } from '../ledger/stats.js'

/**
 * The operator's view in Prometheus: modem health per modem, and what the inbox and the ledger hold.
 * Values are read at scrape time (prom-client awaits an async `collect`), so they can never drift
 * from the truth.
 */
export function registerDaemonMetrics (metrics: Metrics, modems: () => readonly ModemStatus[], stats: LedgerStats): void {
  const registers = [metrics.registry]

  new Gauge({
    name: 'harpoon_modem_connected', help: '1 when the modem answers on its port', labelNames: ['modem', 'network', 'virtual'] as const, registers,
    collect () { this.reset(); for (const m of modems()) this.set({ modem: m.id, network: m.network ?? 'unknown', virtual: String(m.virtual === true) }, m.connected ? 1 : 0) }
  })
  new Gauge({
    name: 'harpoon_modem_signal_dbm', help: 'Signal strength reported by AT+CSQ', labelNames: ['modem'] as const, registers,
    collect () { this.reset(); for (const m of modems()) if (m.signal_dbm !== null) this.set({ modem: m.id }, m.signal_dbm) }
  })
  new Gauge({
    name: 'harpoon_modem_storage_used_ratio', help: 'Share of SIM message storage in use (alarm before it fills)', labelNames: ['modem'] as const, registers,
    collect () { this.reset(); for (const m of modems()) if (m.storage_used !== null && m.storage_total !== null && m.storage_total > 0) this.set({ modem: m.id }, m.storage_used / m.storage_total) }
  })
  new Gauge({
    name: 'harpoon_modem_events', help: 'Per-modem counters since start (received, duplicates, undecodable, deleted, timeouts, reconnects, …)', labelNames: ['modem', 'counter'] as const, registers,
    collect () { this.reset(); for (const m of modems()) for (const [k, v] of Object.entries(m.counters)) this.set({ modem: m.id, counter: k }, v) }
  })
  new Gauge({
    name: 'harpoon_sms_stored', help: 'SMS in the inbox by outcome (untrusted and unparsed ones need an operator\'s eye)', labelNames: ['outcome'] as const, registers,
    async collect () {
      const rows = await stats.smsByOutcome()
      this.reset()
      for (const r of rows) this.set({ outcome: r.outcome ?? 'pending' }, r.count)
    }
  })
  new Gauge({ name: 'harpoon_credits_unmatched', help: 'Telco credits no payment claimed', registers, async collect () { this.set(await stats.creditCount('unmatched')) } })
  new Gauge({ name: 'harpoon_payments_pending', help: 'PENDING payments', registers, async collect () { this.set(await stats.paymentCount('PENDING')) } })
  new Gauge({ name: 'harpoon_payments_manual_review', help: 'Payments waiting for an operator', registers, async collect () { this.set(await stats.paymentCount('MANUAL_REVIEW')) } })
}
