import { createHash } from 'node:crypto'
import type { PduRecord } from './inbox-port.js'
import { decodeDeliver } from './pdu/decode.js'

/**
 * Decodes one listed PDU into what the inbox stores. Never throws: an undecodable PDU still gets a
 * stable hash (over whatever hex could be salvaged) so a re-read is recognised and it can be deleted.
 */
export function toPduRecord (rawHex: string, storage: string | null, index: number | null, tpduLength?: number): PduRecord {
  const result = decodeDeliver(rawHex, tpduLength === undefined ? {} : { tpduLength })
  const clean = rawHex.replace(/[^0-9a-fA-F]/g, '').toUpperCase()
  const tpdu = result.ok ? result.sms.tpduHex : (result.error.tpduHex ?? clean)
  return {
    rawHex,
    tpduHash: createHash('sha256').update(tpdu).digest('hex'),
    storage,
    index,
    decoded: result.ok ? result.sms : null,
    error: result.ok ? null : result.error
  }
}
