import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseLifetime } from '@trellis/shared';
import { CliError, HelpRequested } from './errors.ts';

/**
 * node:util parseArgs with errors turned into a usage message for the command. `--help` or `-h` (before
 * any `--`) prints the usage and exits 0, unless the command handles a `help` option itself (a longer text).
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
  usage: string,
) {
  if (!('help' in options)) {
    const end = argv.indexOf('--');
    const flags = end < 0 ? argv : argv.slice(0, end);
    if (flags.includes('--help') || flags.includes('-h')) throw new HelpRequested(`usage: ${usage}`);
  }
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError(`trellis ${command}: ${(err as Error).message}\nusage: ${usage}`, 2);
  }
}

/** A TCP port from a flag or variable, refused with the flag named when it is not one. */
export function parsePort(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`${flag}: "${value}" is not a port number (0-65535)`, 2);
  return port;
}

/** How many processes (`trellis proxy --workers`, `install --node-agent-workers`): 1 (the default) to 64. */
export function parseProcessCount(value: string | undefined, flag: string): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new CliError(`${flag}: "${value}" is not a number of processes (1 to 64)`, 2);
  return n;
}

/** A lifetime flag ("30d", "12h", "90m", "45s") in milliseconds, refused with the flag named when it is not one. */
export function lifetimeFlag(value: string, flag: string): number {
  const ms = parseLifetime(value);
  if (ms === undefined || !(ms > 0)) throw new CliError(`${flag}: "${value}" is not a lifetime; write it like 30d, 12h, 90m or 45s`, 2);
  return ms;
}
