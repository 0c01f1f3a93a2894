import { SqlLiteral } from './sql.js'

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/

/** The keys of `Row` the list leaves out; `never` when it names them all. */
type Missing<Row, Names extends readonly string[]> = Exclude<keyof Row & string, Names[number]>

/**
 * A table's column list as statement text, for `SELECT ${COLUMNS} FROM …` and `RETURNING ${COLUMNS}`
 * instead of `*`: a prepared statement whose `*` widens under it (another node ran a migration that
 * added a column) fails on PostgreSQL, and a list that forgets a field of `Row` does not compile.
 * `columns<PaymentRow>()(['id', …])`.
 */
export function columns<Row> () {
  return <const Names extends ReadonlyArray<keyof Row & string>>(names: Missing<Row, Names> extends never ? Names : { missing: Missing<Row, Names> }): SqlLiteral => {
    const list = names as readonly string[]
    for (const n of list) if (!IDENTIFIER.test(n)) throw new Error(`${JSON.stringify(n)} is not a column name`)
    return new SqlLiteral(list.join(', '))
  }
}
