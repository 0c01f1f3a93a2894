#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { isHarpoonError } from '../core/errors.js'
import { ConfigError, loadConfig, type Config } from '../config/load.js'
import { openLedger } from '../ledger/open.js'
import type { Ledger } from '../ledger/ledger.js'
import { loadSecretKey } from './secret-key.js'
import { CliError } from './commands/cli-error.js'
import type { CommandIo } from './commands/io.js'
import { backupCommand } from './commands/backup.js'
import { KEYS_USAGE, keysCommand } from './commands/keys.js'
import { AUDIT_USAGE, auditCommand } from './commands/audit.js'
import { merchantsCommand } from './commands/merchants.js'
import { modemsCommand } from './commands/modems.js'
import { simulateCommand } from './commands/simulate.js'
import { proxyClientsCommand } from './commands/proxy-clients.js'
import pino from 'pino'
import { startDaemon } from './daemon.js'
import { agentSettings, startAgent } from '../agent/agent.js'
import { agentStoreCommand } from './commands/agent.js'
import { packageVersion } from './version.js'
import type { Logger } from 'pino'
import { createLogger } from './logger.js'
import { parseOptionsFrom } from './parser.js'
import { runParseCommand } from '../parsers/parse-command.js'

const USAGE = `usage: harpoon <command> [--config PATH]

  start                         run the daemon (what npm start runs)
  agent                         run a harpoon agent: modems here, forwarding to a central daemon
  agent status [--json] | agent replay | agent skip SEQ   the agent's store of messages
  ${KEYS_USAGE}
  ${AUDIT_USAGE}
  merchants create --name NAME [--id SLUG] [--json]
  merchants list [--json]
  parse [--network mtn|telecel|at|ghanapay|mpesa|airtel_ke] [--sender ID] [TEXT]   parse one SMS (TEXT, else stdin)
  parse --jsonl                 one {"network","sender","text"} per stdin line
  simulate --network mtn|telecel|at|mpesa --amount 250 [--reference HKMVR2] [--payer 0244123456] [--agent ID]
  simulate --channel mtn_momo --approve|--reject [--reference PAYMENT]   play the customer of a test channel
  proxy-clients create --name NAME --callback-url URL [--merchant ID] [--json]
  proxy-clients list [--json]   proxy-clients revoke ID
  modems [--port PATH] [--json] list serial ports and probe each modem
  backup PATH [--force] [--json]  online, consistent copy of the database (safe while the daemon runs)
  ledger copy --to postgres://user:pass@host:port/db [--from PATH] [--json]
                                copy the (stopped) SQLite ledger into an empty PostgreSQL database and verify it
  mtn-sim [--port N] [--environment mtnghana] ...  a local MTN MoMo API (mtn-sim --help)
  ipay-sim [--port 8090] [--vendor VID:KEY]... [--help]   a local iPay Africa (no config needed)`

type SimulatorCommand = (argv: readonly string[], io: CommandIo) => Promise<number>
const SIMULATORS = new Map<string, () => Promise<SimulatorCommand>>([
  ['mtn-sim', async () => (await import('./commands/mtn-sim.js')).mtnSimCommand],
  ['ipay-sim', async () => (await import('./commands/ipay-sim.js')).ipaySimCommand]
])

const OPTIONS = {
  config: { type: 'string' },
  name: { type: 'string' },
  merchant: { type: 'string' },
  mode: { type: 'string' },
  scopes: { type: 'string' },
  type: { type: 'string' },
  'allowed-origins': { type: 'string' },
  'allowed-ips': { type: 'string' },
  'expires-in': { type: 'string' },
  id: { type: 'string' },
  json: { type: 'boolean', default: false },
  network: { type: 'string' },
  sender: { type: 'string' },
  jsonl: { type: 'boolean', default: false },
  amount: { type: 'string' },
  reference: { type: 'string' },
  payer: { type: 'string' },
  agent: { type: 'string' },
  port: { type: 'string' },
  force: { type: 'boolean', default: false },
  channel: { type: 'string' },
  approve: { type: 'boolean', default: false },
  reject: { type: 'boolean', default: false },
  'callback-url': { type: 'string' },
  to: { type: 'string' },
  from: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false }
} as const

/** The ledger for a CLI command, opened with the daemon's secret key (HARPOON_SECRET_KEY or the key file). */
async function openCliLedger (config: Config): Promise<Ledger> {
  return await openLedger(config.database, { secretKey: loadSecretKey(config.secretKey).key })
}

/** Runs one CLI invocation; returns the exit code. `start` resolves only when the daemon stops. */
export async function runCli (argv: readonly string[], io: CommandIo): Promise<number> {
  // The simulators parse their own flags and need no config (channels/*/README.md); loaded only when run.
  const simulator = SIMULATORS.get(argv[0] ?? '')
  if (simulator !== undefined) {
    try {
      return await (await simulator())(argv.slice(1), io)
    } catch (err) {
      if (!isHarpoonError(err)) throw err
      io.stderr.write(`harpoon: ${err.message}\n`)
      return err instanceof CliError ? 2 : 1
    }
  }
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    io.stderr.write(`harpoon: ${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  const { values, positionals } = parsed
  const [command, action, ...rest] = positionals
  if (values.help || command === undefined) {
    io.stdout.write(`${USAGE}\n`)
    return command === undefined && !values.help ? 2 : 0
  }
  let config: Config
  try {
    config = loadConfig(values.config)
  } catch (err) {
    io.stderr.write(`harpoon: ${(err as Error).message}\n`)
    return 78 // EX_CONFIG: systemd shows it as a configuration failure
  }
  try {
    switch (command) {
      case 'start':
        return await runStart(config, io)
      case 'agent':
        if (action === undefined) return await runAgent(config)
        return await agentStoreCommand(config, action, rest, { json: values.json }, io)
      case 'parse': {
        const text = [action, ...rest].filter((t): t is string => t !== undefined).join(' ')
        const options = parseOptionsFrom(config)
        return await runParseCommand({
          network: values.network, sender: values.sender, text: text === '' ? undefined : text, jsonl: values.jsonl,
          formats: options.formats, trustedSenders: options.trustedSenders
        }, io)
      }
      case 'simulate': {
        const ledger = await openCliLedger(config)
        try {
          return await simulateCommand(config, ledger, {
            network: values.network, amount: values.amount, reference: values.reference, payer: values.payer, merchant: values.merchant,
            channel: values.channel, approve: values.approve, reject: values.reject, agent: values.agent
          }, io)
        } finally {
          await ledger.close()
        }
      }
      case 'backup':
        if (rest.length > 0) throw new CliError('usage: harpoon backup PATH [--force] [--json] (one path)')
        return await backupCommand(config.database, action, { force: values.force, json: values.json }, io)
      case 'ledger': {
        // Loaded on demand: the PostgreSQL client is not part of every CLI start.
        const { ledgerCopyCommand } = await import('./commands/ledger-copy.js')
        return await ledgerCopyCommand(config.database.path, action, { to: values.to, from: values.from, json: values.json }, io)
      }
      case 'modems':
        return await modemsCommand(config, { port: values.port, json: values.json }, io, createLogger('warn', pino.destination(2)))
      case 'proxy-clients': {
        const ledger = await openCliLedger(config)
        try {
          return await proxyClientsCommand(config, ledger, action, rest, { name: values.name, callbackUrl: values['callback-url'], merchant: values.merchant, json: values.json }, io)
        } finally {
          await ledger.close()
        }
      }
      case 'audit': {
        const ledger = await openCliLedger(config)
        try {
          return await auditCommand(ledger, action, { json: values.json }, io)
        } finally {
          await ledger.close()
        }
      }
      case 'keys':
      case 'merchants': {
        const ledger = await openCliLedger(config)
        try {
          return command === 'keys'
            ? await keysCommand(ledger, action, rest, {
              name: values.name, merchant: values.merchant, mode: values.mode, scopes: values.scopes, json: values.json,
              type: values.type, allowedOrigins: values['allowed-origins'], allowedIps: values['allowed-ips'], expiresIn: values['expires-in']
            }, io)
            : await merchantsCommand(ledger, action, { name: values.name, id: values.id, json: values.json }, io)
        } finally {
          await ledger.close()
        }
      }
      default:
        throw new CliError(`unknown command ${JSON.stringify(command)}\n${USAGE}`)
    }
  } catch (err) {
    if (isHarpoonError(err)) {
      io.stderr.write(`harpoon: ${err.message}\n`)
      return err instanceof ConfigError ? 78 : err instanceof CliError ? 2 : 1
    }
    throw err
  }
}

async function runStart (config: Config, io: CommandIo): Promise<number> {
  const logger = processLogger(config)
  // A reader of stdout that went away (`npm start | head`) must not stop the daemon: pino stops writing
  // on EPIPE by itself, and the first-start banner is the only other thing written there.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'EPIPE') throw err })
  const daemon = await startDaemon(config, { logger, print: (text) => io.stdout.write(`${text}\n`) })
  return await untilSignal(logger, daemon.stop)
}

async function runAgent (config: Config): Promise<number> {
  agentSettings(config)
  const logger = processLogger(config)
  const agent = await startAgent(config, { logger, version: packageVersion() })
  return await untilSignal(logger, agent.stop)
}

/** The logger of a long-running process, and the last word on an error nothing else caught. */
function processLogger (config: Config): Logger {
  const logger = createLogger(config.log_level)
  process.on('unhandledRejection', (reason) => { logger.error({ err: reason }, 'unhandled promise rejection') })
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception: exiting so the supervisor restarts a clean process')
    logger.flush()
    process.exit(70)
  })
  return logger
}

/** SIGTERM or SIGINT stop gracefully (`stop`); a second signal exits at once. */
async function untilSignal (logger: Logger, stop: () => Promise<void>): Promise<number> {
  return await new Promise<number>((resolve) => {
    let signals = 0
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting now')
        logger.flush()
        process.exit(130)
      }
      logger.info({ signal }, 'signal received: stopping gracefully')
      stop().then(() => { logger.flush(); resolve(0) }, (err: unknown) => { logger.error({ err }, 'error while stopping'); logger.flush(); resolve(1) })
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href
if (isMain || process.argv[1]?.endsWith('/harpoon') === true) {
  runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => { process.exitCode = code },
    (err: unknown) => {
      process.stderr.write(`harpoon: ${(err as Error).stack ?? String(err)}\n`)
      // Exit now: a start that failed half-way may have left servers, modem ports and timers open
      // (an embedded simulator, say), and a process that hangs after saying it failed is never
      // restarted by its service manager. Every commit is already durable; nothing is lost.
      process.exit(1)
    }
  )
}
