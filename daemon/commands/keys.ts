import { isoOrNull, isoSeconds } from '../../core/time.js'
import { AGENT_SCOPE, DEFAULT_SCOPES, parseScopes } from '../../ledger/api-keys.js'
import type { Ledger } from '../../ledger/ledger.js'
import { DEFAULT_MERCHANT_ID } from '../../ledger/merchants.js'
import { createDefaultMerchantIfEmpty } from '../bootstrap.js'
import { CliError } from './cli-error.js'
import { printLine, table, type CommandIo } from './io.js'

export interface KeysCreateArgs { name?: string | undefined, merchant?: string | undefined, mode?: string | undefined, scopes?: string | undefined, json: boolean }

/** `harpoon keys create|list|revoke` (SPEC §3). */
export async function keysCommand (ledger: Ledger, action: string | undefined, positional: readonly string[], args: KeysCreateArgs, io: CommandIo): Promise<number> {
  switch (action) {
    case 'create': {
      if (args.name === undefined || args.name.trim() === '') throw new CliError('keys create needs --name LABEL')
      const name = args.name
      const merchantId = args.merchant ?? DEFAULT_MERCHANT_ID
      const mode = args.mode ?? 'test'
      if (mode !== 'live' && mode !== 'test') throw new CliError('--mode must be live or test')
      const scopes = args.scopes === undefined ? [...DEFAULT_SCOPES] : parseScopes(args.scopes.split(',').map((s) => s.trim()).filter((s) => s !== ''))
      // Before the first start the database is empty: the `default` merchant is made here as the
      // first start would make it, in the same transaction as the key.
      const { key, createdMerchant } = await ledger.transact(async (tx) => {
        const createdMerchant = merchantId === DEFAULT_MERCHANT_ID && await createDefaultMerchantIfEmpty(tx)
        if (await tx.merchants.get(merchantId) === undefined) throw new CliError(`no merchant ${JSON.stringify(merchantId)}; see harpoon merchants list`)
        return { key: await tx.apiKeys.create({ merchantId, name, mode, scopes }), createdMerchant }
      })
      if (createdMerchant && !args.json) printLine(io.stdout, `Empty database: created the "${DEFAULT_MERCHANT_ID}" merchant (as the first start does).`)
      if (args.json) {
        printLine(io.stdout, JSON.stringify({ id: key.id, key: key.secret, mode: key.mode, scopes: key.scopes, merchant: key.merchantId }))
      } else {
        printLine(io.stdout, `Created ${key.mode} key ${key.id} for merchant ${key.merchantId} (scopes: ${key.scopes.join(', ')}).`)
        printLine(io.stdout, 'The secret is shown this one time only:')
        printLine(io.stdout, `  ${key.secret}`)
        if (key.scopes.includes(AGENT_SCOPE)) {
          printLine(io.stdout, `Put it in the agent's config (README, Multi-site): "agent": {"id": "SITE", "central_url": "https://THIS-DAEMON", "key": "${key.secret}"}`)
          printLine(io.stdout, key.mode === 'live'
            ? `Its modems will serve merchant ${key.merchantId} in live mode.`
            : 'A test key: the agent may run virtual modems only (make a live one with --mode live for real modems).')
        }
      }
      return 0
    }
    case 'list': {
      const rows = (await ledger.apiKeys.list()).map((k) => ({
        id: k.id,
        merchant: k.merchantId,
        name: k.name,
        mode: k.mode,
        key: k.hint,
        scopes: k.scopes.join(','),
        created: isoSeconds(k.createdAt),
        state: k.revokedAt !== null ? `revoked ${isoSeconds(k.revokedAt)}` : k.expiresAt !== null ? `expires ${isoOrNull(k.expiresAt) ?? ''}` : 'active'
      }))
      if (args.json) printLine(io.stdout, JSON.stringify(rows))
      else printLine(io.stdout, table(rows, ['id', 'merchant', 'name', 'mode', 'key', 'scopes', 'created', 'state']))
      return 0
    }
    case 'revoke': {
      const id = positional[0]
      if (id === undefined) throw new CliError('keys revoke needs a key id (see harpoon keys list)')
      if (!(await ledger.apiKeys.revoke(id))) throw new CliError(`no key ${id}`)
      printLine(io.stdout, `Revoked ${id}.`)
      return 0
    }
    default:
      throw new CliError('usage: harpoon keys create --name LABEL [--merchant ID] [--mode live|test] [--scopes a,b] [--json] | keys list | keys revoke ID')
  }
}
