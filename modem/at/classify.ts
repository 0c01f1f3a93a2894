/**
 * One classifier for every line a modem sends. Lines are matched whole, never as substrings (Kannel
 * matched `OK` inside text); URCs are legal anywhere, including between the lines of a response.
 */

export type Final =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error' }
  | { readonly kind: 'cms', readonly code: number | null, readonly text: string }
  | { readonly kind: 'cme', readonly code: number | null, readonly text: string }
  | { readonly kind: 'not_supported' }
  /** A reply some modems send without any final result (Wavecom `+CPIN:`), accepted on purpose. */
  | { readonly kind: 'none' }

export type LineClass =
  | { readonly type: 'echo' }
  | { readonly type: 'final', readonly final: Final }
  | { readonly type: 'response' }
  | { readonly type: 'urc', readonly pduFollows: boolean }

export interface CommandContext {
  readonly command: string
  /** The prefix solicited answers carry (`+CPIN:` for `AT+CPIN?`): the same prefix also arrives unsolicited. */
  readonly prefix: string | null
}

export function parseFinal (line: string, inCommand: boolean): Final | null {
  if (line === 'OK') return { kind: 'ok' }
  if (line === 'ERROR') return { kind: 'error' }
  if (line === 'COMMAND NOT SUPPORT') return { kind: 'not_supported' }
  const m = /^\+(CMS|CME) ERROR:\s*(.*)$/.exec(line)
  if (m !== null) {
    const text = (m[2] ?? '').trim()
    const code = /^\d+$/.test(text) ? Number(text) : null
    return { kind: m[1] === 'CMS' ? 'cms' : 'cme', code, text }
  }
  // ATV0 numeric result codes; only meaningful while a command waits, or a PDU-less `0` would end nothing.
  if (inCommand && line === '0') return { kind: 'ok' }
  if (inCommand && line === '4') return { kind: 'error' }
  return null
}

/** URCs that carry a PDU on the next line. */
const PDU_URCS = ['+CMT:', '+CDS:', '+CBM:']

const URC_PREFIXES = [
  '+CMTI:', '+CDSI:', '+CBMI:', ...PDU_URCS, 'RING', '+CRING:', '+CLIP:', '+CREG:', '+CGREG:', '+CEREG:',
  '+CPIN:', '+CUSD:', '+CFUN:', '+QIND:', '+PACSP', '+STIN:', '+SMS FULL', 'RDY', 'SMS Ready', 'Call Ready',
  'SMS DONE', 'PB DONE', 'NORMAL POWER DOWN', 'POWERED DOWN', 'UNDER-VOLTAGE', 'NO CARRIER'
]

export function commandPrefix (command: string): string | null {
  const m = /^AT([+^][A-Z0-9]+)/i.exec(command.trim())
  return m === null ? null : `${(m[1] as string).toUpperCase()}:`
}

export function isKnownUrc (line: string): boolean {
  return line.startsWith('^') || URC_PREFIXES.some((p) => line.startsWith(p))
}

export function classifyLine (line: string, ctx: CommandContext | null): LineClass {
  const final = parseFinal(line, ctx !== null)
  if (final !== null) return { type: 'final', final }
  if (ctx === null) return { type: 'urc', pduFollows: PDU_URCS.some((p) => line.startsWith(p)) }
  if (line.toUpperCase() === ctx.command.toUpperCase()) return { type: 'echo' }
  if (ctx.prefix !== null && line.toUpperCase().startsWith(ctx.prefix)) return { type: 'response' }
  if (isKnownUrc(line)) return { type: 'urc', pduFollows: PDU_URCS.some((p) => line.startsWith(p)) }
  return { type: 'response' }
}

export const URC_KINDS = ['new_message', 'routed_message', 'storage_full', 'boot', 'other'] as const
export type UrcKind = typeof URC_KINDS[number]

const BOOT_URCS = ['RDY', '^BOOT', '+CPIN: READY', 'SMS Ready', 'Call Ready', 'SMS DONE', 'PB DONE']

/** What a URC means to reception: a hint to scan, a routed PDU, full storage, or a reboot (echo is back on). */
export function urcKind (line: string): UrcKind {
  if (line.startsWith('+CMTI:')) return 'new_message'
  if (line.startsWith('+CMT:')) return 'routed_message'
  if (line.startsWith('^SMMEMFULL') || line.startsWith('+SMS FULL')) return 'storage_full'
  if (BOOT_URCS.some((p) => line.startsWith(p))) return 'boot'
  return 'other'
}
