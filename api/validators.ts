import AjvCompiler, { type Ajv, type BuildCompilerFromPool } from '@fastify/ajv-compiler'

/**
 * Ajv settings for every part of a request: every bad field reported, unknown fields kept (the schemas
 * refuse them), and each error carrying its schema so a schema's own `x-error` sentence can be shown.
 */
const AJV_OPTIONS = { allErrors: true, removeAdditional: false, useDefaults: true, verbose: true } as const

/** A schema's sentence for any failure of it (api/validation.ts shows it instead of Ajv's per-branch messages). */
export const ERROR_KEYWORD = 'x-error'

/**
 * One pool for the process: it keeps an Ajv per set of shared schemas and options, and each Ajv keeps
 * what it compiled, so an API built a second time in one process (every API test builds one) reuses
 * the compiled validators instead of compiling every route's schemas again.
 */
const pool = AjvCompiler()

/** What Fastify hands the compiler for each schema of a route (`@fastify/ajv-compiler`'s typing shows only the schema). */
type RouteSchema = Parameters<ReturnType<BuildCompilerFromPool>>[0] & { httpPart?: string }

/**
 * Two validators under Fastify's one: query strings and path parameters arrive as text, so
 * `?limit=5` is converted to the schema's integer; a JSON body already has its types and is taken
 * exactly as sent. Coercing a body turned `"amount": true` into 1.00, `"0x10"` into 16.00 and `[5]`
 * into 5.00 before the money parser saw them (issue 11 D2).
 */
export function partAwareValidators (): BuildCompilerFromPool {
  return (externalSchemas, options) => {
    const plugins = options?.plugins ?? []
    const onCreate = (ajv: Ajv): void => { ajv.addKeyword({ keyword: ERROR_KEYWORD, schemaType: 'string' }) }
    const text = pool(externalSchemas, { plugins, onCreate, customOptions: { ...AJV_OPTIONS, coerceTypes: 'array' } })
    const json = pool(externalSchemas, { plugins, onCreate, customOptions: { ...AJV_OPTIONS, coerceTypes: false } })
    return (route: RouteSchema) => route.httpPart === 'body' ? json(route) : text(route)
  }
}
