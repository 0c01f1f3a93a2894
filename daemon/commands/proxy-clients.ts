import type { Config } from '../../config/load.js'
import type { Mode } from '../../core/enums.js'
import { isHarpoonError } from '../../core/errors.js'
import { isoSeconds } from '../../core/time.js'
import type { Ledger } from '../../ledger/ledger.js'
import { DEFAULT_MERCHANT_ID } from '../../ledger/merchants.js'
import { checkWebhookTarget } from '../../webhooks/endpoints.js'
import { systemResolver } from '../../webhooks/ssrf.js'
import { createDefaultMerchantIfEmpty } from '../bootstrap.js'
import { cliTransact, recordCliChange } from './audit.js'
import { CliError } from './cli-error.js'
import { printLine, table, type CommandIo } from './io.js'

export interface ProxyClientArgs { name?: string | undefined, callbackUrl?: string | undefined, merchant?: string | undefined, json: boolean }

/**
 * The mode of the proxy's clients: that of the channel `momo_proxy.channel` names (the only one their
 * requests can go through), live when none is configured yet.
 */
function proxyMode (config: Config): Mode {
  const id = config.momo_proxy.channel
  const channel = config.channels.find((c) => c.id === id)
  if (channel !== undefined) return channel.mode
  return id !== null && config.embeddedSimulator ? 'test' : 'live'
}

/**
 * `harpoon proxy-clients create|list|revoke`: the MoMo proxy's API keys (api/compat/). A client's key
 * authenticates its `X-Proxy-Api-Key` requests and signs the forwards to its callback URL; the key is
 * printed once (with `--json`: `{id, name, api_key, callback_url, merchant}`).
 */
export async function proxyClientsCommand (config: Config, ledger: Ledger, action: string | undefined, positional: readonly string[], args: ProxyClientArgs, io: CommandIo): Promise<number> {
  switch (action) {
    case 'create': {
      if (args.name === undefined || args.name.trim() === '') throw new CliError('proxy-clients create needs --name NAME')
      if (args.callbackUrl === undefined || args.callbackUrl.trim() === '') throw new CliError('proxy-clients create needs --callback-url URL (where final states go when a request names no callbackUrl)')
      const name = args.name.trim()
      const merchantId = args.merchant ?? DEFAULT_MERCHANT_ID
      const mode = proxyMode(config)
      let callbackUrl: string
      try {
        callbackUrl = await checkWebhookTarget(args.callbackUrl, mode, { allowPrivateTargets: config.webhooks.allow_private_targets, resolver: systemResolver }, 'callback-url')
      } catch (err) {
        if (isHarpoonError(err) && err.code === 'validation_failed') throw new CliError(`--callback-url ${err.details[0]?.message ?? err.message}`)
        throw err
      }
      const client = await cliTransact(ledger, async (tx) => {
        if (merchantId === DEFAULT_MERCHANT_ID) await createDefaultMerchantIfEmpty(tx)
        if (await tx.merchants.get(merchantId) === undefined) throw new CliError(`no merchant ${JSON.stringify(merchantId)}; see harpoon merchants list`)
        const created = await tx.proxy.createClient({ name, merchantId, mode, callbackUrl })
        await recordCliChange(tx, { merchantId, mode, action: 'proxy_client.create', targetType: 'proxy_client', targetId: created.id, before: null, after: { id: created.id, name, callback_url: callbackUrl } })
        return created
      })
      if (args.json) {
        printLine(io.stdout, JSON.stringify({ id: client.id, name: client.name, api_key: client.apiKey, callback_url: client.callbackUrl, merchant: client.merchantId }))
      } else {
        printLine(io.stdout, `Created MoMo proxy client ${client.id} (${client.name}) for merchant ${client.merchantId}, ${client.mode} mode; forwards to ${client.callbackUrl}.`)
        printLine(io.stdout, 'Its X-Proxy-Api-Key (also the key its forwards are signed with) is shown this one time only:')
        printLine(io.stdout, `  ${client.apiKey}`)
        if (!config.momo_proxy.enabled) printLine(io.stdout, 'Note: the proxy API is off; set "momo_proxy": {"enabled": true, "channel": "<channel id>"} in the config.')
      }
      return 0
    }
    case 'list': {
      const rows = (await ledger.proxy.clients()).map((c) => ({
        id: c.id, name: c.name, merchant: c.merchantId, mode: c.mode, key: c.hint, callback_url: c.callbackUrl,
        created: isoSeconds(c.createdAt), state: c.revokedAt === null ? 'active' : `revoked ${isoSeconds(c.revokedAt)}`
      }))
      if (args.json) printLine(io.stdout, JSON.stringify(rows))
      else printLine(io.stdout, table(rows, ['id', 'name', 'merchant', 'mode', 'key', 'callback_url', 'created', 'state']))
      return 0
    }
    case 'revoke': {
      const id = positional[0]
      if (id === undefined) throw new CliError('proxy-clients revoke needs a client id (see harpoon proxy-clients list)')
      const client = await cliTransact(ledger, async (tx) => {
        const revoked = await tx.proxy.revokeClient(id)
        await recordCliChange(tx, { merchantId: revoked.merchantId, mode: revoked.mode, action: 'proxy_client.revoke', targetType: 'proxy_client', targetId: id, before: { id, revoked_at: null }, after: { id, revoked_at: revoked.revokedAt === null ? null : new Date(revoked.revokedAt).toISOString() } })
        return revoked
      }).catch((err: unknown) => {
        if (isHarpoonError(err) && err.code === 'not_found') throw new CliError(`no proxy client ${id}`)
        throw err
      })
      printLine(io.stdout, `Revoked ${client.id}: its key no longer works; forwards already due still go out.`)
      return 0
    }
    default:
      throw new CliError('usage: harpoon proxy-clients create --name NAME --callback-url URL [--merchant ID] [--json] | list [--json] | revoke ID')
  }
}
