/**
 * Commander's parse errors, said the way the rest of the CLI speaks: one line naming what was
 * wrong and the command's usage, exit 2 — never commander's own wording or exit code 1.
 */
import type { Command, CommanderError } from 'commander';
import { shown } from '../backup/labels.ts';
import { InputError } from '../errors.ts';

/** `crvs-backup config check`, from any command however deep. */
export function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function usageOf(cmd: Command): string {
  return `${fullName(cmd)} ${cmd.usage()}`.trim();
}

function quoted(message: string): string {
  return /'([^']*)'/.exec(message)?.[1] ?? '';
}

function suggestion(message: string): string {
  const s = /\(Did you mean ([^?]+)\?\)/.exec(message)?.[1];
  return s ? ` Did you mean ${s}?` : '';
}

/** A switch given a value (`--yes=no`): commander sees an unknown option; say what is really wrong. */
function switchWithValue(cmd: Command, token: string): InputError | undefined {
  const eq = token.indexOf('=');
  if (!token.startsWith('--') || eq < 0) return undefined;
  const name = token.slice(0, eq);
  const known = cmd.options.find((o) => o.long === name);
  if (!known || known.required || known.optional) return undefined;
  return new InputError(`${name} takes no value (got ${shown(token.slice(eq + 1))}). Usage: ${usageOf(cmd)}`);
}

/** The InputError for a commander parse error on `cmd`; undefined for help and version (exit 0). */
export function parseError(cmd: Command, err: CommanderError): InputError | undefined {
  // --help, --version and `help <command>` end parsing with exit code 0: nothing to refuse.
  if (err.exitCode === 0) return undefined;
  const usage = `Usage: ${usageOf(cmd)}`;
  switch (err.code) {
    case 'commander.help':
      return new InputError(`${fullName(cmd)} needs a command. Run ${fullName(cmd)} --help.`);
    case 'commander.unknownOption': {
      const token = quoted(err.message);
      return switchWithValue(cmd, token) ?? new InputError(`Unknown option ${shown(token)}.${suggestion(err.message)} ${usage}`);
    }
    case 'commander.unknownCommand':
      return new InputError(`unknown command "${quoted(err.message)}".${suggestion(err.message)} Run ${fullName(cmd)} --help.`);
    case 'commander.optionMissingArgument':
      return new InputError(`${/--[\w-]+/.exec(quoted(err.message))?.[0] ?? 'an option'} needs a value`);
    case 'commander.missingArgument':
      return new InputError(`Missing the set ${quoted(err.message)}. ${usage}`);
    case 'commander.excessArguments':
      return new InputError(`Unexpected argument ${shown(cmd.args[0] ?? '')}. ${usage}`);
    default:
      return new InputError(`${err.message.replace(/^error: /, '')}. ${usage}`);
  }
}
