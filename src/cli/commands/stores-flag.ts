/** Parses `--stores a,b` into known store names, or throws an InputError. */
import { InputError } from '../../errors.ts';
import { STORE_NAMES, type StoreName } from '../../stores/types.ts';

export function parseStores(value: string | undefined): StoreName[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !STORE_NAMES.includes(n as StoreName));
  if (bad.length > 0 || names.length === 0) {
    throw new InputError(`--stores takes a comma-separated list of: ${STORE_NAMES.join(', ')}${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}`);
  }
  return names as StoreName[];
}
