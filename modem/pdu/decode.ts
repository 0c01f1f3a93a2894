import { septetsToText, unpackSeptets } from './gsm7.js'
import type { Concat, DecodeResult, Encoding, InformationElement, PduErrorCode, SenderKind, SmscTime } from './types.js'

/** Thrown only inside this module and turned into a result: decoding never throws to the caller. */
class PduFault extends Error {
  constructor (readonly code: PduErrorCode, message: string) { super(message) }
}

export interface DecodeOptions {
  /**
   * The TPDU length a `+CMGR`/`+CMGL` header announced. When the hex is exactly that long the modem
   * left the SMSC prefix out (some do), and we must not read the first octet as an SMSC length.
   */
  readonly tpduLength?: number
}

/**
 * Decodes one SMS-DELIVER as a modem prints it in PDU mode (SMSC prefix first). Framing is lenient:
 * case, whitespace, quotes and other stray non-hex characters are dropped before decoding.
 */
export function decodeDeliver (input: string, options: DecodeOptions = {}): DecodeResult {
  const hex = input.replace(/[^0-9a-fA-F]/g, '').toUpperCase()
  let tpduHex: string | null = null
  try {
    if (hex.length === 0 || hex.length % 2 !== 0) throw new PduFault('bad_hex', `PDU hex has ${hex.length} digits`)
    const bytes = Uint8Array.from(Buffer.from(hex, 'hex'))
    const r = new Reader(bytes)
    let smsc: string | null = null
    if (options.tpduLength === undefined || bytes.length !== options.tpduLength) {
      const smscLen = r.u8('SMSC length')
      smsc = smscLen === 0 ? null : readSmsc(r.take(smscLen, 'SMSC'))
    }
    tpduHex = hex.slice(r.pos * 2)
    const fo = r.u8('first octet')
    const mti = fo & 0x03
    if (mti !== 0) throw new PduFault('not_deliver', `TP-MTI ${mti} is not SMS-DELIVER`)
    const udhi = (fo & 0x40) !== 0
    const sender = readAddress(r)
    const pid = r.u8('TP-PID')
    const dcs = r.u8('TP-DCS')
    const sentAt = readScts(r.take(7, 'TP-SCTS'))
    const udl = r.u8('TP-UDL')
    const encoding = encodingOf(dcs)
    const udBytes = encoding === 'gsm7' ? Math.ceil(udl * 7 / 8) : udl
    const ud = r.take(udBytes, 'TP-UD')
    let headerBytes = 0
    let headers: InformationElement[] = []
    if (udhi && udl > 0) {
      headerBytes = (ud[0] as number) + 1
      if (headerBytes > ud.length) throw new PduFault('truncated', 'user data header longer than the user data')
      headers = readHeaders(ud.subarray(1, headerBytes))
    }
    const payload = ud.subarray(headerBytes)
    let text: string | null = null
    if (encoding === 'gsm7') {
      const headerSeptets = Math.ceil(headerBytes * 8 / 7)
      const count = udl - headerSeptets
      if (count < 0) throw new PduFault('bad_field', 'TP-UDL shorter than its header')
      text = septetsToText(unpackSeptets(ud, headerSeptets * 7, count))
    } else if (encoding === 'ucs2') {
      text = utf16be(payload)
    }
    return {
      ok: true,
      sms: {
        smsc,
        sender: sender.value,
        senderKind: sender.kind,
        senderToa: sender.toa,
        pid,
        dcs,
        encoding,
        sentAt,
        text,
        payloadHex: Buffer.from(payload).toString('hex').toUpperCase(),
        concat: concatOf(headers),
        headers,
        tpduHex
      }
    }
  } catch (err) {
    if (err instanceof PduFault) return { ok: false, error: { code: err.code, message: err.message, tpduHex } }
    return { ok: false, error: { code: 'bad_field', message: String(err), tpduHex } }
  }
}

/**
 * UTF-16BE, so surrogate pairs (emoji) survive; an odd trailing byte is dropped rather than guessed at.
 * A leading U+FEFF is text the sender typed, not a byte-order mark (UCS-2 in an SMS has no BOM): it
 * is kept, or a message starting with one would come back shorter than it was sent.
 */
const UTF16BE = new TextDecoder('utf-16be', { ignoreBOM: true })
export function utf16be (bytes: Uint8Array): string {
  return UTF16BE.decode(bytes.subarray(0, bytes.length - (bytes.length % 2)))
}

class Reader {
  pos = 0
  constructor (private readonly bytes: Uint8Array) {}
  u8 (what: string): number {
    const v = this.bytes[this.pos]
    if (v === undefined) throw new PduFault('truncated', `PDU ends before ${what}`)
    this.pos++
    return v
  }

  take (n: number, what: string): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new PduFault('truncated', `PDU ends inside ${what}`)
    const out = this.bytes.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }
}

const BCD = '0123456789*#abc'

function semiOctets (bytes: Uint8Array, digits: number): string {
  let out = ''
  for (let i = 0; i < digits; i++) {
    const b = bytes[i >> 1] ?? 0xFF
    const nibble = i % 2 === 0 ? b & 0x0F : b >> 4
    if (nibble === 0x0F) break
    out += BCD[nibble] ?? ''
  }
  return out
}

function readSmsc (field: Uint8Array): string | null {
  const toa = field[0]
  if (toa === undefined) return null
  const digits = semiOctets(field.subarray(1), (field.length - 1) * 2)
  if (digits === '') return null
  return ((toa >> 4) & 0x07) === 1 ? `+${digits}` : digits
}

const TON_KIND: readonly SenderKind[] = ['unknown', 'international', 'national', 'network', 'subscriber', 'alphanumeric', 'abbreviated', 'unknown']

function readAddress (r: Reader): { value: string, kind: SenderKind, toa: number } {
  const len = r.u8('TP-OA length')
  const toa = r.u8('TP-OA type')
  if (len > 20) throw new PduFault('bad_field', `TP-OA length ${len} is over 20 semi-octets`)
  const field = r.take(Math.ceil(len / 2), 'TP-OA')
  const kind = TON_KIND[(toa >> 4) & 0x07] ?? 'unknown'
  if (kind === 'alphanumeric') {
    // The semi-octet count covers whole octets of packed septets; floor(len*4/7) characters fit.
    const chars = Math.floor(len * 4 / 7)
    return { value: septetsToText(unpackSeptets(field, 0, chars)), kind, toa }
  }
  const digits = semiOctets(field, len)
  return { value: kind === 'international' ? `+${digits}` : digits, kind, toa }
}

function encodingOf (dcs: number): Encoding {
  const group = dcs >> 4
  if (group <= 0x07) {
    if ((dcs & 0x20) !== 0) throw new PduFault('unsupported_encoding', `DCS 0x${hex2(dcs)} is compressed`)
    const alphabet = (dcs >> 2) & 0x03
    return alphabet === 1 ? '8bit' : alphabet === 2 ? 'ucs2' : 'gsm7'
  }
  if (group === 0x0E) return 'ucs2'
  if (group === 0x0F) return (dcs & 0x04) !== 0 ? '8bit' : 'gsm7'
  // 1100/1101 (message waiting) and the reserved groups are read as the default alphabet (TS 23.038 §4).
  return 'gsm7'
}

function swapped (b: number): number { return (b & 0x0F) * 10 + (b >> 4) }

function readScts (o: Uint8Array): SmscTime | null {
  const [yy, mo, dd, hh, mi, ss] = Array.from(o.subarray(0, 6), swapped) as [number, number, number, number, number, number]
  const tz = o[6] as number
  // Quarter hours, digits swapped like the rest, sign in bit 3 of the raw octet.
  const quarters = (tz & 0x07) * 10 + (tz >> 4)
  const offsetMinutes = (tz & 0x08) !== 0 ? -quarters * 15 : quarters * 15
  const year = yy < 70 ? 2000 + yy : 1900 + yy
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59 || Math.abs(offsetMinutes) > 18 * 60) return null
  const asUtc = Date.UTC(year, mo - 1, dd, hh, mi, ss)
  if (new Date(asUtc).getUTCDate() !== dd) return null
  const sign = offsetMinutes < 0 ? '-' : '+'
  const abs = Math.abs(offsetMinutes)
  const local = `${year}-${pad(mo)}-${pad(dd)}T${pad(hh)}:${pad(mi)}:${pad(ss)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  return { local, utcMs: asUtc - offsetMinutes * 60_000, offsetMinutes }
}

function readHeaders (udh: Uint8Array): InformationElement[] {
  const out: InformationElement[] = []
  let i = 0
  while (i + 1 < udh.length) {
    const iei = udh[i] as number
    const len = udh[i + 1] as number
    if (i + 2 + len > udh.length) throw new PduFault('bad_field', `information element 0x${hex2(iei)} overruns the header`)
    out.push({ iei, dataHex: Buffer.from(udh.subarray(i + 2, i + 2 + len)).toString('hex').toUpperCase() })
    i += 2 + len
  }
  return out
}

/** The concatenation IE wherever it sits; an invalid one (total 0, seq 0, seq > total) is ignored, as Kannel does. */
function concatOf (headers: readonly InformationElement[]): Concat | null {
  for (const ie of headers) {
    const d = Buffer.from(ie.dataHex, 'hex')
    let c: Concat | null = null
    if (ie.iei === 0x00 && d.length === 3) c = { refBits: 8, ref: d[0] as number, total: d[1] as number, seq: d[2] as number }
    if (ie.iei === 0x08 && d.length === 4) c = { refBits: 16, ref: ((d[0] as number) << 8) | (d[1] as number), total: d[2] as number, seq: d[3] as number }
    if (c !== null && c.total > 0 && c.seq > 0 && c.seq <= c.total) return c
  }
  return null
}

function pad (n: number): string { return String(n).padStart(2, '0') }
function hex2 (n: number): string { return n.toString(16).toUpperCase().padStart(2, '0') }
