import { isoOrNull } from '../../core/time.js'
import type { Config } from '../../config/load.js'
import { openAgentStore } from '../../ledger/agent/store.js'
import { CliError } from './cli-error.js'
import { printLine, table, type CommandIo } from './io.js'

const USAGE = 'usage: harpoon agent [--config PATH] (runs it) | agent status [--json] | agent replay | agent skip SEQ'

/**
 * `harpoon agent status|replay|skip`: the agent's store, read or changed beside the running agent
 * (SQLite takes both). Running the agent itself is `harpoon agent` (daemon/cli.ts).
 */
export async function agentStoreCommand (config: Config, action: string, positional: readonly string[], args: { json: boolean }, io: CommandIo): Promise<number> {
  if (config.agent === null) throw new CliError(`the config (${config.source}) has no agent section; harpoon agent commands read the agent's own config`)
  const store = await openAgentStore(config.agent.store_path)
  try {
    switch (action) {
      case 'status': {
        const b = await store.backlog()
        if (args.json) {
          printLine(io.stdout, JSON.stringify({ agent: config.agent.id, central_url: config.agent.central_url, ...b }))
          return 0
        }
        printLine(io.stdout, `agent ${config.agent.id} → ${config.agent.central_url}`)
        printLine(io.stdout, `waiting for the central: ${b.pending}${b.oldestPendingAt === null ? '' : ` (oldest stored ${isoOrNull(b.oldestPendingAt) ?? ''})`}`)
        printLine(io.stdout, `acknowledged and kept: ${b.forwarded} (last ${isoOrNull(b.lastForwardedAt) ?? 'never'})`)
        if (b.skipped > 0) printLine(io.stdout, `skipped by hand: ${b.skipped} (harpoon agent replay sends them again)`)
        if (b.byModem.length > 0) printLine(io.stdout, table(b.byModem.map((m) => ({ modem: m.modemId, pending: String(m.pending), oldest: isoOrNull(m.oldestPendingAt) ?? '' })), ['modem', 'pending', 'oldest']))
        return 0
      }
      case 'replay': {
        const n = await store.replay()
        printLine(io.stdout, `Queued ${n} stored message(s) to be sent again; the central acknowledges each without counting it twice.`)
        return 0
      }
      case 'skip': {
        const seq = Number(positional[0])
        if (!Number.isSafeInteger(seq) || seq <= 0) throw new CliError('agent skip needs the SEQ the agent logged for the message')
        if (!await store.refused(seq, 'skipped by an operator (harpoon agent skip)')) throw new CliError(`no message ${seq} waiting to be sent`)
        printLine(io.stdout, `Message ${seq} is out of the queue and kept in the store; harpoon agent replay sends it again.`)
        return 0
      }
      default:
        throw new CliError(USAGE)
    }
  } finally {
    await store.close()
  }
}
