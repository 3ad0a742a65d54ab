/** A tiny argv parser: positionals, `--flag`, `--name value` and `--name=value`. */
import { InputError } from '../errors.ts';

export interface Args {
  positional: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[], valued: readonly string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq > 0 ? eq : undefined);
    if (eq > 0) flags.set(name, a.slice(eq + 1));
    else if (valued.includes(name)) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new InputError(`--${name} needs a value`);
      flags.set(name, v);
      i++;
    } else flags.set(name, true);
  }
  return { positional, flags };
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
