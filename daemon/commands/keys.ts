import { isoOrNull, isoSeconds } from '../../core/time.js'
import { AGENT_SCOPE, DEFAULT_SCOPES, KEY_TYPES, PUBLISHABLE_SCOPES, parseScopes, type ApiKey, type KeyAccess, type KeyType } from '../../ledger/api-keys.js'
import { isOneOf, MODES } from '../../core/enums.js'
import type { Ledger } from '../../ledger/ledger.js'
import { DEFAULT_MERCHANT_ID } from '../../ledger/merchants.js'
import { createDefaultMerchantIfEmpty } from '../bootstrap.js'
import { cliTransact, recordCliChange } from './audit.js'
import { CliError } from './cli-error.js'
import { printLine, table, type CommandIo } from './io.js'

export interface KeysCreateArgs {
  name?: string | undefined
  merchant?: string | undefined
  mode?: string | undefined
  scopes?: string | undefined
  type?: string | undefined
  allowedOrigins?: string | undefined
  allowedIps?: string | undefined
  /** `keys roll`: seconds the old key keeps working (the API's `expires_in`). */
  expiresIn?: string | undefined
  json: boolean
}

/** As `POST /v1/keys/{id}/roll`: the old key's grace period by default, and at most. */
const ROLL_GRACE_SECONDS = 86_400
const MAX_ROLL_GRACE_SECONDS = 30 * 86_400

const list = (text: string): string[] => text.split(',').map((s) => s.trim()).filter((s) => s !== '')

/**
 * `--allowed-ips a,b` / `--allowed-origins a,b` as the ledger takes them: `any` clears an
 * allow-list (every address again), `none` empties the origins; absent flags change nothing.
 */
function accessFrom (args: KeysCreateArgs): KeyAccess {
  const access: KeyAccess = {}
  if (args.allowedIps !== undefined) access.allowedIps = args.allowedIps.trim() === 'any' ? null : list(args.allowedIps)
  if (args.allowedOrigins !== undefined) access.allowedOrigins = args.allowedOrigins.trim() === 'none' ? [] : list(args.allowedOrigins)
  return access
}

/** What `--json` prints for a key (no secret), and what the audit trail keeps of one. */
function keyJson (k: ApiKey): Record<string, unknown> {
  return {
    id: k.id, merchant: k.merchantId, name: k.name, mode: k.mode, type: k.type, scopes: k.scopes, allowed_origins: k.allowedOrigins, allowed_ips: k.allowedIps,
    expires_at: isoOrNull(k.expiresAt), revoked_at: isoOrNull(k.revokedAt)
  }
}

const keyTarget = (k: ApiKey): { merchantId: string, mode: ApiKey['mode'], targetType: string, targetId: string } =>
  ({ merchantId: k.merchantId, mode: k.mode, targetType: 'key', targetId: k.id })

/** `harpoon keys create|list|revoke|update` (SPEC §3; `--type`, `--allowed-*` and `update` from issue 16). */
export async function keysCommand (ledger: Ledger, action: string | undefined, positional: readonly string[], args: KeysCreateArgs, io: CommandIo): Promise<number> {
  switch (action) {
    case 'create': {
      if (args.name === undefined || args.name.trim() === '') throw new CliError('keys create needs --name LABEL')
      const name = args.name
      const merchantId = args.merchant ?? DEFAULT_MERCHANT_ID
      const mode = args.mode ?? 'test'
      if (!isOneOf(MODES, mode)) throw new CliError(`--mode must be ${MODES.join(' or ')}`)
      const typeArg = args.type ?? 'secret'
      if (!isOneOf(KEY_TYPES, typeArg)) throw new CliError('--type must be secret or publishable')
      const type: KeyType = typeArg
      const defaults = type === 'publishable' ? [...PUBLISHABLE_SCOPES] : [...DEFAULT_SCOPES]
      const scopes = args.scopes === undefined ? defaults : parseScopes(list(args.scopes))
      const access = accessFrom(args)
      // Before the first start the database is empty: the `default` merchant is made here as the
      // first start would make it, in the same transaction as the key.
      const { key, createdMerchant } = await cliTransact(ledger, async (tx) => {
        const createdMerchant = merchantId === DEFAULT_MERCHANT_ID && await createDefaultMerchantIfEmpty(tx)
        if (await tx.merchants.get(merchantId) === undefined) throw new CliError(`no merchant ${JSON.stringify(merchantId)}; see harpoon merchants list`)
        const key = await tx.apiKeys.create({ merchantId, name, mode, scopes, type, ...access })
        await recordCliChange(tx, { ...keyTarget(key), action: 'key.create', before: null, after: keyJson(key) })
        return { key, createdMerchant }
      })
      if (createdMerchant && !args.json) printLine(io.stdout, `Empty database: created the "${DEFAULT_MERCHANT_ID}" merchant (as the first start does).`)
      if (args.json) {
        printLine(io.stdout, JSON.stringify({ id: key.id, key: key.secret, mode: key.mode, scopes: key.scopes, merchant: key.merchantId, type: key.type, allowed_origins: key.allowedOrigins, allowed_ips: key.allowedIps }))
      } else {
        printLine(io.stdout, `Created ${key.mode} ${key.type} key ${key.id} for merchant ${key.merchantId} (scopes: ${key.scopes.join(', ')}).`)
        if (key.allowedOrigins.length > 0) printLine(io.stdout, `Browser origins: ${key.allowedOrigins.join(', ')}`)
        if (key.allowedIps !== null) printLine(io.stdout, `Accepted only from: ${key.allowedIps.join(', ')}`)
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
        type: k.type,
        key: k.hint,
        scopes: k.scopes.join(','),
        origins: k.allowedOrigins.join(','),
        ips: k.allowedIps === null ? 'any' : k.allowedIps.join(','),
        created: isoSeconds(k.createdAt),
        state: k.revokedAt !== null ? `revoked ${isoSeconds(k.revokedAt)}` : k.expiresAt !== null ? `expires ${isoOrNull(k.expiresAt) ?? ''}` : 'active'
      }))
      if (args.json) printLine(io.stdout, JSON.stringify(rows))
      else printLine(io.stdout, table(rows, ['id', 'merchant', 'name', 'mode', 'type', 'key', 'scopes', 'origins', 'ips', 'created', 'state']))
      return 0
    }
    case 'update': {
      const id = positional[0]
      if (id === undefined) throw new CliError('keys update needs a key id (see harpoon keys list)')
      const access = accessFrom(args)
      if (Object.keys(access).length === 0) throw new CliError('keys update needs --allowed-ips a,b|any or --allowed-origins a,b|none')
      const after = await cliTransact(ledger, async (tx) => {
        const current = await tx.apiKeys.get(id)
        if (current === undefined) throw new CliError(`no key ${id}`)
        const { after } = await tx.apiKeys.updateAccess(id, current, access)
        await recordCliChange(tx, { ...keyTarget(current), action: 'key.update_access', before: keyJson(current), after: keyJson(after) })
        return after
      })
      if (args.json) printLine(io.stdout, JSON.stringify(keyJson(after)))
      else printLine(io.stdout, `Updated ${id}: accepted from ${after.allowedIps === null ? 'any address' : after.allowedIps.join(', ')}${after.type === 'publishable' ? `; browser origins ${after.allowedOrigins.length === 0 ? 'none' : after.allowedOrigins.join(', ')}` : ''}.`)
      return 0
    }
    case 'roll': {
      const id = positional[0]
      if (id === undefined) throw new CliError('keys roll needs a key id (see harpoon keys list)')
      const raw = args.expiresIn ?? String(ROLL_GRACE_SECONDS)
      const seconds = Number(raw)
      if (!/^\d+$/.test(raw.trim()) || seconds > MAX_ROLL_GRACE_SECONDS) throw new CliError(`--expires-in must be whole seconds from 0 to ${MAX_ROLL_GRACE_SECONDS}`)
      const { key, previous } = await cliTransact(ledger, async (tx) => {
        const current = await tx.apiKeys.get(id)
        if (current === undefined) throw new CliError(`no key ${id}`)
        const rolled = await tx.apiKeys.roll(id, current, seconds)
        await recordCliChange(tx, { ...keyTarget(current), action: 'key.roll', before: keyJson(current), after: { ...keyJson(rolled.key), previous: keyJson(rolled.previous) } })
        return rolled
      })
      if (args.json) {
        printLine(io.stdout, JSON.stringify({ ...keyJson(key), key: key.secret, previous: { ...keyJson(previous), expires_at: isoOrNull(previous.expiresAt) } }))
      } else {
        printLine(io.stdout, `Rolled ${id} into ${key.id}; ${id} ${seconds === 0 ? 'stopped working now' : `works until ${isoOrNull(previous.expiresAt) ?? ''}`}.`)
        printLine(io.stdout, 'The new secret is shown this one time only:')
        printLine(io.stdout, `  ${key.secret}`)
      }
      return 0
    }
    case 'revoke': {
      const id = positional[0]
      if (id === undefined) throw new CliError('keys revoke needs a key id (see harpoon keys list)')
      await cliTransact(ledger, async (tx) => {
        const current = await tx.apiKeys.get(id)
        if (current === undefined || !(await tx.apiKeys.revoke(id))) throw new CliError(`no key ${id}`)
        await recordCliChange(tx, { ...keyTarget(current), action: 'key.revoke', before: keyJson(current), after: keyJson(await tx.apiKeys.get(id) as ApiKey) })
      })
      printLine(io.stdout, `Revoked ${id}.`)
      return 0
    }
    default:
      throw new CliError(`usage: harpoon ${KEYS_USAGE}`)
  }
}

export const KEYS_USAGE = `keys create --name LABEL [--merchant ID] [--mode live|test] [--scopes a,b] [--type secret|publishable]
      [--allowed-origins https://a,https://b] [--allowed-ips 203.0.113.0/24,2001:db8::/32] [--json]
  keys list [--json]            keys revoke ID
  keys roll ID [--expires-in SECONDS] [--json]   a new key; the old one works SECONDS more (default 86400)
  keys update ID [--allowed-ips a,b|any] [--allowed-origins a,b|none] [--json]`
