import { Type, type Static } from '@sinclair/typebox'

/** The MTN operations the simulator serves, as faults and its log name them. */
export const SIM_OPERATIONS = [
  'provisioning', 'token', 'requesttopay', 'requesttopay-status', 'transfer', 'transfer-status',
  'account-balance', 'accountholder-active', 'basicuserinfo'
] as const
export type SimOperation = typeof SIM_OPERATIONS[number]

export const FaultSchema = Type.Object({
  /** Which operation it hits; "*" any. */
  operation: Type.Union([...SIM_OPERATIONS.map((o) => Type.Literal(o)), Type.Literal('*')]),
  /** error: answer `status` with `body`; hang: never answer; reset: close the connection without an answer. */
  kind: Type.Union([Type.Literal('error'), Type.Literal('hang'), Type.Literal('reset')]),
  status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599 })),
  body: Type.Optional(Type.Unknown()),
  /** How many matching calls it hits; default 1; 0 = every one until cleared. */
  times: Type.Optional(Type.Integer({ minimum: 0 })),
  /** true: the call takes effect first (a request is created) and only its answer is lost or replaced. */
  processed: Type.Optional(Type.Boolean())
}, { additionalProperties: false })
export type FaultInput = Static<typeof FaultSchema>

export interface Fault {
  id: number
  operation: SimOperation | '*'
  kind: 'error' | 'hang' | 'reset'
  status: number
  body: unknown
  /** Calls it will still hit; null = until cleared. */
  remaining: number | null
  processed: boolean
  hits: number
}

const DEFAULT_BODY = { code: 'INTERNAL_PROCESSING_ERROR', message: 'An internal error occurred while processing.' }

/** Injected failures, consumed first-in first-out by the calls they match. */
export class Faults {
  #next = 1
  #list: Fault[] = []

  add (input: FaultInput): Fault {
    const status = input.status ?? 500
    const fault: Fault = {
      id: this.#next++,
      operation: input.operation,
      kind: input.kind,
      status,
      body: input.body ?? (status === 503 ? { code: 'SERVICE_UNAVAILABLE', message: 'Service temporarily unavailable, try again later.' } : DEFAULT_BODY),
      remaining: input.times === 0 ? null : input.times ?? 1,
      processed: input.processed ?? false,
      hits: 0
    }
    this.#list.push(fault)
    return fault
  }

  /** The fault this call meets, if any (its count goes down by one). */
  take (operation: SimOperation): Fault | undefined {
    const fault = this.#list.find((f) => f.operation === '*' || f.operation === operation)
    if (fault === undefined) return undefined
    fault.hits++
    if (fault.remaining !== null) {
      fault.remaining--
      if (fault.remaining === 0) this.#list = this.#list.filter((f) => f !== fault)
    }
    return fault
  }

  list (): readonly Fault[] {
    return this.#list
  }

  clear (): void {
    this.#list = []
  }
}
