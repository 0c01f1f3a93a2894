import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { literals } from '../core/enum-schema.js'
import { HarpoonError } from '../core/errors.js'
import { FIELD_NAMES, FORMAT_KINDS, NETWORKS, REFERENCE_STYLES, type FieldName, type FormatKind, type Network, type ReferenceStyle } from './types.js'

/**
 * Operator formats (`networks.<net>.formats` in the config) are validated twice: TypeBox checks the
 * shape (the config module reuses FormatEntrySchema), then compileFormats checks what a schema
 * cannot: that the pattern compiles, uses only known group names, and that a credit format can
 * produce both an amount and a transaction id.
 */

const FieldPatternsSchema = Type.Partial(Type.Object(
  Object.fromEntries(FIELD_NAMES.map((f) => [f, Type.String({ minLength: 1, maxLength: 2000 })])) as Record<FieldName, ReturnType<typeof Type.String>>,
  { additionalProperties: false }
))

export const FormatEntrySchema = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$', description: 'stable name; the same id as a built-in replaces it' }),
  network: Type.Optional(literals(NETWORKS)),
  kind: literals(FORMAT_KINDS),
  pattern: Type.String({ minLength: 1, maxLength: 4000, description: `regex source with named groups among ${FIELD_NAMES.join(', ')}` }),
  flags: Type.Optional(Type.String({ pattern: '^[imsu]{0,4}$', description: 'regex flags from i, m, s, u; default i' })),
  fields: Type.Optional(FieldPatternsSchema),
  reference_style: Type.Optional(literals(REFERENCE_STYLES)),
  description: Type.Optional(Type.String({ maxLength: 500 }))
}, { additionalProperties: false })

export const FormatListSchema = Type.Array(FormatEntrySchema, { maxItems: 500 })

export type FormatEntryInput = Static<typeof FormatEntrySchema>

/** A format ready for the engine. Regexes carry the `d` flag so the engine knows where the note sits. */
export interface CompiledFormat {
  id: string
  network: Network
  kind: FormatKind
  source: 'built-in' | 'config'
  regex: RegExp
  fields: ReadonlyArray<{ field: FieldName, regex: RegExp }>
  referenceStyle: ReferenceStyle
}

export interface FormatProblem { field: string, message: string }

const REQUIRED_FOR_CREDIT: readonly FieldName[] = ['amount', 'transaction_id']

/** The group names a pattern declares: an empty alternative makes it match "" and list them all. */
function groupNames (regex: RegExp): string[] {
  const probe = new RegExp(`(?:${regex.source})|`, regex.flags.replace(/[gyd]/g, ''))
  return Object.keys(probe.exec('')?.groups ?? {})
}

function compileOne (pattern: string, flags: string, at: string, problems: FormatProblem[]): RegExp | null {
  try {
    return new RegExp(pattern, `${flags}d`)
  } catch (err) {
    problems.push({ field: at, message: `is not a valid regular expression: ${err instanceof Error ? err.message : String(err)}` })
    return null
  }
}

/**
 * Validates and compiles a list of entries for one network. `path` names the list in messages
 * (`networks.mtn.formats`); every problem found is reported, not only the first.
 */
export function checkFormats (network: Network, entries: unknown, path: string, source: CompiledFormat['source'] = 'config'): { formats: CompiledFormat[], problems: FormatProblem[] } {
  const problems: FormatProblem[] = []
  if (!Value.Check(FormatListSchema, entries)) {
    for (const e of Value.Errors(FormatListSchema, entries)) {
      problems.push({ field: `${path}${e.path.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}`, message: e.message })
    }
    return { formats: [], problems }
  }
  const formats: CompiledFormat[] = []
  const seen = new Set<string>()
  entries.forEach((entry: FormatEntryInput, i: number) => {
    const at = `${path}[${i}] (${entry.id})`
    const before = problems.length
    if (seen.has(entry.id)) problems.push({ field: `${at}.id`, message: 'is used by another entry in the same list' })
    seen.add(entry.id)
    if (entry.network !== undefined && entry.network !== network) {
      problems.push({ field: `${at}.network`, message: `says ${entry.network} but the entry is listed under ${network}` })
    }
    const flags = entry.flags ?? 'i'
    if (new Set(flags).size !== flags.length) problems.push({ field: `${at}.flags`, message: 'repeats a flag' })
    const regex = compileOne(entry.pattern, flags, `${at}.pattern`, problems)
    const captured = new Set<string>()
    if (regex !== null) {
      for (const g of groupNames(regex)) {
        captured.add(g)
        if (!(FIELD_NAMES as readonly string[]).includes(g)) {
          problems.push({ field: `${at}.pattern`, message: `uses the unknown group name "${g}" (allowed: ${FIELD_NAMES.join(', ')})` })
        }
      }
    }
    const fields: Array<{ field: FieldName, regex: RegExp }> = []
    for (const field of FIELD_NAMES) {
      const fieldPattern = entry.fields?.[field]
      if (fieldPattern === undefined) continue
      const fieldRegex = compileOne(fieldPattern, flags, `${at}.fields.${field}`, problems)
      if (fieldRegex === null) continue
      const names = groupNames(fieldRegex)
      if (!names.includes(field)) problems.push({ field: `${at}.fields.${field}`, message: `must contain the named group (?<${field}>…)` })
      const stray = names.filter((g) => g !== field)
      if (stray.length > 0) problems.push({ field: `${at}.fields.${field}`, message: `may only use the group "${field}", not ${stray.join(', ')}` })
      captured.add(field)
      fields.push({ field, regex: fieldRegex })
    }
    if (entry.kind === 'credit') {
      for (const required of REQUIRED_FOR_CREDIT) {
        if (!captured.has(required)) problems.push({ field: `${at}.pattern`, message: `is a credit format but captures no "${required}" group (a credit needs amount and transaction_id)` })
      }
    }
    if (regex !== null && problems.length === before) {
      formats.push({ id: entry.id, network, kind: entry.kind, source, regex, fields, referenceStyle: entry.reference_style ?? 'plain' })
    }
  })
  return { formats, problems }
}

/** Like checkFormats, but throws one HarpoonError listing every problem. */
export function compileFormats (network: Network, entries: unknown, path = `networks.${network}.formats`, source: CompiledFormat['source'] = 'config'): CompiledFormat[] {
  const { formats, problems } = checkFormats(network, entries, path, source)
  if (problems.length > 0) {
    const lines = problems.map((p) => `${p.field} ${p.message}`)
    throw new HarpoonError('invalid_format', `invalid message format: ${lines.join('; ')}`, problems)
  }
  return formats
}
