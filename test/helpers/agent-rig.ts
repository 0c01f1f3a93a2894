import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startPtyModem, type PtyModem } from '../../fixtures/modem-harness/pty.js'
import type { Backlog } from '../../ledger/agent/store.js'
import { ModemSimulator } from '../../modem/virtual/engine.js'
import { CLI, spawnHarpoon, type CliProcess } from './daemon-process.js'

const run = promisify(execFile)

/** Timings for tests: the agent notices an outage and a return within a second, never waits long. */
export const FAST_AGENT = { heartbeat_ms: 500, retry_initial_ms: 100, retry_max_ms: 1_000, request_timeout_ms: 5_000 }
export const FAST_MODEMS = { scan_interval_ms: 300, command_timeout_ms: 1_000, list_timeout_ms: 3_000 }

export interface AgentSite {
  readonly id: string
  readonly dir: string
  readonly configPath: string
  readonly config: Record<string, unknown>
  /** The site's modem: a simulator on a real pseudo-terminal. */
  readonly modem: PtyModem
  readonly sim: ModemSimulator
  process: CliProcess<true> | null
  /** Starts (or restarts) `harpoon agent` with this site's config. */
  start: () => Promise<CliProcess<true>>
  /** `harpoon agent status --json`: the store's queue, read beside the running agent. */
  status: () => Promise<Backlog>
  /** `harpoon agent replay`: the stdout line. */
  replay: () => Promise<string>
  close: () => Promise<void>
}

export interface SiteOptions {
  id: string
  dir: string
  centralUrl: string
  key: string
  imsi: string
  msisdn: string
  network?: 'mtn' | 'telecel' | 'at'
  agent?: Record<string, unknown>
}

/** One remote site: a pty modem and the config of a `harpoon agent` that reads it (started by `start`). */
export async function agentSite (o: SiteOptions): Promise<AgentSite> {
  const sim = new ModemSimulator({ profile: 'sim800', imsi: o.imsi, memories: { SM: 100 } })
  const modem = await startPtyModem(sim)
  const config = {
    agent: { id: o.id, central_url: o.centralUrl, key: o.key, store_path: join(o.dir, 'agent.db'), ...FAST_AGENT, ...o.agent },
    modems: [{ id: `${o.network ?? 'mtn'}-1`, port: modem.path, network: o.network ?? 'mtn', msisdn: o.msisdn }],
    virtual_modems: false,
    modem_polling: FAST_MODEMS,
    log_level: 'info'
  }
  const configPath = join(o.dir, 'agent.json')
  writeFileSync(configPath, JSON.stringify(config))
  const cli = async (...args: string[]): Promise<string> => (await run(process.execPath, [CLI, 'agent', ...args, '--config', configPath])).stdout
  const site: AgentSite = {
    id: o.id,
    dir: o.dir,
    configPath,
    config,
    modem,
    sim,
    process: null,
    start: async () => {
      site.process = await spawnHarpoon(o.dir, 'agent.json', 'agent', config, (line) => line['msg'] === 'agent running' ? true : undefined, { outlivesTest: true })
      return site.process
    },
    status: async () => JSON.parse(await cli('status', '--json')) as Backlog,
    replay: async () => await cli('replay'),
    close: async () => {
      await site.process?.stop()
      await modem.close()
    }
  }
  return site
}
