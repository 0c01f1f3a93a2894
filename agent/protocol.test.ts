import { Value } from '@sinclair/typebox/value'
import { describe, expect, it } from 'vitest'
import { encodeDeliver } from '../modem/pdu/encode.js'
import { toPduRecord } from '../modem/pdu-record.js'
import { MessageBody, PDU_WIRE_MAX, wirePdu } from './protocol.js'

describe('a PDU on the wire', () => {
  it('carries line noise as ? without changing the hash the central keys it by, and never makes a body the central refuses', () => {
    const pdu = encodeDeliver({ sender: 'MobileMoney', text: 'hello' })
    const noisy = `\u0000${pdu.slice(0, 10)}\u00e9\r${pdu.slice(10)}\u001a`
    const wire = wirePdu(noisy)
    expect(wire).toBe(`?${pdu.slice(0, 10)}??${pdu.slice(10)}?`)
    expect(toPduRecord(wire, null, null).tpduHash).toBe(toPduRecord(noisy, null, null).tpduHash)
    expect(wirePdu('')).toBe('?')
    expect(wirePdu('A'.repeat(PDU_WIRE_MAX + 50))).toHaveLength(PDU_WIRE_MAX)
    const body = { agent: 'kumasi', seq: 1, modem_key: 'imsi:620010000000001', stored_at: 1, complete: false, pdus: [wire, wirePdu('\u0000')], modem: {
      id: 'mtn-1', port: 'p', network: null, msisdn: null, virtual: false, connected: false, signal_dbm: null, registered: null, sim_ready: false,
      imei: null, imsi: null, last_sms_at: null, storage_used: null, storage_total: null, counters: {}, last_error: null
    } }
    expect(Value.Check(MessageBody, body)).toBe(true)
  })
})
