// The CLI's expected failure: its message is printed as is, as `gossipchain: <message>` (docs/design.md §1).

export class CliError extends Error {
  override readonly name = 'CliError'
  constructor (message: string, readonly exitCode = 1) {
    super(message)
  }
}
