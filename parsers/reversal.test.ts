import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseSms } from './engine.js'
import { reversedTransactionId } from './reversal.js'

interface Fixture { id: string, network: 'mpesa', sender: string, text: string }
const KENYA = JSON.parse(readFileSync(new URL('../fixtures/sms-kenya.json', import.meta.url), 'utf8')) as Fixture[]
const sample = (id: string): Fixture => KENYA.find((f) => f.id === id) as Fixture
const reversed = (f: Pick<Fixture, 'network' | 'sender' | 'text'>): string | null => reversedTransactionId(parseSms(f), f.text)

describe('the transaction a telco reversal takes back', () => {
  it('reads it from Safaricom\'s reversal notice (fixture K9), while `harpoon parse` keeps its fields', () => {
    const k9 = sample('ke-mpesa-k9')
    expect(parseSms(k9)).toMatchObject({ kind: 'debit', transaction_id: 'ER30SR746', reference: null })
    expect(reversed(k9)).toBe('EQ47FM754')
    // Case, line breaks and spacing as telcos vary them.
    expect(reversed({ ...k9, text: 'ER30SR746 confirmed.\nTransaction  eq47fm754 has been reversed. Your account balance is now Ksh5,987.00.' })).toBe('EQ47FM754')
  })

  it('finds none in a receipt that only mentions a reversal, in a credit, or in an ordinary debit', () => {
    const mentioned = { network: 'mpesa' as const, sender: 'MPESA', text: 'UF3LA1B2E1 Confirmed. You have received Ksh1,000.00 from JOHN DOE 0722***000 on 3/6/26 at 1:00 PM. This transaction has been reversed. New M-PESA balance is Ksh6,100.00.' }
    expect(parseSms(mentioned).kind).toBe('other')
    expect(reversed(mentioned)).toBeNull()
    const credit = KENYA.find((f) => f.network === 'mpesa' && parseSms(f).kind === 'credit') as Fixture
    expect(reversed(credit)).toBeNull()
    const debit = KENYA.find((f) => f.network === 'mpesa' && f.id !== 'ke-mpesa-k9' && parseSms(f).kind === 'debit') as Fixture
    expect(reversed(debit)).toBeNull()
  })

  it('never reads the notice as reversing itself, and ignores the same words from an untrusted sender', () => {
    const k9 = sample('ke-mpesa-k9')
    expect(reversed({ ...k9, text: 'ER30SR746 Confirmed. Transaction ER30SR746 has been reversed.  Your account balance is now Ksh5,987.00.' })).toBeNull()
    expect(reversed({ ...k9, sender: '+254722000000' })).toBeNull()
  })
})
