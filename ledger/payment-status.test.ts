import { describe, expect, it } from 'vitest'
import { creditsAndRefunds } from './payment-status.js'

describe('creditsAndRefunds', () => {
  const tuple = (id: number, telcoId: string): unknown[] => [id, 'mtn', telcoId, 100, null, null, 1_000, 'reference', '[]']
  const credit = (telcoId: string): Record<string, unknown> => ({
    network: 'mtn', telco_transaction_id: telcoId, amount_minor: 100, payer_phone: null, payer_name: null, received_at: 1_000, match_method: 'reference', risk_flags: '[]'
  })

  it('orders the credits by id (the aggregate gives them in no particular order) and drops the id', () => {
    const columns = { applied_credits: JSON.stringify([tuple(12, 'c'), tuple(3, 'a'), tuple(7, 'b')]), has_refunds: 0 }
    const decoded = creditsAndRefunds(columns)
    expect(decoded).toEqual({ credits: [credit('a'), credit('b'), credit('c')], hasRefunds: false })
    expect(Object.keys(decoded.credits[0] ?? {})).toEqual(['network', 'telco_transaction_id', 'amount_minor', 'payer_phone', 'payer_name', 'received_at', 'match_method', 'risk_flags'])
  })

  it('reads no credits and the refund flag as either engine writes it', () => {
    expect(creditsAndRefunds({ applied_credits: '[]', has_refunds: 1 })).toEqual({ credits: [], hasRefunds: true })
    expect(creditsAndRefunds({ applied_credits: JSON.stringify([tuple(1, 'a')]), has_refunds: '0' as unknown as number })).toEqual({ credits: [credit('a')], hasRefunds: false })
  })
})
