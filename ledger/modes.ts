import type { Mode } from '../core/enums.js'

export { MODES, type Mode } from '../core/enums.js'

/** Whose objects a caller may see. */
export interface Owner {
  readonly merchantId: string
  readonly mode: Mode
}
