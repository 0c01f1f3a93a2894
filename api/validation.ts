import type { FastifySchemaValidationError } from 'fastify/types/schema.js'
import type { FieldProblem } from './envelope.js'
import { ERROR_KEYWORD } from './validators.js'

/**
 * Turns Ajv's errors into SPEC §4 `details`: one entry per bad field, named the way the client
 * wrote it ("amount", "meta", "limit"), with a sentence a developer can act on.
 */
export function fieldProblems (errors: readonly FastifySchemaValidationError[], context: string | undefined): FieldProblem[] {
  const out: FieldProblem[] = []
  const seen = new Set<string>()
  for (const e of errors) {
    const params = e.params as Record<string, unknown>
    let field = e.instancePath.replace(/^\//, '').replace(/\//g, '.')
    let message = e.message ?? 'is invalid'
    if (e.keyword === 'required' && typeof params['missingProperty'] === 'string') {
      field = field === '' ? params['missingProperty'] : `${field}.${params['missingProperty']}`
      message = 'is required'
    } else if (e.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
      field = field === '' ? params['additionalProperty'] : `${field}.${params['additionalProperty']}`
      message = 'is not a known field'
    } else if (e.keyword === 'type' && field === '' && context === 'body') {
      field = 'body'
      message = 'must be a JSON object'
    } else {
      const alternatives = alternativesOf(e, errors)
      if (alternatives !== undefined) message = ownSentence(alternatives) ?? branchesMessage(alternatives, e, errors)
      else message = ownSentence(e) ?? message
    }
    if (field === '') field = context ?? 'request'
    // anyOf/oneOf report each failed branch; one message per field is what a person needs.
    if (seen.has(field)) continue
    seen.add(field)
    out.push({ field, message: message.replace(/^must /, 'must ') })
  }
  return out
}

/** The schema's own `x-error` sentence (Ajv's `verbose` puts the failing schema on the error). */
function ownSentence (e: FastifySchemaValidationError): string | undefined {
  const sentence = (e as { parentSchema?: Record<string, unknown> }).parentSchema?.[ERROR_KEYWORD]
  return typeof sentence === 'string' ? sentence : undefined
}

/** The anyOf/oneOf error that `e` is one failed branch of, if any. */
function alternativesOf (e: FastifySchemaValidationError, errors: readonly FastifySchemaValidationError[]): FastifySchemaValidationError | undefined {
  return errors.find((a) => (a.keyword === 'anyOf' || a.keyword === 'oneOf') && a.instancePath === e.instancePath && e.schemaPath.startsWith(`${a.schemaPath}/`))
}

/** "must be number or must match pattern …": every branch the value failed, not only the first. */
function branchesMessage (parent: FastifySchemaValidationError, e: FastifySchemaValidationError, errors: readonly FastifySchemaValidationError[]): string {
  const branches = errors.filter((b) => b !== parent && b.instancePath === e.instancePath && b.schemaPath.startsWith(`${parent.schemaPath}/`))
  return [...new Set(branches.map((b) => b.message ?? 'is invalid'))].join(' or ')
}
