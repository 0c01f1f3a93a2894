import { HarpoonError } from '../../core/errors.js'

/** A mistake on the command line: printed as one line, exit code 2. */
export class CliError extends HarpoonError {
  constructor (message: string) {
    super('cli_usage', message)
    this.name = 'CliError'
  }
}
