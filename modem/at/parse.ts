/** Parsers for the answers init and health checks read. Lenient: spaces, quotes and nesting vary by vendor. */

/** `+CPMS: ("SM","ME"),(…),(…)` or Wavecom's nested `(("SM","BM","SR"),("SM"))` → one list per parameter. */
export function parseCpmsTest (line: string): string[][] {
  const body = line.replace(/^\+CPMS:\s*/, '')
  return [...body.matchAll(/\(([^()]*)\)/g)].map((m) => (m[1] ?? '').split(',').map((s) => s.replace(/"/g, '').trim()).filter((s) => s !== ''))
}

/** `+CNMI: (0-3),(0,1,3),(2)` → the allowed values of each parameter. */
export function parseCnmiTest (line: string): number[][] {
  const body = line.replace(/^\+CNMI:\s*/, '')
  return [...body.matchAll(/\(([^()]*)\)/g)].map((m) => {
    const out: number[] = []
    for (const part of (m[1] ?? '').split(',')) {
      const r = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part)
      if (r === null) continue
      const from = Number(r[1])
      const to = r[2] === undefined ? from : Number(r[2])
      for (let v = from; v <= to; v++) out.push(v)
    }
    return out
  })
}

/**
 * Picks CNMI parameters: store and notify (mt=1) so every message sits on the SIM until we delete it;
 * never mt=2 (routed: lost if we are busy). Mode 2 buffers URCs while a command runs.
 */
export function chooseCnmi (allowed: number[][]): number[] | null {
  const pick = (i: number, prefs: number[]): number | null => {
    const set = allowed[i]
    if (set === undefined) return null
    return prefs.find((p) => set.includes(p)) ?? set[0] ?? null
  }
  const mode = pick(0, [2, 1, 3])
  const mt = pick(1, [1, 0])
  if (mode === null || mt === null || mt > 1) return null
  const rest = [pick(2, [0]), pick(3, [0]), pick(4, [0])].filter((v): v is number => v !== null)
  return [mode, mt, ...rest]
}

/** `+CSQ: 26,99` → −61 dBm; 99 means unknown. */
export function parseCsq (lines: readonly string[]): number | null {
  for (const l of lines) {
    const m = /^\+CSQ:\s*(\d+)/.exec(l)
    if (m === null) continue
    const rssi = Number(m[1])
    return rssi === 99 || rssi > 31 ? null : -113 + 2 * rssi
  }
  return null
}

/** `+CREG: <n>,<stat>[,…]`: registered when home (1) or roaming (5). */
export function parseCreg (lines: readonly string[]): boolean | null {
  for (const l of lines) {
    const m = /^\+C(?:E|G)?REG:\s*\d+\s*,\s*(\d+)/.exec(l)
    if (m !== null) return m[1] === '1' || m[1] === '5'
  }
  return null
}

/** `+CPMS: 3,20,3,20,3,20` (set) or `+CPMS: "SM",3,20,…` (query) → the first memory's use. */
export function parseCpmsUsage (lines: readonly string[]): { used: number, total: number } | null {
  for (const l of lines) {
    const m = /^\+CPMS:\s*(?:"[^"]*"\s*,\s*)?(\d+)\s*,\s*(\d+)/.exec(l)
    if (m !== null) return { used: Number(m[1]), total: Number(m[2]) }
  }
  return null
}

/** IMEI / IMSI answers: bare digits, or with a `+CGSN:` prefix and quotes on some firmwares. */
export function parseDigits (lines: readonly string[], min: number, max: number): string | null {
  for (const l of lines) {
    const d = l.replace(/^\+[A-Z]+:\s*/, '').replace(/"/g, '').trim()
    if (new RegExp(`^\\d{${min},${max}}$`).test(d)) return d
  }
  return null
}

export interface ListedPdu { readonly index: number, readonly stat: number | null, readonly length: number | null, readonly pdu: string }

/** `+CMGL: <idx>,<stat>,[<alpha>],<len>` + PDU line; status may be missing or empty (gammu 38/39.dump). */
export function parseListing (lines: readonly string[]): ListedPdu[] {
  const out: ListedPdu[] = []
  let header: { index: number, stat: number | null, length: number | null } | null = null
  for (const line of lines) {
    const m = /^\+CMG[LR]:\s*(\d*)\s*(?:,\s*(\d*)\s*)?(?:,[^,]*)?(?:,\s*(\d+)\s*)?$/.exec(line)
    if (m !== null) {
      header = { index: m[1] === '' || m[1] === undefined ? -1 : Number(m[1]), stat: m[2] === undefined || m[2] === '' ? null : Number(m[2]), length: m[3] === undefined ? null : Number(m[3]) }
      continue
    }
    if (header !== null && /[0-9A-Fa-f]{10}/.test(line)) {
      out.push({ ...header, pdu: line })
      header = null
    }
  }
  return out
}
