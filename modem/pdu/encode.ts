import { senderProblem } from './carry.js'
import { packSeptets, textToSeptets } from './gsm7.js'
import type { Concat, Encoding } from './types.js'

/**
 * SMS-DELIVER encoder for the simulator, virtual modems and tests: it lets them hand the daemon
 * telco-like PDUs. The daemon itself never encodes (it only receives).
 */
export interface DeliverSpec {
  readonly sender: string
  readonly text?: string
  /** Raw payload instead of text: 8-bit data, or UCS-2 bytes cut anywhere (a surrogate pair split across parts). */
  readonly dataHex?: string
  readonly smsc?: string | null
  /** Forced encoding; default gsm7 when every character fits, else ucs2. */
  readonly encoding?: Encoding
  /** SMSC local time as `YYYY-MM-DDTHH:MM:SS±HH:MM` (offsets in quarter hours). */
  readonly sentAt?: string
  readonly concat?: Concat
  /** Extra information elements placed before the concatenation IE. */
  readonly extraHeaders?: ReadonlyArray<{ iei: number, dataHex: string }>
}

export function encodeDeliver (spec: DeliverSpec): string {
  const smsc = spec.smsc === undefined ? '+233244300000' : spec.smsc
  const text = spec.text ?? ''
  const septets = spec.encoding === 'ucs2' || spec.encoding === '8bit' ? null : textToSeptets(text)
  const encoding: Encoding = spec.encoding ?? (spec.dataHex !== undefined ? '8bit' : septets === null ? 'ucs2' : 'gsm7')
  const header = headerBytes(spec)
  const udhi = header.length > 0
  let udl: number
  let ud: Uint8Array
  if (encoding === 'gsm7') {
    const s = septets ?? textToSeptets(text)
    if (s === null) throw new Error('text does not fit the GSM 7-bit alphabet')
    const headerSeptets = Math.ceil(header.length * 8 / 7)
    const packed = packSeptets(s, headerSeptets * 7)
    packed.set(header, 0)
    ud = packed
    udl = headerSeptets + s.length
  } else {
    const body = spec.dataHex !== undefined ? Buffer.from(spec.dataHex, 'hex') : utf16beBytes(text)
    ud = Buffer.concat([header, body])
    udl = ud.length
  }
  const dcs = encoding === 'gsm7' ? 0x00 : encoding === 'ucs2' ? 0x08 : 0x04
  const parts = [
    smscField(smsc),
    Buffer.from([udhi ? 0x44 : 0x04]),
    addressField(spec.sender),
    Buffer.from([0x00, dcs]),
    sctsField(spec.sentAt ?? '2025-01-15T10:30:00+00:00'),
    Buffer.from([udl]),
    ud
  ]
  return Buffer.concat(parts).toString('hex').toUpperCase()
}

/** UCS-2 bytes of a payload; `splitUcs2Bytes` may cut between them, surrogate pairs included. */
export function utf16beBytes (text: string): Buffer {
  const le = Buffer.from(text, 'utf16le')
  return le.swap16()
}

function headerBytes (spec: DeliverSpec): Buffer {
  const ies: number[] = []
  for (const ie of spec.extraHeaders ?? []) {
    const d = Buffer.from(ie.dataHex, 'hex')
    ies.push(ie.iei, d.length, ...d)
  }
  const c = spec.concat
  if (c !== undefined) {
    if (c.refBits === 8) ies.push(0x00, 3, c.ref & 0xFF, c.total, c.seq)
    else ies.push(0x08, 4, (c.ref >> 8) & 0xFF, c.ref & 0xFF, c.total, c.seq)
  }
  return ies.length === 0 ? Buffer.alloc(0) : Buffer.from([ies.length, ...ies])
}

function bcd (digits: string): Buffer {
  const padded = digits.length % 2 === 0 ? digits : `${digits}F`
  const out: number[] = []
  for (let i = 0; i < padded.length; i += 2) out.push(parseInt(`${padded[i + 1]}${padded[i]}`, 16))
  return Buffer.from(out)
}

function smscField (smsc: string | null): Buffer {
  if (smsc === null) return Buffer.from([0])
  const intl = smsc.startsWith('+')
  const digits = smsc.replace(/^\+/, '')
  const body = bcd(digits)
  return Buffer.concat([Buffer.from([body.length + 1, intl ? 0x91 : 0x81]), body])
}

function addressField (sender: string): Buffer {
  // An address that does not fit would make a PDU no modem can read: refuse it here, loudly.
  const problem = senderProblem(sender)
  if (problem !== null) throw new Error(`sender ${JSON.stringify(sender)} ${problem}`)
  if (/^\+?[0-9]+$/.test(sender)) {
    const intl = sender.startsWith('+')
    const digits = sender.replace(/^\+/, '')
    return Buffer.concat([Buffer.from([digits.length, intl ? 0x91 : 0x81]), bcd(digits)])
  }
  const septets = textToSeptets(sender) as number[]
  const packed = packSeptets(septets, 0)
  // Length counts useful semi-octets of the packed field.
  return Buffer.concat([Buffer.from([Math.ceil(septets.length * 7 / 4), 0xD0]), packed])
}

function sctsField (iso: string): Buffer {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)([+-])(\d\d):(\d\d)$/.exec(iso)
  if (m === null) throw new Error(`sentAt ${iso} is not YYYY-MM-DDTHH:MM:SS±HH:MM`)
  const [, y, mo, d, h, mi, s, sign, oh, om] = m as unknown as [string, string, string, string, string, string, string, string, string, string]
  const quarters = (Number(oh) * 60 + Number(om)) / 15
  const digits = `${y.slice(2)}${mo}${d}${h}${mi}${s}`
  const tz = bcd(String(Math.trunc(quarters)).padStart(2, '0'))[0] as number
  return Buffer.concat([bcd(digits), Buffer.from([sign === '-' ? tz | 0x08 : tz])])
}

export interface MultipartSpec extends Omit<DeliverSpec, 'concat' | 'text' | 'dataHex'> {
  readonly text: string
  readonly ref: number
  readonly refBits?: 8 | 16
}

/**
 * Splits a long text the way handsets and SMSCs do: 153/152 septets (never splitting an escape) or
 * 67/66 UCS-2 code units, which may cut a surrogate pair in two: the daemon must join bytes first.
 */
export function encodeMultipart (spec: MultipartSpec): string[] {
  const refBits = spec.refBits ?? 8
  const septets = spec.encoding === 'ucs2' ? null : textToSeptets(spec.text)
  const chunks: Array<{ text?: string, dataHex?: string }> = []
  if (septets !== null) {
    const max = refBits === 8 ? 153 : 152
    let part = ''
    let used = 0
    for (const ch of spec.text) {
      const cost = (textToSeptets(ch) ?? []).length
      if (used + cost > max) { chunks.push({ text: part }); part = ''; used = 0 }
      part += ch
      used += cost
    }
    chunks.push({ text: part })
  } else {
    const bytes = utf16beBytes(spec.text)
    const max = refBits === 8 ? 134 : 132
    for (let i = 0; i < bytes.length; i += max) chunks.push({ dataHex: bytes.subarray(i, i + max).toString('hex') })
  }
  const encoding = septets === null ? 'ucs2' as const : 'gsm7' as const
  return chunks.map((c, i) => encodeDeliver({
    ...spec,
    ...c,
    encoding,
    concat: { refBits, ref: spec.ref, total: chunks.length, seq: i + 1 }
  }))
}
