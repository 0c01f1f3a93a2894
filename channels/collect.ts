import { COMPLETED_STATUSES } from '../core/enums.js'
import { formatAmount } from '../core/money.js'
import { ConflictError, InvalidFieldError } from '../ledger/errors.js'
import type { LedgerTx } from '../ledger/ledger.js'
import type { Owner } from '../ledger/modes.js'
import type { PaymentRow } from '../ledger/payment-model.js'
import type { Channel, ChannelSession, ManualPayTo } from './channel.js'

export interface CollectionInput {
  amountMinor: number
  currency: string
  /** Display form (Channel.displayPhone): the number the provider prompts. */
  customerPhone: string
  clientReference: string | null
  meta: Record<string, unknown> | null
  expiresInSeconds: number
  /** What the provider records with the transaction; defaults name the payment. */
  externalId?: string | undefined
  payerMessage?: string | undefined
  payeeNote?: string | undefined
  /** The initialize's `method` (one of `Channel.methods`); null: the channel's default. */
  method?: string | null | undefined
  /** What `prepareCollection` opened at the provider before this transaction; null when the channel needs nothing. */
  prepared?: PreparedCollection | null | undefined
}

/** A collection's provider reference, chosen before the transaction, and the session opened under it. */
export interface PreparedCollection {
  referenceId: string
  opened: ChannelSession
}

/**
 * Before the payment's transaction: a channel that opens a session first (iPay's transact) does it
 * now, under the reference the collection will keep, so the initialize can answer with where to pay
 * by hand (`pay_to`). Nothing is committed yet: a crash here leaves a session at the provider that
 * no money ever reaches. Null for channels that need no session.
 */
export async function prepareCollection (channel: Channel, input: Pick<CollectionInput, 'amountMinor' | 'currency' | 'customerPhone' | 'method'> & { externalId: string, description: string }): Promise<PreparedCollection | null> {
  if (channel.openSession === undefined) return null
  const party = channel.providerPhone(input.customerPhone)
  if (party === null) throw new InvalidFieldError('customer_phone', `is not a number ${channel.id} can prompt`)
  const referenceId = channel.newReference()
  const opened = await channel.openSession({
    referenceId, amountMinor: input.amountMinor, currency: input.currency, party, externalId: input.externalId,
    payerMessage: input.description, payeeNote: input.description, method: input.method ?? channel.methods[0] ?? null
  })
  return { referenceId, opened }
}

/**
 * A payment collected through `channel`, inside the caller's transaction: the PENDING payment and,
 * with it, its collection in the outbox of provider calls, under a provider reference chosen now.
 * Nothing is sent here: the caller wakes the outbox after the commit (`onCommit`), and a crash before
 * that leaves a due row the next start sends with the same reference. An initialize that finds the
 * PENDING payment of its `client_reference` returns it and starts nothing.
 */
export async function startCollection (tx: LedgerTx, channel: Channel, owner: Owner, input: CollectionInput, onCommit: () => void): Promise<{ payment: PaymentRow, created: boolean }> {
  const party = channel.providerPhone(input.customerPhone)
  if (party === null) throw new InvalidFieldError('customer_phone', `is not a number ${channel.id} can prompt`)
  const reference = input.prepared?.referenceId ?? channel.newReference()
  const result = await tx.payments.initialize(owner, {
    amountMinor: input.amountMinor,
    currency: input.currency,
    clientReference: input.clientReference,
    customerPhone: input.customerPhone,
    meta: input.meta,
    expiresInSeconds: input.expiresInSeconds,
    channel: { id: channel.id, type: channel.type, reference }
  })
  if (!result.created) return result
  const { payment } = result
  await tx.channelTransactions.create({
    kind: 'collection',
    channelId: channel.id,
    channelType: channel.type,
    owner,
    paymentId: payment.id,
    referenceId: reference,
    amountMinor: payment.expected_minor,
    currency: payment.currency,
    party,
    request: {
      externalId: input.externalId ?? payment.reference,
      payerMessage: input.payerMessage ?? `Payment ${payment.client_reference ?? payment.hpn_code}`,
      payeeNote: input.payeeNote ?? `Harpoon ${payment.hpn_code}`,
      ...(channel.methods.length === 0 ? {} : { method: input.method ?? channel.methods[0] }),
      ...(input.prepared === null || input.prepared === undefined ? {} : { session: input.prepared.opened.session, payTo: input.prepared.opened.payTo })
    },
    note: null
  })
  tx.afterCommit(onCommit)
  return result
}

/**
 * Money paid back through `channel` to the payment's payer, inside the caller's transaction: the
 * refund goes into the outbox under a reference chosen now (sent after the commit, resent unchanged
 * after a crash). It may not take more than was paid and not already paid back (or on its way).
 * The payment becomes REFUNDED only when the provider confirms the last of the whole amount.
 */
export async function startRefund (tx: LedgerTx, channel: Channel, payment: PaymentRow, amountMinor: number, note: string | null, onCommit: () => void): Promise<PaymentRow> {
  if (!COMPLETED_STATUSES.includes(payment.status)) throw new ConflictError('invalid_status', `payment is ${payment.status}; only a SUCCESS, PARTIAL or OVERPAID payment can be refunded`)
  const paid = payment.actual_minor ?? 0
  const refundable = paid - await tx.channelTransactions.refundingMinor(payment.id)
  if (amountMinor > refundable) throw new InvalidFieldError('amount', `is more than the ${payment.currency} ${formatAmount(Math.max(0, refundable))} that can still be refunded (paid ${formatAmount(paid)}, the rest refunded or on its way back)`)
  const payee = payment.payer_phone === null ? null : channel.providerPhone(payment.payer_phone)
  if (payee === null) throw new ConflictError('refund_not_possible', 'the payer\'s number is not known in a form the channel can pay to')
  const original = (await tx.channelTransactions.ofPayment(payment.id, 'collection'))[0]
  await tx.channelTransactions.create({
    kind: 'refund',
    channelId: channel.id,
    channelType: channel.type,
    owner: { merchantId: payment.merchant_id, mode: payment.mode },
    paymentId: payment.id,
    referenceId: channel.newReference(),
    amountMinor,
    currency: payment.currency,
    party: payee,
    request: {
      externalId: payment.reference,
      payerMessage: `Refund ${payment.client_reference ?? payment.hpn_code}`,
      payeeNote: `Refund ${payment.hpn_code}`,
      payeePhone: payment.payer_phone,
      originalTransactionId: original?.provider_transaction_id ?? payment.telco_transaction_id
    },
    note
  })
  tx.afterCommit(onCommit)
  return payment
}

/** Where the customer of a channel payment can pay by hand, as stored with its collection (iPay's paybill); [] when nowhere. */
export function manualPayTo (collectionRequest: string): ManualPayTo[] {
  const stored = JSON.parse(collectionRequest) as { payTo?: ManualPayTo[] }
  return Array.isArray(stored.payTo) ? stored.payTo : []
}
