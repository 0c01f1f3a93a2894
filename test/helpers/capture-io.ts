import { PassThrough } from 'node:stream'
import type { CommandIo } from '../../daemon/commands/io.js'

/** CommandIo over buffers, for running a CLI command in-process and reading what it printed. */
export function captureIo (): { io: CommandIo, out: () => string, err: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (c: Buffer) => { out += c.toString() })
  stderr.on('data', (c: Buffer) => { err += c.toString() })
  return { io: { stdin: new PassThrough(), stdout, stderr }, out: () => out, err: () => err }
}
