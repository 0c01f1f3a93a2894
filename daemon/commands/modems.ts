import { realpathSync } from 'node:fs'
import type { Logger } from 'pino'
import type { Config } from '../../config/load.js'
import { probePorts } from '../../modem/probe.js'
import { printLine, table, type CommandIo } from './io.js'

function realpath (path: string): string {
  try { return realpathSync(path) } catch { return path }
}

/**
 * `harpoon modems`: lists serial ports and probes each (manufacturer, model, IMEI, IMSI → network,
 * signal, SIM). Ports the configuration gives to modems belong to the running daemon and are
 * listed, not opened, so a probe never disturbs it.
 */
export async function modemsCommand (config: Config, args: { port?: string | undefined, json: boolean }, io: CommandIo, logger: Logger): Promise<number> {
  const exclude = new Set(config.modems.flatMap((m) => [m.port, realpath(m.port)]))
  const rows = await probePorts({ ports: args.port === undefined ? undefined : [args.port], exclude, logger, timeoutMs: 3000 })
  if (args.json) {
    printLine(io.stdout, JSON.stringify(rows))
    return 0
  }
  const configured = new Map(config.modems.flatMap((m) => [[m.port, m.id], [realpath(m.port), m.id]]))
  printLine(io.stdout, table(rows.map((r) => ({
    port: r.port,
    status: r.status === 'skipped' && configured.has(r.port) ? `in use by ${configured.get(r.port) ?? ''}` : r.status,
    manufacturer: r.manufacturer ?? '',
    model: r.model ?? '',
    imei: r.imei ?? '',
    imsi: r.imsi ?? '',
    network: r.network ?? '',
    signal: r.signal_dbm === null ? '' : `${r.signal_dbm} dBm`,
    sim: r.sim_state ?? '',
    error: r.error ?? ''
  })), ['port', 'status', 'manufacturer', 'model', 'imei', 'imsi', 'network', 'signal', 'sim', 'error']))
  if (rows.length === 0) printLine(io.stdout, 'No serial ports found. Is the modem plugged in and in serial (not HiLink) mode?')
  return 0
}
