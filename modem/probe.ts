import { readdirSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { SerialPort } from 'serialport'
import { parseCsq, parseDigits } from './at/parse.js'
import { AtSession } from './at/session.js'
import { openSerialTransport, type OpenTransport } from './at/transport.js'
import { networkFromImsi, type Network } from './network.js'

export interface ProbeRow {
  readonly port: string
  /** `skipped` when a running daemon holds the port (excluded or locked): it is never disturbed. */
  readonly status: 'ok' | 'no_answer' | 'error' | 'skipped'
  readonly manufacturer: string | null
  readonly model: string | null
  readonly imei: string | null
  readonly imsi: string | null
  readonly network: Network | null
  readonly signal_dbm: number | null
  readonly sim_state: string | null
  readonly error: string | null
}

export interface ProbeOptions {
  /** Probe only these; default: every serial port found. */
  readonly ports?: readonly string[]
  /** Ports a running daemon uses (from its config): listed as skipped, never opened. */
  readonly exclude?: Iterable<string>
  readonly timeoutMs?: number
  readonly baudRate?: number
  readonly logger: Logger
  readonly openTransport?: OpenTransport
  readonly listPorts?: () => Promise<string[]>
}

/**
 * Serial ports on this machine. `SerialPort.list()` runs `udevadm`, which minimal systems lack;
 * then the device nodes are scanned directly, by-id links first (they survive renumbering).
 */
export async function listSerialPorts (): Promise<string[]> {
  try {
    const found = await SerialPort.list()
    if (found.length > 0) return found.map((p) => p.path)
  } catch { /* udevadm missing: fall through to scanning /dev */ }
  const out: string[] = []
  const seen = new Set<string>()
  const add = (path: string): void => {
    let real = path
    try { real = realpathSync(path) } catch { return }
    if (seen.has(real)) return
    seen.add(real)
    out.push(path)
  }
  try { for (const name of readdirSync('/dev/serial/by-id').sort()) add(join('/dev/serial/by-id', name)) } catch { /* none */ }
  try { for (const name of readdirSync('/dev').sort()) if (/^tty(USB|ACM)\d+$/.test(name)) add(join('/dev', name)) } catch { /* none */ }
  return out
}

function canonical (path: string): string {
  try { return realpathSync(path) } catch { return path }
}

/** `harpoon modems`: what is plugged in, and what each answers, with short timeouts. */
export async function probePorts (o: ProbeOptions): Promise<ProbeRow[]> {
  const ports = o.ports ?? await (o.listPorts ?? listSerialPorts)()
  const excluded = new Set([...(o.exclude ?? [])].map(canonical))
  return await Promise.all(ports.map(async (port) => {
    if (excluded.has(canonical(port))) return row(port, 'skipped', { error: 'in use by the running daemon' })
    return await probeOne(port, o)
  }))
}

function row (port: string, status: ProbeRow['status'], fields: Partial<ProbeRow> = {}): ProbeRow {
  return { port, status, manufacturer: null, model: null, imei: null, imsi: null, network: null, signal_dbm: null, sim_state: null, error: null, ...fields }
}

async function probeOne (port: string, o: ProbeOptions): Promise<ProbeRow> {
  let session: AtSession | null = null
  try {
    // The serialport lock (exclusive open) makes a port another process holds fail here, untouched.
    const transport = await (o.openTransport ?? openSerialTransport)(port, o.baudRate ?? 115200)
    session = new AtSession(transport, { logger: o.logger, timeoutMs: o.timeoutMs ?? 1500, resyncQuietMs: 100, resyncAttempts: 2 })
    await session.unstick()
    await session.send('ATE0')
    const text = async (cmd: string): Promise<string | null> => {
      const r = await session!.send(cmd)
      return r.final.kind === 'ok' ? (r.lines.map((l) => l.replace(/^\+CGM[IM]:\s*/, '').replace(/"/g, '').trim()).find((l) => l !== '') ?? null) : null
    }
    const manufacturer = await text('AT+CGMI')
    const model = await text('AT+CGMM')
    const imei = parseDigits((await session.send('AT+CGSN')).lines, 14, 17)
    const cpin = await session.send('AT+CPIN?', { finalOptional: true })
    const simState = cpin.lines.find((l) => l.startsWith('+CPIN:'))?.replace(/^\+CPIN:\s*/, '').trim() ??
      (cpin.final.kind === 'cme' ? `error ${cpin.final.text}` : null)
    const imsi = parseDigits((await session.send('AT+CIMI')).lines, 6, 15)
    const signal = parseCsq((await session.send('AT+CSQ')).lines)
    return row(port, 'ok', { manufacturer, model, imei, imsi, network: networkFromImsi(imsi), signal_dbm: signal, sim_state: simState })
  } catch (err) {
    const code = (err as { code?: string }).code
    const status = code === 'modem_timeout' || code === 'modem_unresponsive' ? 'no_answer' : 'error'
    return row(port, status, { error: err instanceof Error ? err.message : String(err) })
  } finally {
    await session?.close().catch(() => {})
  }
}
