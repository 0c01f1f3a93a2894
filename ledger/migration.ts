/**
 * One schema step of one engine. Versions are applied in order, once, each in its own transaction;
 * both engines carry the same numbers and names (ledger/README.md, Layout).
 */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly up: string
}
