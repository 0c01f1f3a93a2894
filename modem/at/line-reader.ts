import { classifyLine, type CommandContext, type Final } from './classify.js'

export interface Urc { readonly line: string, readonly pdu?: string }

export interface LineEvents {
  echo: (line: string) => void
  response: (line: string) => void
  final: (final: Final, line: string) => void
  urc: (urc: Urc) => void
}

/**
 * Turns the modem's byte stream (latin1 text, any fragmentation) into classified lines. Lines end
 * at CR or LF; empty lines are dropped, so `\r\r\n`, blank lines inside listings and glued URCs all
 * frame the same way. A `+CMT:`-style URC takes the next line as its PDU wherever it appears.
 */
export class AtLineReader {
  #buffer = ''
  #context: CommandContext | null = null
  #pendingPduUrc: string | null = null
  readonly #events: LineEvents

  constructor (events: LineEvents) { this.#events = events }

  setContext (context: CommandContext | null): void { this.#context = context }

  feed (chunk: string): void {
    this.#buffer += chunk
    for (;;) {
      const end = this.#buffer.search(/[\r\n]/)
      if (end < 0) break
      const line = this.#buffer.slice(0, end).trim()
      this.#buffer = this.#buffer.slice(end + 1)
      if (line !== '') this.#line(line)
    }
    // The send prompt has no line end; reception never asks for it, so a stale one is just dropped.
    if (this.#buffer === '> ') this.#buffer = ''
  }

  #line (line: string): void {
    if (this.#pendingPduUrc !== null) {
      const header = this.#pendingPduUrc
      this.#pendingPduUrc = null
      if (/^[0-9A-Fa-f"\s]+$/.test(line)) { this.#events.urc({ line: header, pdu: line }); return }
      this.#events.urc({ line: header })
    }
    const c = classifyLine(line, this.#context)
    switch (c.type) {
      case 'echo': this.#events.echo(line); break
      case 'final': this.#events.final(c.final, line); break
      case 'response': this.#events.response(line); break
      case 'urc':
        if (c.pduFollows) this.#pendingPduUrc = line
        else this.#events.urc({ line })
    }
  }
}
