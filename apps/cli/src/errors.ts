/** An error meant for the person at the terminal: printed as is, no stack, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** `--help` was asked for: the message is the usage, printed on stdout, and the command succeeds. */
export class HelpRequested extends CliError {
  constructor(usage: string) {
    super(usage, 0);
  }
}
