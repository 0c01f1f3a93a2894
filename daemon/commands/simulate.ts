import type { Config } from '../../config/load.js'
import type { Ledger } from '../../ledger/ledger.js'
import { DEFAULT_MERCHANT_ID } from '../../ledger/merchants.js'
import { MODEM_NETWORKS, NETWORK_INFO } from '../../core/networks.js'
import { CliError } from './cli-error.js'
import { printLine, type CommandIo } from './io.js'

export interface SimulateArgs {
  network?: string | undefined
  amount?: string | undefined
  reference?: string | undefined
  payer?: string | undefined
  merchant?: string | undefined
  /** A test channel whose simulator's customer approves or rejects the prompt (instead of an SMS). */
  channel?: string | undefined
  approve?: boolean | undefined
  reject?: boolean | undefined
  /** Through this test-mode agent's virtual modem (forwarded back like a real site's SMS). */
  agent?: string | undefined
}

/** How long `simulate --channel` waits for the payment to leave PENDING once the customer acted. */
const SETTLE_WAIT_MS = 15_000

/**
 * `harpoon simulate`: delivers a correctly worded telco SMS into the running daemon, through its
 * virtual modem when one runs (else straight into test-mode ingest), or with `--agent ID` through
 * that test-mode agent's virtual modem, forwarded back like a real site's SMS. It talks to the
 * daemon's own API with a test key it makes for the call and revokes afterwards, so the message
 * takes exactly the path a merchant's test would.
 */
export async function simulateCommand (config: Config, ledger: Ledger, args: SimulateArgs, io: CommandIo): Promise<number> {
  if (args.channel !== undefined) return await simulateCustomer(config, ledger, args, io)
  const writable = MODEM_NETWORKS.filter((n) => NETWORK_INFO[n].simulated !== null)
  const network = writable.find((n) => n === args.network)
  if (network === undefined) throw new CliError(`simulate needs --network ${writable.join('|')}`)
  if (args.amount === undefined) throw new CliError('simulate needs --amount (e.g. 250 or 19.50)')
  if (NETWORK_INFO[network].hasReference && args.reference === undefined) throw new CliError('simulate needs --reference (the HPN code the customer types)')
  const merchantId = args.merchant ?? DEFAULT_MERCHANT_ID
  if (await ledger.merchants.get(merchantId) === undefined) throw new CliError(`no merchant ${merchantId}`)
  const key = await ledger.apiKeys.create({ merchantId, name: 'harpoon simulate', mode: 'test', scopes: ['payments:write'] })
  const url = `${daemonUrl(config)}/v1/test/sms`
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        network, amount: args.amount,
        ...(args.reference === undefined ? {} : { reference: args.reference }),
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

function daemonUrl (config: Config): string {
  const host = ['0.0.0.0', '::', ''].includes(config.api.host) ? '127.0.0.1' : config.api.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.api.port}`
}

/**
 * `harpoon simulate --channel mtn_momo --approve|--reject [--reference PAYMENT]`: the customer of a
 * test channel's simulator approves or rejects the prompt of the payment (default: the newest
 * PENDING one on the channel); the daemon then asks the simulator, as it asks MTN, and settles.
 * Prints the payment once it has left PENDING (or as it stands after 15 s).
 */
async function simulateCustomer (config: Config, ledger: Ledger, args: SimulateArgs, io: CommandIo): Promise<number> {
  if (args.approve === args.reject) throw new CliError('simulate --channel needs one of --approve or --reject')
  const merchantId = args.merchant ?? DEFAULT_MERCHANT_ID
  if (await ledger.merchants.get(merchantId) === undefined) throw new CliError(`no merchant ${merchantId}`)
  const key = await ledger.apiKeys.create({ merchantId, name: 'harpoon simulate', mode: 'test', scopes: ['payments:write', 'payments:read'] })
  const base = daemonUrl(config)
  const headers = { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' }
  try {
    let res: Response
    try {
      res = await fetch(`${base}/v1/test/channels/${encodeURIComponent(args.channel as string)}/customer`, {
        method: 'POST', headers, body: JSON.stringify({ action: args.approve === true ? 'approve' : 'reject', ...(args.reference === undefined ? {} : { payment: args.reference }) })
      })
    } catch (err) {
      throw new CliError(`cannot reach the daemon at ${base}: is harpoon start running with this config? (${(err as Error).message})`)
    }
    const body = await res.json() as { success: boolean, data?: { payment: string }, error?: { message: string } }
    if (!res.ok || body.success !== true || body.data === undefined) {
      io.stderr.write(`harpoon: the daemon refused (${res.status}): ${body.error?.message ?? 'unknown error'}\n`)
      return 1
    }
    const reference = body.data.payment
    let payment: { status?: string } = {}
    for (const end = Date.now() + SETTLE_WAIT_MS; ;) {
      const got = await (await fetch(`${base}/v1/payments/${reference}`, { headers })).json() as { data?: { status?: string } }
      payment = got.data ?? {}
      if (payment.status !== 'PENDING' || Date.now() > end) break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    printLine(io.stdout, JSON.stringify(payment, null, 2))
    return 0
  } finally {
    await ledger.apiKeys.revoke(key.id)
  }
}
