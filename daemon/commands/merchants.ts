import { isoSeconds } from '../../core/time.js'
import type { Ledger } from '../../ledger/ledger.js'
import { cliTransact, recordCliChange } from './audit.js'
import { CliError } from './cli-error.js'
import { printLine, table, type CommandIo } from './io.js'

/** `harpoon merchants create|list` (SPEC §3). */
export async function merchantsCommand (ledger: Ledger, action: string | undefined, args: { name?: string | undefined, id?: string | undefined, json: boolean }, io: CommandIo): Promise<number> {
  switch (action) {
    case 'create': {
      if (args.name === undefined) throw new CliError('merchants create needs --name NAME')
      const name = args.name
      const m = await cliTransact(ledger, async (tx) => {
        const created = await tx.merchants.create({ name, id: args.id })
        await recordCliChange(tx, { merchantId: null, mode: null, action: 'merchant.create', targetType: 'merchant', targetId: created.id, before: null, after: { id: created.id, name: created.name } })
        return created
      })
      if (args.json) printLine(io.stdout, JSON.stringify({ id: m.id, name: m.name }))
      else printLine(io.stdout, `Created merchant ${m.id} (${m.name}). Give it a key: harpoon keys create --merchant ${m.id} --name NAME`)
      return 0
    }
    case 'list': {
      const rows = (await ledger.merchants.list()).map((m) => ({ id: m.id, name: m.name, created: isoSeconds(m.createdAt) }))
      if (args.json) printLine(io.stdout, JSON.stringify(rows))
      else printLine(io.stdout, table(rows, ['id', 'name', 'created']))
      return 0
    }
    default:
      throw new CliError('usage: harpoon merchants create --name NAME [--id SLUG] [--json] | merchants list')
  }
}
