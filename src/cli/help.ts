/** The end of `crvs-backup --help`: what every command shares. */
import { STORE_NAMES } from '../stores/types.ts';

export const FOOTER = `
Stores: ${STORE_NAMES.join(', ')}.
Configuration comes from the environment (and CRVS_CONFIG_FILE); see the README.
Exit codes: 0 ok, 1 failed (including a partial set), 2 bad input.

Examples:
  $ crvs-backup config check
  $ crvs-backup backup && crvs-backup list
  $ crvs-backup restore 2026-11-26 --yes
  $ crvs-backup help restore
`;
