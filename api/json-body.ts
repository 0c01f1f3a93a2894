import type { FieldProblem } from './envelope.js'

/** How deep any one field may nest objects and arrays (`meta: {}` is one level). */
export const MAX_NESTING = 32

const PROTOTYPE_KEYS = 'keys named "__proto__", or "constructor" holding "prototype", are refused in every body: they could alter object prototypes'

interface Visit { value: unknown, path: string[], depth: number }

/**
 * What the route schemas cannot see in a parsed JSON body: a field nested deeper than MAX_NESTING
 * (free JSON such as `meta` 4,200 levels deep overflowed the stack in JSON.stringify, a 500), and a
 * key that could alter prototypes. Walks the body without recursion, so its own depth is no risk.
 * Returns the first problem, naming the top-level field for nesting and the key's path for keys.
 */
export function jsonBodyProblem (body: unknown): FieldProblem | null {
  const rootIsObject = isPlainObject(body)
  const stack: Visit[] = [{ value: body, path: [], depth: 0 }]
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as Visit
    if (value === null || typeof value !== 'object') continue
    // A field's own depth: the body object is not counted; a body that is itself an array is.
    const fieldDepth = rootIsObject ? depth : depth + 1
    if (fieldDepth > MAX_NESTING) {
      return { field: rootIsObject ? path[0] as string : 'body', message: `nests objects or arrays more than ${MAX_NESTING} levels deep` }
    }
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key]
      const at = [...path, key]
      if (key === '__proto__') return { field: at.join('.'), message: PROTOTYPE_KEYS }
      if (key === 'constructor' && isPlainObject(child) && Object.hasOwn(child, 'prototype')) return { field: [...at, 'prototype'].join('.'), message: PROTOTYPE_KEYS }
      stack.push({ value: child, path: at, depth: depth + 1 })
    }
  }
  return null
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
