/**
 * SQL as tagged templates. Every `${value}` is a bound parameter, never text spliced into the
 * statement, so one statement serves both engines: SQLite binds `?`, PostgreSQL `$1, $2, …`.
 *
 * A call site's `TemplateStringsArray` is the same object every time it runs, so an engine compiles
 * (and prepares) a statement once per call site and finds it again by identity: `sql` costs a
 * WeakMap lookup on the hot path, not a parse.
 *
 * Enum values (statuses, outcomes) are written with `literal()` so they come from their one module
 * and still reach the SQL text as literals: SQLite only uses a partial index such as
 * `WHERE status IN ('PENDING', 'PARTIAL')` when the query spells the same literals, never for a
 * bound parameter.
 */

export type Dialect = 'sqlite' | 'postgres'

/** What may be bound: integers and text, bytes, NULL. Booleans are stored as 0/1 on both engines. */
export type SqlValue = string | number | bigint | Buffer | null

/** A value written into the statement text (enum constants only: see `literal`). */
export class SqlLiteral {
  readonly text: string
  constructor (text: string) { this.text = text }
}

export interface SqlStatement {
  readonly strings: TemplateStringsArray
  readonly values: ReadonlyArray<SqlValue | SqlLiteral>
}

export function sql (strings: TemplateStringsArray, ...values: Array<SqlValue | SqlLiteral>): SqlStatement {
  return { strings, values }
}

// Enum values are short identifiers; anything else is a programming error, refused before it can
// become SQL text.
const SAFE_LITERAL = /^[A-Za-z0-9_.:-]{0,64}$/

/** An enum constant as SQL text: `'PENDING'`, or `('PENDING', 'PARTIAL')` for a list. */
export function literal (value: string | number | readonly string[]): SqlLiteral {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`literal ${value} is not a safe integer`)
    return new SqlLiteral(String(value))
  }
  const quote = (s: string): string => {
    if (!SAFE_LITERAL.test(s)) throw new Error(`literal ${JSON.stringify(s)} is not an enum-like constant`)
    return `'${s}'`
  }
  if (typeof value === 'string') return new SqlLiteral(quote(value))
  if (value.length === 0) throw new Error('a literal list needs at least one value')
  return new SqlLiteral(`(${value.map(quote).join(', ')})`)
}

export interface CompiledStatement {
  readonly text: string
  /** For each bound parameter, its index in `values` (literals are folded into `text`). */
  readonly slots: readonly number[]
  /** The literal texts folded in, by position, so a cache hit can prove they are the same. */
  readonly literals: ReadonlyArray<string | null>
}

export function compile (statement: SqlStatement, dialect: Dialect): CompiledStatement {
  const { strings, values } = statement
  let text = strings[0] ?? ''
  const slots: number[] = []
  const literals: Array<string | null> = []
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v instanceof SqlLiteral) {
      text += v.text
      literals.push(v.text)
    } else {
      slots.push(i)
      literals.push(null)
      text += dialect === 'sqlite' ? '?' : `$${slots.length}`
    }
    text += strings[i + 1] ?? ''
  }
  return { text, slots, literals }
}

/** True when `statement`'s literals are the ones `compiled` folded in (always, for a static call site). */
export function sameLiterals (compiled: CompiledStatement, statement: SqlStatement): boolean {
  const { values } = statement
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    const folded = compiled.literals[i]
    if (v instanceof SqlLiteral ? folded !== v.text : folded !== null) return false
  }
  return true
}

/** The bound parameters of `statement`, in order; `undefined` is a bug in the caller, not NULL. */
export function parameters (compiled: CompiledStatement, statement: SqlStatement): SqlValue[] {
  const out: SqlValue[] = new Array<SqlValue>(compiled.slots.length)
  for (let j = 0; j < compiled.slots.length; j++) {
    const i = compiled.slots[j] as number
    const v = statement.values[i]
    if (v === undefined) throw new Error(`SQL parameter ${j + 1} is undefined in: ${compiled.text.slice(0, 120)}`)
    out[j] = v as SqlValue
  }
  return out
}

/**
 * A per-engine cache of compiled statements keyed by call site. `make` turns a compiled statement
 * into whatever the engine keeps (a prepared statement, a named query).
 */
export class StatementCache<T> {
  readonly #dialect: Dialect
  readonly #make: (compiled: CompiledStatement) => T
  readonly #bySite = new WeakMap<TemplateStringsArray, { compiled: CompiledStatement, prepared: T }>()
  // A call site that passes different literals on different runs: keyed by its full text instead.
  readonly #byText = new Map<string, { compiled: CompiledStatement, prepared: T }>()

  constructor (dialect: Dialect, make: (compiled: CompiledStatement) => T) {
    this.#dialect = dialect
    this.#make = make
  }

  lookup (statement: SqlStatement): { compiled: CompiledStatement, prepared: T } {
    const hit = this.#bySite.get(statement.strings)
    if (hit !== undefined && sameLiterals(hit.compiled, statement)) return hit
    const compiled = compile(statement, this.#dialect)
    if (hit === undefined) {
      const entry = { compiled, prepared: this.#make(compiled) }
      this.#bySite.set(statement.strings, entry)
      return entry
    }
    let entry = this.#byText.get(compiled.text)
    if (entry === undefined) {
      entry = { compiled, prepared: this.#make(compiled) }
      this.#byText.set(compiled.text, entry)
    }
    return entry
  }
}
