import { Type, type SchemaOptions, type TLiteral, type TUnion } from '@sinclair/typebox'
import { MODES } from './enums.js'

/**
 * The TypeBox schema of an enum of core/enums.ts or core/networks.ts: config, route and parser
 * schemas derive theirs from the one list, so a value is never spelt in a schema.
 */
export const literals = <T extends string>(values: readonly T[], options?: SchemaOptions): TUnion<Array<TLiteral<T>>> =>
  Type.Union(values.map((v) => Type.Literal(v)), options)

/** `live` or `test`: the mode of a key, a payment, an endpoint, a channel. */
export const ModeSchema = (options?: SchemaOptions): TUnion<Array<TLiteral<typeof MODES[number]>>> => literals(MODES, options)
