import type { Config } from '../../config/load.js'
import type { Ledger } from '../../ledger/ledger.js'
import { DEFAULT_MERCHANT_ID } from '../../ledger/merchants.js'
import { CliError } from './cli-error.js'
import { printLine, type CommandIo } from './io.js'

export interface SimulateArgs { network?: string | undefined, amount?: string | undefined, reference?: string | undefined, payer?: string | undefined, merchant?: string | undefined, agent?: string | undefined }

/**
 * `harpoon simulate`: delivers a correctly worded telco SMS into the running daemon, through its
 * virtual modem when one runs (else straight into test-mode ingest), or with `--agent ID` through
 * that test-mode agent's virtual modem, forwarded back like a real site's SMS. It talks to the
 * daemon's own API with a test key it makes for the call and revokes afterwards, so the message
 * takes exactly the path a merchant's test would.
 */
export async function simulateCommand (config: Config, ledger: Ledger, args: SimulateArgs, io: CommandIo): Promise<number> {
  if (args.network === undefined || !['mtn', 'telecel', 'at'].includes(args.network)) throw new CliError('simulate needs --network mtn|telecel|at')
  if (args.amount === undefined) throw new CliError('simulate needs --amount (e.g. 250 or 19.50)')
  if (args.reference === undefined) throw new CliError('simulate needs --reference (the HPN code the customer types)')
  const merchantId = args.merchant ?? DEFAULT_MERCHANT_ID
  if (await ledger.merchants.get(merchantId) === undefined) throw new CliError(`no merchant ${merchantId}`)
  const key = await ledger.apiKeys.create({ merchantId, name: 'harpoon simulate', mode: 'test', scopes: ['payments:write'] })
  const host = ['0.0.0.0', '::', ''].includes(config.api.host) ? '127.0.0.1' : config.api.host
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.api.port}/v1/test/sms`
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        network: args.network, amount: args.amount, reference: args.reference,
        ...(args.payer === undefined ? {} : { payer_phone: args.payer }),
        ...(args.agent === undefined ? {} : { agent: args.agent })
      })
    })
    const body = await res.json() as { success: boolean, data?: unknown, error?: { message: string } }
    if (!res.ok || body.success !== true) {
      io.stderr.write(`harpoon: the daemon refused the simulated SMS (${res.status}): ${body.error?.message ?? 'unknown error'}\n`)
      return 1
    }
    printLine(io.stdout, JSON.stringify(body.data, null, 2))
    return 0
  } catch (err) {
    throw new CliError(`cannot reach the daemon at ${url}: is harpoon start running with this config? (${(err as Error).message})`)
  } finally {
    await ledger.apiKeys.revoke(key.id)
  }
}
