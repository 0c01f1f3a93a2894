import { Type, type Static } from '@sinclair/typebox'
import { formatAmount } from '../core/money.js'
import { isoOrNull, isoSeconds } from '../core/time.js'
import type { Overview } from '../ledger/stats.js'
import { nullable } from './schemas.js'

const HOUR_MS = 3_600_000

/** Confirmation-time buckets the chart shows: upper bounds in seconds (the last is open). */
const BUCKETS: ReadonlyArray<[string, number]> = [['< 10 s', 10], ['10–30 s', 30], ['30 s–1 min', 60], ['1–5 min', 300], ['5–15 min', 900], ['15–60 min', 3600], ['> 1 h', Infinity]]

export const OverviewSchema = Type.Object({
  generated_at: Type.String({ format: 'date-time' }),
  money: Type.Array(Type.Object({ network: Type.String(), channel: Type.String({ description: '"sms" or the channel id' }), currency: Type.String(), today: Type.String(), week: Type.String() }),
    { description: 'credits received (duplicates excluded) since 00:00 UTC and in the last 7 days' }),
  payments_by_status: Type.Array(Type.Object({ status: Type.String(), count: Type.Integer() }), { description: 'payments created in the last 7 days' }),
  confirmation: Type.Object({
    count: Type.Integer(),
    median_seconds: nullable(Type.Number()),
    p90_seconds: nullable(Type.Number()),
    buckets: Type.Array(Type.Object({ label: Type.String(), count: Type.Integer() }))
  }, { description: 'from the telco\'s send time of each credit of the last 7 days to its being applied to a payment' }),
  unmatched: Type.Object({ count: Type.Integer(), amount: Type.String(), oldest_at: nullable(Type.String()) }),
  webhooks: Type.Object({
    success_rate: nullable(Type.Number({ description: 'delivered attempts / all attempts, last 24 h' })),
    hours: Type.Array(Type.Object({ hour: Type.String(), delivered: Type.Integer(), attempts: Type.Integer() }))
  }),
  sms_per_hour: Type.Array(Type.Object({ modem: Type.String(), hours: Type.Array(Type.Object({ hour: Type.String(), count: Type.Integer() })) }), { description: 'last 24 h' })
})

function quantile (sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number) / 1000
}

/** GET /v1/operator/overview's body from the ledger's numbers. */
export function overviewView (o: Overview, now: number): Static<typeof OverviewSchema> {
  const sorted = [...o.confirmationMs].sort((a, b) => a - b)
  const attempts = o.webhookHours.reduce((n, h) => n + h.attempts, 0)
  const delivered = o.webhookHours.reduce((n, h) => n + h.delivered, 0)
  const modems = new Map<string, Array<{ hour: string, count: number }>>()
  for (const h of o.smsHours) {
    const list = modems.get(h.modemId) ?? []
    list.push({ hour: isoSeconds(h.hour * HOUR_MS), count: h.count })
    modems.set(h.modemId, list)
  }
  return {
    generated_at: isoSeconds(now),
    money: o.money.map((m) => ({ network: m.network, channel: m.channel, currency: m.currency, today: formatAmount(m.todayMinor), week: formatAmount(m.weekMinor) })),
    payments_by_status: o.paymentsByStatus,
    confirmation: {
      count: sorted.length,
      median_seconds: quantile(sorted, 0.5),
      p90_seconds: quantile(sorted, 0.9),
      buckets: BUCKETS.map(([label, upper], i) => ({
        label, count: sorted.filter((ms) => ms / 1000 < upper && ms / 1000 >= (i === 0 ? 0 : (BUCKETS[i - 1] as [string, number])[1])).length
      }))
    },
    unmatched: { count: o.unmatched.count, amount: formatAmount(o.unmatched.amountMinor), oldest_at: isoOrNull(o.unmatched.oldestAt) },
    webhooks: {
      success_rate: attempts === 0 ? null : delivered / attempts,
      hours: o.webhookHours.map((h) => ({ hour: isoSeconds(h.hour * HOUR_MS), delivered: h.delivered, attempts: h.attempts }))
    },
    sms_per_hour: [...modems].map(([modem, hours]) => ({ modem, hours }))
  }
}
