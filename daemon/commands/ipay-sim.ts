import { parseArgs } from 'node:util'
import { startIpaySimulator } from '../../channels/ipay/simulator.js'
import { TEST_PHONES } from '../../channels/ipay/sim-state.js'
import { createLogger } from '../logger.js'
import { table, type CommandIo } from './io.js'

export const IPAY_SIM_USAGE = `usage: harpoon ipay-sim [--port 8090] [--host 127.0.0.1] [--vendor VID:KEY]... [--customer-delay-ms 3000]
                       [--stk-timeout-ms 60000] [--drop-callbacks] [--log-level info]`

const OPTIONS = {
  port: { type: 'string', default: '8090' },
  host: { type: 'string', default: '127.0.0.1' },
  vendor: { type: 'string', multiple: true, default: [] as string[] },
  'customer-delay-ms': { type: 'string', default: '3000' },
  'stk-timeout-ms': { type: 'string', default: '60000' },
  'drop-callbacks': { type: 'boolean', default: false },
  'log-level': { type: 'string', default: 'info' },
  help: { type: 'boolean', short: 'h', default: false }
} as const

function wholeNumber (flag: string, text: string, max: number): number | string {
  return /^\d+$/.test(text) && Number(text) <= max ? Number(text) : `--${flag} must be a whole number up to ${max} (got ${JSON.stringify(text)})`
}

/** Resolves on the first SIGTERM or SIGINT. */
function untilSignal (): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => { resolve() })
    process.once('SIGINT', () => { resolve() })
  })
}

/**
 * `harpoon ipay-sim`: a local iPay Africa for trying a set-up without an iPay account (see
 * channels/ipay/README.md). Runs until SIGTERM/SIGINT, or until `stop` resolves (tests).
 * It needs no configuration file and touches no database.
 */
export async function ipaySimCommand (argv: readonly string[], io: CommandIo, stop?: Promise<unknown>): Promise<number> {
  let values
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true }).values
  } catch (err) {
    io.stderr.write(`harpoon ipay-sim: ${(err as Error).message}\n${IPAY_SIM_USAGE}\n`)
    return 2
  }
  if (values.help) {
    io.stdout.write(`${IPAY_SIM_USAGE}\n`)
    return 0
  }
  const port = wholeNumber('port', values.port, 65535)
  const delay = wholeNumber('customer-delay-ms', values['customer-delay-ms'], 3_600_000)
  const timeout = wholeNumber('stk-timeout-ms', values['stk-timeout-ms'], 3_600_000)
  const vendors: Record<string, string> = {}
  const problems = [port, delay, timeout].filter((v): v is string => typeof v === 'string')
  for (const v of values.vendor) {
    const at = v.indexOf(':')
    if (at <= 0 || at === v.length - 1) problems.push(`--vendor must be VID:KEY (got ${JSON.stringify(v.slice(0, at > 0 ? at : 20))}…)`)
    else vendors[v.slice(0, at)] = v.slice(at + 1)
  }
  if (problems.length > 0 || typeof port === 'string' || typeof delay === 'string' || typeof timeout === 'string') {
    io.stderr.write(`harpoon ipay-sim: ${problems.join('; ')}\n${IPAY_SIM_USAGE}\n`)
    return 2
  }
  const logger = createLogger(values['log-level']).child({ component: 'ipay-sim' })
  let sim
  try {
    sim = await startIpaySimulator({
      port,
      host: values.host,
      vendors,
      logger,
      settings: { customerDelayMs: delay, stkTimeoutMs: timeout, callbacks: values['drop-callbacks'] ? 'drop' : 'send' }
    })
  } catch (err) {
    io.stderr.write(`harpoon ipay-sim: cannot listen on ${values.host}:${port}: ${(err as Error).message}\n`)
    return 1
  }
  // The demo key is iPay's public test key; keys given with --vendor are never printed.
  io.stdout.write([
    `iPay simulator listening on ${sim.url}`,
    `  base_url  ${sim.baseUrl}`,
    `  ipn_url   ${sim.ipnUrl}`,
    `  vendors   demo (hash key demoCHANGED)${Object.keys(vendors).map((v) => `, ${v}`).join('')}`,
    `  control   ${sim.url}/_sim`,
    '',
    'Test phones (any other Kenyan number pays in full):',
    table(Object.entries(TEST_PHONES).map(([phone, t]) => ({ phone, outcome: t.scenario, what: t.what })), ['phone', 'outcome', 'what']),
    ''
  ].join('\n'))
  await (stop ?? untilSignal())
  logger.info('stopping')
  await sim.close()
  logger.flush()
  return 0
}
