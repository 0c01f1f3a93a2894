import type { ModemConfig } from '../modem/runner.js'
import type { ConfigFile } from './schema.js'

/** The config's `modems` as the modem layer takes them: hardware, live mode (the daemon's and an agent's alike). */
export function configuredModems (config: Pick<ConfigFile, 'modems'>): ModemConfig[] {
  return config.modems.map((m) => ({ id: m.id, port: m.port, baudRate: m.baud_rate, network: m.network ?? null, msisdn: m.msisdn, pin: m.pin, mode: 'live' as const }))
}
