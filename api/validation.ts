import type { FastifySchemaValidationError } from 'fastify/types/schema.js'
import type { FieldProblem } from './envelope.js'

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
    }
    if (field === '') field = context ?? 'request'
    // anyOf/oneOf report each failed branch; one message per field is what a person needs.
    if (seen.has(field)) continue
    seen.add(field)
    out.push({ field, message: message.replace(/^must /, 'must ') })
  }
  return out
}
