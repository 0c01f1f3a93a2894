import { afterEach, expect } from 'vitest'
import { onUnmappedError, type UnmappedError } from '../../core/error-codes.js'

/**
 * Every test file's setup (vitest.config.ts setupFiles): an error that reached a route of an API
 * running in this process without an HTTP status in core/error-codes.ts (or with a status its code
 * does not have) fails the test it happened in, whatever the test itself asserted.
 */
const seen: UnmappedError[] = []
onUnmappedError((e) => { seen.push(e) })

/** For the test of this check itself: what it saw so far, taken so that the test does not fail. */
export function takeUnmappedErrors (): UnmappedError[] {
  return seen.splice(0)
}

afterEach(() => {
  expect(takeUnmappedErrors(), 'an error reached a route without its HTTP status in core/error-codes.ts').toEqual([])
})
