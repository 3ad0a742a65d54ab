/** `crvs-backup verify <label>`: checksums and a structural read of every artifact. */
import { verifySet } from '../../backup/verify-set.ts';
import { InputError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
import { allowOnly, type Args } from '../args.ts';

export async function verifyCommand(rt: Runtime, args: Args): Promise<number> {
  allowOnly(args, [], 'crvs-backup verify <label>');
  const label = args.positional[0];
  if (!label) throw new InputError('Usage: crvs-backup verify <label>');
  const result = await verifySet(rt.deps, label);
  if (result.problems.length === 0) {
    const n = result.manifest?.artifacts.length ?? 0;
    process.stdout.write(`✓ ${label}: ${n} artifacts verified (checksums and structure)\n`);
    return 0;
  }
  process.stdout.write(`✗ ${label} failed verification:\n${result.problems.map((p) => `- ${p}`).join('\n')}\n`);
  return 1;
}
