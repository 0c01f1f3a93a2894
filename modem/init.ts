import type { Logger } from 'pino'
import { HarpoonError } from '../core/errors.js'
import type { Final } from './at/classify.js'
import { chooseCnmi, parseCnmiTest, parseCpmsTest, parseCpmsUsage, parseCreg, parseCsq, parseDigits } from './at/parse.js'
import { describeFinal, type AtResponse, type AtSession } from './at/session.js'
import { networkFromImsi, type Network } from './network.js'

export interface ModemInfo {
  readonly imei: string | null
  readonly imsi: string | null
  readonly network: Network | null
  readonly memory: string | null
  readonly storageUsed: number | null
  readonly storageTotal: number | null
  readonly signalDbm: number | null
  readonly registered: boolean | null
}

export interface InitOptions {
  readonly logger: Logger
  readonly pin: string | null
  /**
   * Shared across reconnects of one modem: a PIN is entered at most once per daemon run, because
   * wrong tries lock the SIM (and entering one when none is needed counts as wrong).
   */
  readonly pinState: { attempted: boolean }
  readonly sleep: (ms: number) => Promise<void>
  readonly busyRetries?: number
  readonly busyDelayMs?: number
}

function isBusy (f: Final): boolean {
  return (f.kind === 'cme' && (f.code === 14 || f.code === 515 || /busy|wait/i.test(f.text))) || (f.kind === 'cms' && (f.code === 314 || f.code === 302))
}

/** Runs a command, backing off while the SIM or device says busy (after boot or PIN entry). */
async function patiently (session: AtSession, command: string, o: InitOptions, extra: { finalOptional?: boolean } = {}): Promise<AtResponse> {
  const tries = o.busyRetries ?? 10
  for (let i = 0; ; i++) {
    const r = await session.send(command, extra)
    if (!isBusy(r.final) || i >= tries) return r
    await o.sleep((o.busyDelayMs ?? 1000) * Math.min(4, i + 1))
  }
}

/**
 * Brings a freshly opened (or rebooted) modem into a known state by probing rather than assuming:
 * echo tolerated, numeric errors, SIM ready, PDU mode, storage chosen from what `AT+CPMS=?` offers,
 * store-and-notify indications, then identity, signal and registration.
 */
export async function initModem (session: AtSession, o: InitOptions): Promise<ModemInfo> {
  await session.unstick()
  await session.send('ATE0')
  await session.send('AT+CMEE=1')
  await ensureSimReady(session, o)
  const cmgf = await patiently(session, 'AT+CMGF=0', o)
  if (cmgf.final.kind !== 'ok') throw new HarpoonError('modem_init_failed', `PDU mode refused: ${describeFinal(cmgf.final)}`)
  const storage = await selectStorage(session, o)
  await selectIndications(session, o)
  const imei = parseDigits((await session.send('AT+CGSN')).lines, 14, 17)
  const imsi = parseDigits((await patiently(session, 'AT+CIMI', o)).lines, 6, 15)
  const health = await readHealth(session)
  return { imei, imsi, network: networkFromImsi(imsi), ...storage, ...health }
}

async function ensureSimReady (session: AtSession, o: InitOptions): Promise<void> {
  for (let i = 0; i < (o.busyRetries ?? 10); i++) {
    const r = await session.send('AT+CPIN?', { finalOptional: true })
    const state = r.lines.find((l) => l.startsWith('+CPIN:'))?.replace(/^\+CPIN:\s*/, '').trim()
    if (state === 'READY') return
    if (state === 'SIM PIN') {
      if (o.pin === null) throw new HarpoonError('sim_pin_required', 'the SIM asks for a PIN and none is configured')
      if (o.pinState.attempted) throw new HarpoonError('sim_pin_rejected', 'the SIM still asks for a PIN after one attempt; not retrying (a wrong PIN locks it)')
      o.pinState.attempted = true
      const entered = await session.send(`AT+CPIN="${o.pin}"`, { secret: true })
      if (entered.final.kind !== 'ok') throw new HarpoonError('sim_pin_rejected', `the SIM refused the configured PIN (${describeFinal(entered.final)}); not retrying`)
      await o.sleep(o.busyDelayMs ?? 1000)
      continue
    }
    if (state !== undefined && /PUK/.test(state)) throw new HarpoonError('sim_puk_required', `SIM state ${state}: needs a PUK, the daemon will not try`)
    if (r.final.kind === 'cme' && r.final.code === 10) throw new HarpoonError('sim_not_inserted', 'no SIM in the modem')
    if (state === undefined && !isBusy(r.final)) throw new HarpoonError('sim_not_ready', `AT+CPIN? answered ${describeFinal(r.final)}`)
    await o.sleep((o.busyDelayMs ?? 1000) * Math.min(4, i + 1))
  }
  throw new HarpoonError('sim_not_ready', 'the SIM stayed busy')
}

async function selectStorage (session: AtSession, o: InitOptions): Promise<{ memory: string | null, storageUsed: number | null, storageTotal: number | null }> {
  const test = await patiently(session, 'AT+CPMS=?', o)
  const lists = parseCpmsTest(test.lines.find((l) => l.startsWith('+CPMS:')) ?? '')
  const read = lists[0] ?? []
  const incoming = lists[2] ?? lists[1] ?? read
  // One memory for reading and for new messages, so a CMGL of it sees every arrival. SIM first.
  const memory = ['SM', 'MT', 'ME'].find((m) => read.includes(m) && (incoming.length === 0 || incoming.includes(m))) ?? read[0] ?? null
  if (memory === null) return { memory: null, storageUsed: null, storageTotal: null }
  const arity = Math.max(1, Math.min(3, lists.length))
  let r = await patiently(session, `AT+CPMS=${new Array(arity).fill(`"${memory}"`).join(',')}`, o)
  if (r.final.kind !== 'ok' && arity > 2) r = await patiently(session, `AT+CPMS="${memory}","${memory}"`, o)
  if (r.final.kind !== 'ok') o.logger.warn({ final: describeFinal(r.final) }, 'modem: AT+CPMS refused; using the current storage')
  const usage = parseCpmsUsage(r.lines)
  return { memory, storageUsed: usage?.used ?? null, storageTotal: usage?.total ?? null }
}

async function selectIndications (session: AtSession, o: InitOptions): Promise<void> {
  const test = await session.send('AT+CNMI=?')
  const choice = chooseCnmi(parseCnmiTest(test.lines.find((l) => l.startsWith('+CNMI:')) ?? ''))
  const r = await session.send(`AT+CNMI=${(choice ?? [2, 1, 0, 0, 0]).join(',')}`)
  // Without +CMTI the periodic scan still finds everything; only latency suffers.
  if (r.final.kind !== 'ok') o.logger.warn({ final: describeFinal(r.final) }, 'modem: AT+CNMI refused; relying on polling')
}

export async function readHealth (session: AtSession): Promise<{ signalDbm: number | null, registered: boolean | null }> {
  const csq = await session.send('AT+CSQ')
  const creg = await session.send('AT+CREG?')
  return { signalDbm: parseCsq(csq.lines), registered: parseCreg(creg.lines) }
}
