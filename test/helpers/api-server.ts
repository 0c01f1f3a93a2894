import { Writable } from 'node:stream'
import pino from 'pino'
import { buildApi, type ApiDeps } from '../../api/app.js'
import { createMetrics } from '../../api/metrics.js'
import type { ModemStatus } from '../../api/routes/system.js'
import { DEFAULT_SCOPES, SCOPES, type Scope } from '../../ledger/api-keys.js'
import type { Executor } from '../../ledger/engine.js'
import type { Ledger } from '../../ledger/ledger.js'
import type { Mode } from '../../ledger/modes.js'
import { loggerOptions } from '../../daemon/logger.js'
import { openTestLedger } from './ledger.js'
import { createIngest, type Ingest } from '../../ingest/ingest.js'
import { createAgentIntake } from '../../ingest/agent-intake.js'
import { assembleText } from '../../modem/pdu/assemble.js'
import { SIMULATED_SENDER } from '../../ingest/telco-wording.js'
import type { ModemNetwork } from '../../core/networks.js'
import { createSmsParser } from '../../parsers/index.js'
import { deliverTestSmsToIngest } from '../../daemon/test-sms.js'
import { webhookRoutes } from '../../api/routes/webhooks.js'
import { createWebhooks, type WebhookSettings, type Webhooks } from '../../webhooks/webhooks.js'
import { FAST } from '../webhooks/harness.js'

export interface TestApi {
  url: string
  ledger: Ledger
  /** Raw statements for assertions on rows. */
  rows: Executor
  /** Every log line the server wrote, raw. */
  logs: string[]
  key: (opts?: { merchant?: string, mode?: Mode, scopes?: readonly Scope[] }) => Promise<string>
  ingest: Ingest
  /** An SMS arriving on a modem (`mtn-1` by default) of merchant `default`, in `mode`. */
  sms: (input: { mode?: Mode, network?: ModemNetwork, sender?: string, text: string, modemId?: string, merchant?: string, receivedAt?: number }) => ReturnType<Ingest['ingestText']>
  request: (method: string, path: string, opts?: { key?: string | null, body?: unknown, raw?: string, headers?: Record<string, string> }) => Promise<{ status: number, headers: Headers, body: any }>
  /** The webhooks layer, when started with `webhooks` (its dispatcher is running). */
  webhooks: Webhooks | null
  close: () => Promise<void>
}

/**
 * The real API on a real port over a real ledger (test/helpers/ledger.ts), with two merchants
 * (`default` and `other`) and an in-memory log sink. Everything a merchant's HTTP client would see.
 */
export async function startTestApi (overrides: Partial<ApiDeps> & { now?: () => number, holdBrokenChains?: boolean, webhooks?: Partial<WebhookSettings> } = {}): Promise<TestApi> {
  const test = await openTestLedger(overrides.now === undefined ? {} : { now: overrides.now })
  const { ledger } = test
  await ledger.merchants.create({ id: 'default', name: 'Default' })
  await ledger.merchants.create({ id: 'other', name: 'Other shop' })
  const logs: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { logs.push(...chunk.toString('utf8').split('\n').filter((l) => l !== '')); cb() } })
  const logger = pino(loggerOptions('debug'), sink)
  const modems: ModemStatus[] = []
  const ingest = createIngest({
    ledger, logger, parser: createSmsParser(),
    holdBrokenChains: overrides.holdBrokenChains ?? false, merchantOf: () => 'default'
  })
  // With `webhooks`: the real outbox and dispatcher (test/webhooks/harness.ts FAST settings), as the daemon wires them.
  const webhooks = overrides.webhooks === undefined ? null : createWebhooks({ ledger, settings: { ...FAST, ...overrides.webhooks }, logger })
  const app = await buildApi({
    ledger,
    logger,
    metrics: createMetrics(),
    version: 'test',
    maxAmountMinor: 10_000_000,
    defaultExpiresIn: 3600,
    rateLimit: { max: 1000, windowMs: 1000 },
    trustProxy: false,
    wallets: (owner) => owner.merchantId === 'default' ? [{ network: 'mtn', msisdn: '0244000000', currency: 'GHS' }] : [],
    networkCurrencies: ['GHS'],
    modems: () => modems,
    testSms: deliverTestSmsToIngest(ledger, ingest),
    agents: { intake: createAgentIntake({ ledger, ingest, logger, rules: { assemble: assembleText } }) },
    // Tests read the access log of any request (the daemon's default leaves successful reads out).
    accessLog: { reads: true, slowMs: 500 },
    ...(webhooks === null ? {} : { plugins: [webhookRoutes(ledger, webhooks)], checkWebhookUrl: webhooks.checkTarget }),
    ...overrides
  })
  webhooks?.dispatcher.start()
  const url = await app.listen({ host: '127.0.0.1', port: 0 })

  async function key (opts: { merchant?: string, mode?: Mode, scopes?: readonly Scope[] } = {}): Promise<string> {
    return (await ledger.apiKeys.create({ merchantId: opts.merchant ?? 'default', name: 'test', mode: opts.mode ?? 'test', scopes: opts.scopes ?? [...SCOPES] })).secret
  }
  const defaultKey = await key({ scopes: [...DEFAULT_SCOPES, 'operator'] })

  async function request (method: string, path: string, opts: { key?: string | null, body?: unknown, raw?: string, headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...opts.headers }
    const k = opts.key === undefined ? defaultKey : opts.key
    if (k !== null) headers['authorization'] = `Bearer ${k}`
    let body: string | undefined
    if (opts.raw !== undefined) { body = opts.raw; headers['content-type'] ??= 'application/json' }
    else if (opts.body !== undefined) { body = JSON.stringify(opts.body); headers['content-type'] = 'application/json' }
    const res = await fetch(url + path, { method, headers, body })
    const text = await res.text()
    let parsed: unknown = text
    try { parsed = JSON.parse(text) } catch { /* not JSON: keep text */ }
    return { status: res.status, headers: res.headers, body: parsed as any }
  }

  const sms: TestApi['sms'] = async (input) => await ingest.ingestText({
    merchantId: input.merchant ?? 'default', mode: input.mode ?? 'live', modemId: input.modemId ?? 'mtn-1',
    network: input.network ?? 'mtn', sender: input.sender ?? SIMULATED_SENDER[input.network ?? 'mtn'], text: input.text
  }, input.receivedAt ?? Date.now())

  return {
    url, ledger, rows: test.rows, logs, key, request, ingest, sms, webhooks,
    close: async () => { await app.close(); await webhooks?.dispatcher.stop(0); await test.cleanup() }
  }
}
