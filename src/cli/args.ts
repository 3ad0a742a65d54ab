/** A tiny argv parser: positionals, `--flag`, `--name value` and `--name=value`. */
import { assertLabel, shown } from '../backup/labels.ts';
import { InputError } from '../errors.ts';

export interface Args {
  positional: string[];
  flags: Map<string, string | true>;
}

/** What a command accepts; anything else is refused before the command runs (exit 2). */
export interface ArgSpec {
  /** Options that take a value. */
  valued: readonly string[];
  /** Options that are switches (`--yes`): a value given to one (`--yes=no`) is refused, never read as "on". */
  switches: readonly string[];
  /** `label`: exactly one positional, a valid set label. `none`: no positional at all. */
  positional: 'none' | 'label';
  usage: string;
}

/**
 * Parses argv. With a spec, also refuses unknown options, a switch given a value, an empty
 * value, and positionals the command does not take, each with the usage line.
 */
export function parseArgs(argv: string[], valued: readonly string[], spec?: ArgSpec): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--') || a === '--') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq > 0 ? eq : undefined);
    if (spec && !spec.valued.includes(name) && !spec.switches.includes(name)) {
      throw new InputError(`Unknown option ${shown(`--${name}`)}. Usage: ${spec.usage}`);
    }
    if (eq > 0) {
      const value = a.slice(eq + 1);
      if (!valued.includes(name)) throw new InputError(`--${name} takes no value (got ${shown(value)}). Usage: ${spec?.usage ?? ''}`.trim());
      if (value === '') throw new InputError(`--${name} needs a value`);
      flags.set(name, value);
    } else if (valued.includes(name)) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--') || v === '') throw new InputError(`--${name} needs a value`);
      flags.set(name, v);
      i++;
    } else flags.set(name, true);
  }
  if (spec) checkPositionals(positional, spec);
  return { positional, flags };
}

function checkPositionals(positional: string[], spec: ArgSpec): void {
  if (spec.positional === 'none') {
    const first = positional[0];
    if (first !== undefined) throw new InputError(`Unexpected argument ${shown(first)}. Usage: ${spec.usage}`);
    return;
  }
  if (positional.length !== 1) {
    throw new InputError(positional.length === 0 ? `Missing the set label. Usage: ${spec.usage}` : `Expected one set label, got ${positional.length} arguments. Usage: ${spec.usage}`);
  }
  assertLabel(positional[0] as string);
}

/** Rejects flags the command does not know, so a typo is not silently ignored. */
export function allowOnly(args: Args, known: readonly string[], usage: string): void {
  for (const name of args.flags.keys()) {
    if (!known.includes(name)) throw new InputError(`Unknown option --${name}. Usage: ${usage}`);
  }
}

export function stringFlag(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
