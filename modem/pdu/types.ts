/** The decoded shape of one SMS-DELIVER TPDU. Raw bytes are kept beside every decoded field. */

export const ENCODINGS = ['gsm7', 'ucs2', '8bit'] as const
export type Encoding = typeof ENCODINGS[number]

export const SENDER_KINDS = ['international', 'national', 'network', 'subscriber', 'alphanumeric', 'abbreviated', 'unknown'] as const
export type SenderKind = typeof SENDER_KINDS[number]

export interface Concat {
  /** 8 for IEI 0x00, 16 for IEI 0x08: part of the grouping key, a ref of 5 in each is not the same message. */
  readonly refBits: 8 | 16
  readonly ref: number
  readonly total: number
  readonly seq: number
}

export interface InformationElement { readonly iei: number, readonly dataHex: string }

export interface SmscTime {
  /** The SMSC's wall-clock time with its own offset, e.g. `2015-11-05T01:36:26+13:00`. */
  readonly local: string
  readonly utcMs: number
  readonly offsetMinutes: number
}

export interface SmsDeliver {
  readonly smsc: string | null
  readonly sender: string
  readonly senderKind: SenderKind
  /** Type-of-address octet as received (TON in bits 6..4, NPI in bits 3..0). */
  readonly senderToa: number
  readonly pid: number
  readonly dcs: number
  readonly encoding: Encoding
  /** Null when the SCTS is not a real date: callers fall back to the time they read it. */
  readonly sentAt: SmscTime | null
  /** Decoded text of this PDU alone; null for 8-bit data. */
  readonly text: string | null
  /** User data after the header, as bytes: UCS-2 parts are joined on these before decoding. */
  readonly payloadHex: string
  readonly concat: Concat | null
  readonly headers: readonly InformationElement[]
  /** The TPDU without the SMSC prefix, upper-case hex: what identity hashes are taken over. */
  readonly tpduHex: string
}

export const PDU_ERROR_CODES = ['bad_hex', 'truncated', 'not_deliver', 'unsupported_encoding', 'bad_field'] as const
export type PduErrorCode = typeof PDU_ERROR_CODES[number]

export interface PduError {
  readonly code: PduErrorCode
  readonly message: string
  /** Whatever could be salvaged: a raw PDU is stored even when nothing else is known. */
  readonly tpduHex: string | null
}

export type DecodeResult =
  | { readonly ok: true, readonly sms: SmsDeliver }
  | { readonly ok: false, readonly error: PduError }
