/** Live and test objects never see each other: every query filters on both merchant and mode. */
export const MODES = ['live', 'test'] as const
export type Mode = typeof MODES[number]

/** Whose objects a caller may see. */
export interface Owner {
  readonly merchantId: string
  readonly mode: Mode
}
