import type { FastifyRequest } from 'fastify'
import { formatAmount } from '../core/money.js'
import { isoMillis } from '../core/time.js'
import type { AuditRecord } from '../ledger/audit-trail.js'
import type { LedgerTx } from '../ledger/ledger.js'
import type { PaymentRow } from '../ledger/payment-model.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The audit trail's name for what a state-changing route does (`payment.cancel`) and the kind
     * of object it acts on: every route that changes state through commitResponse is recorded.
     */
    audit?: AuditedRoute
  }
}

/** A route's `config.audit`. */
export interface AuditedRoute { readonly action: string, readonly target: string }

/**
 * What a route tells the audit trail about its change, filled inside the transaction: the object
 * (by the id it is known by, a payment by its reference), its state before and after. Without
 * `after`, the response's data is recorded; without `targetId`, the route's id parameter.
 */
export interface AuditNote {
  targetId?: string
  before?: unknown
  after?: unknown
  /** Nothing changed (an initialize that answered the PENDING payment it already had). */
  unchanged?: boolean
}

/** Fields that hold a secret or a link that works like one: never in the trail. */
const SECRET_FIELDS = new Set(['key', 'secret', 'previous_secret', 'checkout_url', 'token', 'password', 'api_key', 'subscription_key'])

/**
 * A JSON-able value with every secret field replaced by "[redacted]": a deep copy, or the value
 * itself when a copy would serialise the same (plain objects and arrays only, no secret field set;
 * what a change records, most of the time), which saves a copy of every record's snapshot.
 */
export function redactSecrets (value: unknown): unknown {
  return holdsNothingToRedact(value) ? value : redactedCopy(value)
}

function redactedCopy (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactedCopy)
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELDS.has(k) && v !== null ? '[redacted]' : redactedCopy(v)
  return out
}

/**
 * True when redactedCopy(value) would give the same JSON: no secret field with a value, and
 * nothing but plain objects and arrays inside (the copy turns any other object, a Date, into `{}`).
 */
function holdsNothingToRedact (value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!holdsNothingToRedact(value[i])) return false
    return true
  }
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) return false
  const fields = value as Record<string, unknown>
  for (const k in fields) {
    if (!Object.hasOwn(fields, k)) return false
    const v = fields[k]
    // An own `__proto__` (JSON.parse makes one) is lost by the copy's assignment: copy it as before.
    if ((SECRET_FIELDS.has(k) && v !== null) || k === '__proto__' || !holdsNothingToRedact(v)) return false
  }
  return true
}

/** A payment as the trail keeps it: what a change can move, not the whole view. */
export function paymentState (p: PaymentRow): Record<string, unknown> {
  return {
    reference: p.reference,
    hpn_code: p.hpn_code,
    status: p.status,
    expected_amount: formatAmount(p.expected_minor),
    actual_amount: p.actual_minor === null ? null : formatAmount(p.actual_minor),
    currency: p.currency,
    client_reference: p.client_reference,
    note: p.note
  }
}

/** Notes a change of one payment: its reference as the target, its state before (and after, once known). */
export function notePayment (note: AuditNote, before: PaymentRow | null, after?: PaymentRow): void {
  const target = after ?? before
  if (target !== null) note.targetId = target.reference
  note.before = before === null ? null : paymentState(before)
  if (after !== undefined) note.after = paymentState(after)
}

const ID_PARAMS = ['id', 'reference', 'delivery_id', 'hpn_code', 'client_ref'] as const

/**
 * Appends the record of one API call to the trail, inside the transaction of its change (called by
 * commitResponse, with the route's `config.audit`, for every route that declares one).
 */
export async function recordApiChange (tx: LedgerTx, request: FastifyRequest, audit: AuditedRoute | undefined, note: AuditNote, data: unknown): Promise<void> {
  const auth = request.auth
  if (audit === undefined || auth === null || note.unchanged === true) return
  const params = (request.params ?? {}) as Record<string, unknown>
  const param = ID_PARAMS.map((p) => params[p]).find((v): v is string => typeof v === 'string')
  await tx.auditTrail.append({
    actor: { type: 'key', id: auth.keyId, address: request.ip },
    merchantId: auth.merchantId,
    mode: auth.mode,
    action: audit.action,
    targetType: audit.target,
    targetId: note.targetId ?? param ?? null,
    before: redactSecrets(note.before ?? null),
    after: redactSecrets(note.after === undefined ? data : note.after)
  })
}

/** A record as GET /v1/audit shows it. */
export function auditRecordView (r: AuditRecord): Record<string, unknown> {
  return {
    seq: r.seq,
    at: isoMillis(r.at),
    actor: { type: r.actorType, id: r.actorId, address: r.address },
    merchant: r.merchantId,
    mode: r.mode,
    action: r.action,
    target: { type: r.targetType, id: r.targetId },
    before: r.beforeState === null ? null : JSON.parse(r.beforeState) as unknown,
    after: r.afterState === null ? null : JSON.parse(r.afterState) as unknown,
    prev_hash: r.prevHash,
    hash: r.hash
  }
}
