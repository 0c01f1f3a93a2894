import type { TestSmsRequest, TestSmsResult } from '../api/routes/test-sms.js'
import type { Ingest } from '../ingest/ingest.js'
import { SIMULATED_SENDER, simulatedTransactionId, telcoCreditText, testPayerPhone } from '../ingest/telco-wording.js'
import type { Ledger } from '../ledger/ledger.js'
import { InvalidFieldError } from '../ledger/errors.js'
import type { Owner } from '../ledger/modes.js'
import { senderProblem, textProblem } from '../modem/pdu/carry.js'
import type { Settlement } from '../ingest/settle.js'
import type { CompleteSms } from '../modem/inbox-port.js'

/** The wallet test messages typed into the API count against (their balance chain). */
export const API_TEST_WALLET = 'api'

/** Refuses, naming the field, what an SMS could not carry: checked before anything is encoded or stored. */
function mustFitSms (field: string, problem: string | null): void {
  if (problem !== null) throw new InvalidFieldError(field, problem)
}

/**
 * Turns a described payment into the telco's wording; a typed text is used as it is. Either way the
 * result is something one SMS can carry (422 naming the field otherwise), whichever path it then takes.
 */
export async function testSmsText (ledger: Ledger, request: TestSmsRequest, wallet: string, now: number): Promise<{ sender: string, text: string }> {
  if ('text' in request) {
    if (request.sender !== null) mustFitSms('sender', senderProblem(request.sender))
    mustFitSms('text', textProblem(request.text))
    return { sender: request.sender ?? SIMULATED_SENDER[request.network], text: request.text }
  }
  if (request.reference !== '') mustFitSms('reference', textProblem(request.reference))
  const balance = (await ledger.balances.current(wallet, 'test') ?? 0) + request.amountMinor
  return {
    sender: SIMULATED_SENDER[request.network],
    text: telcoCreditText({
      network: request.network,
      amountMinor: request.amountMinor,
      reference: request.reference,
      payerPhone: request.payerPhone ?? testPayerPhone(request.network),
      payerName: 'TEST CUSTOMER',
      transactionId: simulatedTransactionId(request.network, Math.random, new Date(now)),
      balanceMinor: balance,
      at: new Date(now)
    })
  }
}

/**
 * What `POST /v1/test/sms` answers: the message, what became of it and the payment it paid. A null
 * `settled` means the message is still on its way (a virtual modem that has not been read yet).
 */
export async function testSmsResult (ledger: Ledger, message: { network: string, sender: string, text: string }, settled: { sms: CompleteSms, settlement: Settlement | null } | null, path: TestSmsResult['path']): Promise<TestSmsResult> {
  const credit = settled?.settlement?.match?.credit ?? null
  const payment = credit?.payment_id == null ? undefined : await ledger.payments.getById(credit.payment_id)
  return {
    sms_id: settled?.sms.id ?? 0,
    ...message,
    outcome: settled?.settlement?.outcome ?? null,
    credit_id: credit?.public_id ?? null,
    payment: payment?.reference ?? null,
    payment_status: payment?.status ?? null,
    path
  }
}

export interface Settled { sms: CompleteSms, settlement: Settlement }

/**
 * Test SMS waiting for their message to be read and settled, found again by their text (each has a
 * fresh transaction id). Ingest's `onSettled` calls `settled`; a waiter not reached in time gets null.
 */
export class SettledWaiters {
  readonly #waiting = new Map<string, (s: Settled) => void>()

  /** Registers the waiter, then runs `deliver` (which sends the message on its way). */
  async wait (text: string, timeoutMs: number, deliver: () => void | Promise<void>): Promise<Settled | null> {
    let timer: NodeJS.Timeout | undefined
    const done = new Promise<Settled | null>((resolve) => {
      timer = setTimeout(() => { this.#waiting.delete(text); resolve(null) }, timeoutMs)
      this.#waiting.set(text, (s) => { clearTimeout(timer); resolve(s) })
    })
    try {
      await deliver()
    } catch (err) {
      clearTimeout(timer)
      this.#waiting.delete(text)
      throw err
    }
    return await done
  }

  settled (sms: CompleteSms, settlement: Settlement): void {
    const resolve = this.#waiting.get(sms.text)
    if (resolve !== undefined) { this.#waiting.delete(sms.text); resolve({ sms, settlement }) }
  }
}

/** POST /v1/test/sms without a virtual modem: store and settle the message in one step. */
export function deliverTestSmsToIngest (ledger: Ledger, ingest: Ingest): (owner: Owner, request: TestSmsRequest) => Promise<TestSmsResult> {
  return async (owner, request) => {
    const now = Date.now()
    const { sender, text } = await testSmsText(ledger, request, API_TEST_WALLET, now)
    const settled = await ingest.ingestText({ merchantId: owner.merchantId, mode: 'test', modemId: API_TEST_WALLET, network: request.network, sender, text }, now)
    return await testSmsResult(ledger, { network: request.network, sender, text }, settled, 'ingest')
  }
}
