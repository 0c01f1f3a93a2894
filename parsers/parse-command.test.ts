import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { runParseCommand, type ParseCommandArgs } from './parse-command.js'

const MTN = 'Payment received for GHS 100.00 from Aaa  Current Balance: GHS 179.29 . Available Balance: GHS 179.29. Reference: 1. Transaction ID: 88139850923. TRANSACTION FEE: 0.00'

async function run (args: ParseCommandArgs, stdin = ''): Promise<{ code: number, out: string, err: string }> {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() }
  let out = ''
  let err = ''
  io.stdout.on('data', (c: Buffer) => { out += c.toString() })
  io.stderr.on('data', (c: Buffer) => { err += c.toString() })
  io.stdin.end(stdin)
  const code = await runParseCommand(args, io)
  return { code, out, err }
}

const lines = (out: string): unknown[] => out.trim().split('\n').map((l) => JSON.parse(l) as unknown)

describe('harpoon parse', () => {
  it('parses TEXT with the default network and sender, as one JSON object with the SPEC fields', async () => {
    const { code, out } = await run({ text: MTN, jsonl: false })
    expect(code).toBe(0)
    expect(JSON.parse(out)).toEqual({
      network: 'mtn', kind: 'credit', amount: '100.00', currency: 'GHS', payer_phone: null, payer_name: 'Aaa', reference: '1',
      transaction_id: '88139850923', balance: '179.29', fee: '0.00', time: null
    })
    expect(out.endsWith('}\n')).toBe(true)
  })

  it('reads the message from stdin when TEXT is absent', async () => {
    const { code, out } = await run({ jsonl: false }, `${MTN}\n`)
    expect(code).toBe(0)
    expect(JSON.parse(out)).toMatchObject({ kind: 'credit', transaction_id: '88139850923' })
  })

  it('honours --sender and --network', async () => {
    expect(JSON.parse((await run({ text: MTN, sender: '+233244000000', jsonl: false })).out)).toMatchObject({ kind: 'untrusted', amount: null })
    expect(JSON.parse((await run({ text: MTN, network: 'telecel', jsonl: false })).out)).toMatchObject({ network: 'telecel', kind: 'unparsed' })
  })

  it('refuses an unknown network with exit code 2', async () => {
    const { code, out, err } = await run({ text: MTN, network: 'glo', jsonl: false })
    expect(code).toBe(2)
    expect(out).toBe('')
    expect(err).toMatch(/unknown network "glo"/)
  })

  it('uses operator formats and sender lists from the config', async () => {
    const formats = { mtn: [{ id: 'mtn.new', kind: 'credit' as const, pattern: String.raw`^in (?<amount>\d+) id (?<transaction_id>\d+)` }] }
    const { out } = await run({ text: 'in 20 id 12345', sender: 'MoMo', formats, trustedSenders: { mtn: ['MoMo'] }, jsonl: false })
    expect(JSON.parse(out)).toMatchObject({ kind: 'credit', amount: '20.00', transaction_id: '12345' })
    const bad = await run({ text: 'x', formats: { mtn: [{ id: 'b', kind: 'credit', pattern: '(' }] }, jsonl: false })
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/networks\.mtn\.formats\[0\] \(b\)/)
  })

  it('--jsonl prints one result per line and an error object for each bad line, without stopping', async () => {
    const input = [
      JSON.stringify({ network: 'mtn', sender: 'MobileMoney', text: MTN }),
      '{not json',
      JSON.stringify({ network: 'glo', sender: 'x', text: 'y' }),
      '',
      JSON.stringify({ network: 'telecel', sender: 'T-CASH', text: 42 }),
      JSON.stringify({ network: 'telecel', sender: '+233201234567', text: 'You have received GHS 5.00' }),
      JSON.stringify({ network: 'mtn', sender: null, text: MTN })
    ].join('\r\n')
    const { code, out } = await run({ jsonl: true }, input)
    expect(code).toBe(1)
    const results = lines(out)
    expect(results).toHaveLength(6)
    expect(results[0]).toMatchObject({ kind: 'credit' })
    expect(results[1]).toMatchObject({ line: 2, error: { code: 'invalid_line' } })
    expect(results[2]).toMatchObject({ line: 3, error: { message: expect.stringMatching(/unknown network/) as unknown } })
    expect(results[3]).toMatchObject({ line: 5, error: { message: 'line 5: "text" must be a string' } })
    expect(results[4]).toMatchObject({ network: 'telecel', kind: 'untrusted' })
    expect(results[5]).toMatchObject({ kind: 'credit' })
  })

  it('parses Kenyan networks: --network mpesa with its default sender MPESA, and airtel_ke in a batch', async () => {
    const mpesa = 'UE78T3GS1I Confirmed.You have received Ksh200.00 from MERCY  MUTUA 0140***619 on 7/5/26 at 4:05 PM  New M-PESA balance is Ksh200.00.'
    const { code, out } = await run({ text: mpesa, network: 'mpesa', jsonl: false })
    expect(code).toBe(0)
    expect(JSON.parse(out)).toEqual({
      network: 'mpesa', kind: 'credit', amount: '200.00', currency: 'KES', payer_phone: '0140***619', payer_name: 'MERCY  MUTUA', reference: null,
      transaction_id: 'UE78T3GS1I', balance: '200.00', fee: null, time: '2026-05-07T13:05:00Z'
    })
    const airtel = 'B3MB49H4BYN. Ksh 700 sent to Peter Otieno 2547....9422 on 12/05/26 at 03:26 PM. Fee: Ksh 11. Bal: Ksh 1282.0. MPESA ID: UECRI3YR0M'
    const batch = await run({ jsonl: true }, `${JSON.stringify({ network: 'airtel_ke', sender: null, text: airtel })}\n${JSON.stringify({ network: 'mpesa', sender: '+254722000000', text: mpesa })}\n`)
    expect(batch.code).toBe(0)
    expect(lines(batch.out)).toEqual([
      expect.objectContaining({ network: 'airtel_ke', kind: 'debit', amount: '700.00', fee: '11.00', balance: '1282.00', transaction_id: 'B3MB49H4BYN' }),
      expect.objectContaining({ network: 'mpesa', kind: 'untrusted' })
    ])
  })

  it('--jsonl exits 0 when every line parsed', async () => {
    const { code, out } = await run({ jsonl: true }, `${JSON.stringify({ network: 'at', sender: 'AIRTELMONEY', text: 'hello' })}\n`)
    expect(code).toBe(0)
    expect(lines(out)).toEqual([expect.objectContaining({ network: 'at', kind: 'unparsed' })])
  })
})
