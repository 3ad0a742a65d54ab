/** `crvs-backup verify <label> [--json]`: checksums and a structural read of every artifact. */
import { verifySet } from '../../backup/verify-set.ts';
import type { Runtime } from '../../runtime.ts';
import type { JsonOption } from './list.ts';

export async function verifyCommand(rt: Runtime, label: string, o: JsonOption): Promise<number> {
  const result = await verifySet(rt.deps, label);
  const ok = result.problems.length === 0;
  const artifacts = result.manifest?.artifacts.length ?? 0;
  if (o.json) {
    // Only what a script needs, with the same exit code as the text: 0 verified, 1 not.
    const stores = (result.manifest?.stores ?? []).map(({ store }) => ({
      store,
      ok: (result.byStore[store] ?? []).length === 0,
      artifacts: result.manifest?.artifacts.filter((a) => a.store === store).length ?? 0,
      problems: result.byStore[store] ?? [],
    }));
    const report = { label, ok, artifacts, manifestSha256: result.manifestSha256 ?? null, stores, problems: result.problems };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return ok ? 0 : 1;
  }
  if (ok) {
    process.stdout.write(`✓ ${label}: ${artifacts} artifacts verified (checksums and structure)\n`);
    return 0;
  }
  process.stdout.write(`✗ ${label} failed verification:\n${result.problems.map((p) => `- ${p}`).join('\n')}\n`);
  return 1;
}
