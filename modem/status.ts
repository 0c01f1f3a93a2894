import type { Network } from './network.js'

/** A type, not an interface, so a status fits where counters are any named numbers (an agent's report). */
export type ModemCounters = {
  received: number
  duplicates: number
  undecodable: number
  deleted: number
  delete_failures: number
  /** Scans stopped because the ledger could not store a message (it stayed on the SIM). */
  store_failures: number
  scans: number
  timeouts: number
  reconnects: number
  reinits: number
}

/** One row of `GET /v1/modems` (SPEC §4), field names as the API prints them. */
export interface ModemStatus {
  id: string
  port: string
  network: Network | null
  msisdn: string | null
  virtual: boolean
  connected: boolean
  signal_dbm: number | null
  registered: boolean | null
  sim_ready: boolean
  imei: string | null
  imsi: string | null
  /** ISO 8601 UTC, null before the first message. */
  last_sms_at: string | null
  storage_used: number | null
  storage_total: number | null
  counters: ModemCounters
  last_error: string | null
}

export function emptyCounters (): ModemCounters {
  return { received: 0, duplicates: 0, undecodable: 0, deleted: 0, delete_failures: 0, store_failures: 0, scans: 0, timeouts: 0, reconnects: 0, reinits: 0 }
}
