/** Where a command writes; tests pass buffers, the CLI passes the process streams. */
export interface CommandIo {
  stdin: NodeJS.ReadableStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

export function printLine (stream: NodeJS.WritableStream, text: string): void {
  stream.write(`${text}\n`)
}

/** Fixed-width table for list commands. */
export function table (rows: ReadonlyArray<Record<string, string>>, columns: readonly string[]): string {
  if (rows.length === 0) return '(none)'
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join('\n')
}
