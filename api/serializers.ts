import SerializerSelector from '@fastify/fast-json-stringify-compiler'

type Schema = Record<string, unknown>
type SerializerFactory = ReturnType<typeof SerializerSelector>

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v)
const isNull = (s: Schema): boolean => s['type'] === 'null'
const isTextConstant = (s: Schema): boolean => typeof s['const'] === 'string'

/**
 * What a response schema says to the serializer, without the choices it cannot make cheaply. The
 * route schemas spell a nullable field as `anyOf: [X, null]` and an enum as `anyOf` of constants
 * (api/schemas.ts `nullable`, `literals`): right for the OpenAPI document and for validating
 * requests, but fast-json-stringify decides an `anyOf` by running Ajv over each branch for every
 * value it writes (a date-time format check, an amount pattern, nine status constants): about a
 * third of a GET payment's serialisation on the bench. Here `anyOf: [X, null]` becomes X with
 * `nullable: true` and an `anyOf` of text constants becomes `type: 'string'`: the same bytes for
 * every answer the routes give (api/serializers.test.ts), since the serializer never rejected a
 * value of ours. Any other `anyOf` is left as it is. The route's own schema object is not changed.
 */
export function forSerialization (schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forSerialization)
  if (!isSchema(schema)) return schema
  const out: Schema = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' || key === 'patternProperties') {
      out[key] = isSchema(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forSerialization(v)])) : value
    } else if (key === 'items' || key === 'additionalProperties' || key === 'allOf' || key === 'oneOf' || key === 'anyOf') {
      out[key] = forSerialization(value)
    } else {
      out[key] = value
    }
  }
  const branches = out['anyOf']
  if (!Array.isArray(branches) || !branches.every(isSchema)) return out
  const values = branches.filter((b) => !isNull(b))
  let one: Schema
  if (values.length > 0 && values.every(isTextConstant)) one = { type: 'string' }
  else if (values.length === 1) one = values[0] as Schema
  else return out
  const { anyOf: _, ...rest } = out
  return { ...rest, ...one, ...(values.length < branches.length ? { nullable: true } : {}) }
}

/** Fastify's `schemaController.compilersFactory.buildSerializer`: its default compiler over `forSerialization`. */
export function fastSerializers (): SerializerFactory {
  const build = SerializerSelector()
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options)
    return (route) => compile({ ...route, schema: forSerialization(route.schema) })
  }
}
