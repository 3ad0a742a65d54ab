/**
 * Builds the `crvs-backup` program on commander from the command table (commands.ts). Parsing
 * only selects what to run: the configuration is read and connections are opened afterwards, so a
 * bad argument is refused (exit 2) before anything else happens.
 */
import { Command, CommanderError, Option } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { InputError } from '../errors.ts';
import { assertLabel } from '../backup/labels.ts';
import type { Runtime } from '../runtime.ts';
import { fullName, parseError, usageOf } from './parse-errors.ts';

/** What a parsed command line asks for: run it with a runtime built from the configuration. */
export type Run = (rt: Runtime) => Promise<number>;

/** Filled by the action of the command the command line names. */
export interface Chosen {
  run?: Run;
  /** The command's words without the program's, e.g. `config check`, `decrypt`. */
  command?: string;
}

/** One command: its words, what it takes, and how to run it with the parsed options. */
export interface CommandShape<O> {
  /** `verify`, or `config check` for a sub-command. */
  name: string;
  summary: string;
  /** Everything after the name in the usage line, e.g. `<label> [--json]`. */
  usage: string;
  label: boolean;
  /** The label may be left out (`drill [label]`): the command then picks the set. */
  optionalLabel?: boolean;
  options: Option[];
  examples: string[];
  select(label: string, options: O): Run;
}

export const VERSION: string = pkg.version;

function examplesText(examples: string[]): string {
  return `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`;
}

/** Parse errors become our InputErrors on the command they concern; help and version pass through. */
function speakOurWay(cmd: Command): Command {
  return cmd.exitOverride((err: CommanderError) => {
    throw parseError(cmd, err) ?? err;
  });
}

function group(parent: Command, word: string): Command {
  const existing = parent.commands.find((c) => c.name() === word);
  if (existing) return existing;
  return speakOurWay(parent.command(word).usage('<command> [options]').helpCommand(false));
}

function leaf<O>(program: Command, shape: CommandShape<O>, chosen: Chosen): void {
  const words = shape.name.split(' ');
  const last = words.pop() as string;
  let parent = program;
  for (const w of words) parent = group(parent, w);
  const cmd = speakOurWay(parent.command(last)).description(shape.summary).usage(shape.usage);
  for (const o of shape.options) cmd.addOption(o);
  if (shape.label) cmd.argument('<label>', 'the backup set, e.g. 2026-11-26 (see crvs-backup list)').allowExcessArguments(true);
  else if (shape.optionalLabel) cmd.argument('[label]', 'the backup set (default: the newest complete one)');
  cmd.addHelpText('after', examplesText(shape.examples));
  cmd.action(() => {
    const label = cmd.args[0] ?? '';
    if (shape.label) {
      if (cmd.args.length > 1) throw new InputError(`Expected one set label, got ${cmd.args.length} arguments. Usage: ${usageOf(cmd)}`);
      assertLabel(label);
    } else if (shape.optionalLabel && label !== '') assertLabel(label);
    // The option parsers above produced exactly these types.
    chosen.run = shape.select(label, cmd.opts() as O);
    chosen.command = shape.name;
  });
  if (parent !== program) {
    parent.description(parent.commands.length === 1 ? cmd.description() : parent.commands.map((c) => `${c.name()}: ${c.description()}`).join('; '));
    parent.addHelpText('after', examplesText([shape.examples[0] ?? fullName(cmd)]));
  }
}

/** A command's line in its parent's list: its words and its label, e.g. `config check`, `verify <label>`; options are in its own help. */
function term(c: Command): string {
  if (c.commands.length > 0) return `${c.name()} ${c.commands.map((s) => s.name()).join('|')}`;
  return [c.name(), ...c.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`))].join(' ');
}

/** The program and the slot its action fills; `parse` throws InputError or a CommanderError (exit 0). */
export function buildProgram(shapes: ReadonlyArray<CommandShape<never>>, footer: string): { program: Command; chosen: Chosen } {
  const chosen: Chosen = {};
  const program = new Command('crvs-backup')
    .description('Verified backups and safe restores of an OpenCRVS deployment.')
    .usage('<command> [options]')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s), outputError: () => undefined })
    .configureHelp({ subcommandTerm: term })
    .addHelpText('after', footer);
  speakOurWay(program);
  for (const shape of shapes) leaf(program, shape as CommandShape<unknown>, chosen);
  return { program, chosen };
}
