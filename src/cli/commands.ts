/** Every `crvs-backup` command: its words, options, examples, and the function that runs it. */
import { Option } from 'commander';

import { STORE_NAMES } from '../stores/types.ts';
// Types only: a command's module (and the store clients it pulls in) is loaded when it runs, so
// --help, --version and refused arguments answer at once.
import type { AdoptOptions } from './commands/adopt.ts';
import type { AuditOptions } from './commands/audit.ts';
import type { BackupOptions } from './commands/backup.ts';
import type { ConfigCheckOptions } from './commands/config-check.ts';
import type { DrillOptions } from './commands/drill.ts';
import type { HistoryOptions } from './commands/history.ts';
import type { JsonOption } from './commands/list.ts';
import type { PruneOptions } from './commands/prune.ts';
import type { RestoreOptions } from './commands/restore.ts';
import { dateValue, labelValue, storesValue, value, wholeNumber } from './option-values.ts';
import type { CommandShape } from './program.ts';

const json = (): Option => new Option('--json', 'print JSON for scripts (fields: see the README)');
const stores = (what: string): Option => new Option('--stores <a,b>', `${what} (any of ${STORE_NAMES.join(', ')}; default: BACKUP_STORES)`).argParser(storesValue);
const root = (): Option => new Option('--root <DIR>', 'the backup root to use instead of BACKUP_ROOT').argParser(value('--root'));

function shape<O>(s: CommandShape<O>): CommandShape<never> {
  return s as CommandShape<never>;
}

export const COMMANDS: ReadonlyArray<CommandShape<never>> = [
  shape<ConfigCheckOptions>({
    name: 'config check',
    summary: 'validate the configuration, print it (secrets redacted), try every service',
    usage: '[--quiet] [--json]',
    label: false,
    options: [new Option('--quiet', 'print only the services, not the configuration'), json()],
    examples: ['crvs-backup config check', 'crvs-backup config check --json | jq \'.services[] | select(.ok | not)\''],
    select: (_l, o) => async (rt) => (await import('./commands/config-check.ts')).configCheckCommand(rt, o),
  }),
  shape<BackupOptions>({
    name: 'backup',
    summary: 'run the backup pipeline here (backup, verify, offsite copy, retention, report) under the lock shared with the bot; needs Redis',
    usage: '[--label L] [--stores a,b] [--wait-lock SECONDS]',
    label: false,
    options: [
      new Option('--label <L>', 'name of the set (default: today\'s date in BACKUP_TIME_ZONE)').argParser(labelValue),
      stores('stores to back up'),
      new Option('--wait-lock <SECONDS>', 'wait this long for a running backup or restore to finish').argParser(wholeNumber('--wait-lock', 0, 86_400, 'a number of seconds')).default(0),
    ],
    examples: ['crvs-backup backup', 'crvs-backup backup --label before-upgrade --stores mongo,minio --wait-lock 600'],
    select: (_l, o) => async (rt) => (await import('./commands/backup.ts')).backupCommand(rt, o),
  }),
  shape<JsonOption>({
    name: 'list',
    summary: 'backup sets, newest first, and whether each is complete',
    usage: '[--json]',
    label: false,
    options: [json()],
    examples: ['crvs-backup list', 'crvs-backup list --json | jq -r \'.[] | select(.complete) | .label\''],
    select: (_l, o) => async (rt) => (await import('./commands/list.ts')).listCommand(rt, o),
  }),
  shape<JsonOption>({
    name: 'verify',
    summary: 'checksums and a full structural read of a set, touching no store',
    usage: '<label> [--json]',
    label: true,
    options: [json()],
    examples: ['crvs-backup verify 2026-11-26', 'crvs-backup verify 2026-11-26 --json'],
    select: (l, o) => async (rt) => (await import('./commands/verify.ts')).verifyCommand(rt, l, o),
  }),
  shape<AdoptOptions>({
    name: 'adopt',
    summary: 'make a set written by the old OpenCRVS scripts (no manifest) restorable: check, checksum, write a manifest (origin legacy), verify',
    usage: '<label> [--archive <file>... --passphrase-file <file>]',
    label: true,
    options: [
      new Option('--archive <file...>', "OpenCRVS's encrypted archives to unpack first: <LABEL>.tar.gz.enc (Swarm offsite) or <store>_backup_<date>.tar.gz.enc (Kubernetes)"),
      new Option('--passphrase-file <file>', 'a file holding the archives\' openssl passphrase (never on the command line)').argParser(value('--passphrase-file')),
    ],
    examples: ['crvs-backup adopt 2026-11-20', 'crvs-backup adopt 2026-11-20 --archive 2026-11-20.tar.gz.enc --passphrase-file /run/secrets/backup-passphrase'],
    select: (l, o) => async (rt) => (await import('./commands/adopt.ts')).adoptCommand(rt, l, o),
  }),
  shape<RestoreOptions>({
    name: 'restore',
    summary: 'REPLACE current data with a verified set (refused without --yes); no safety backup, no redeploy',
    usage: '<label> --yes [--stores a,b] | --at <moment> --yes',
    label: 'optional',
    options: [
      new Option('--yes', 'confirm: current data is replaced and cannot be recovered'),
      stores('restore only these stores'),
      new Option('--at <moment>', 'PostgreSQL to this moment (point-in-time recovery), e.g. 2026-11-26T14:05 in BACKUP_TIME_ZONE or with an offset; the other stores from the nightly set before it').argParser(value('--at')),
    ],
    examples: ['crvs-backup restore 2026-11-26 --yes', 'crvs-backup restore 2026-11-26 --yes --stores minio', 'crvs-backup restore --at 2026-11-26T14:05 --yes'],
    select: (l, o) => async (rt) => (o.at !== undefined ? (await import('./commands/restore-at.ts')).restoreAtCommand(rt, l, o) : (await import('./commands/restore.ts')).restoreCommand(rt, l, o)),
  }),
  shape<{ root?: string }>({
    name: 'pull',
    summary: 'fetch a set back from the backup server (checksums verified; decrypted when the key is set)',
    usage: '<label> [--root DIR]',
    label: true,
    options: [root()],
    examples: ['crvs-backup pull 2026-11-26', 'crvs-backup pull 2026-11-26 --root /mnt/restore'],
    select: (l, o) => async (rt) => (await import('./commands/pull.ts')).pullCommand(rt, l, o),
  }),
  shape<{ root?: string }>({
    name: 'decrypt',
    summary: 'decrypt a pulled set with only the key (OFFSITE_ENCRYPTION_KEY_FILE)',
    usage: '<label> [--root DIR]',
    label: true,
    options: [root()],
    examples: ['OFFSITE_ENCRYPTION_KEY_FILE=key crvs-backup decrypt 2026-11-26 --root ./recovered'],
    select: (l, o) => async (rt) => (await import('./commands/decrypt.ts')).decryptCommand(rt, l, o),
  }),
  shape<DrillOptions>({
    name: 'drill',
    summary: 'restore drill: restore a set into scratch databases/buckets beside the live data, compare content fingerprints, remove the scratch; needs Redis',
    usage: '[label] [--wait-lock SECONDS]',
    label: 'optional',
    options: [new Option('--wait-lock <SECONDS>', 'wait this long for a running backup or restore to finish').argParser(wholeNumber('--wait-lock', 0, 86_400, 'a number of seconds')).default(0)],
    examples: ['crvs-backup drill', 'crvs-backup drill 2026-11-26 --wait-lock 600'],
    select: (l, o) => async (rt) => (await import('./commands/drill.ts')).drillCommand(rt, l === '' ? undefined : l, o),
  }),
  shape<HistoryOptions>({
    name: 'history',
    summary: 'outcome of the recent backup, restore and drill runs, newest first',
    usage: '[--limit N] [--json]',
    label: false,
    options: [new Option('--limit <N>', 'how many runs (1–1000)').argParser(wholeNumber('--limit', 1, 1000)).default(20), json()],
    examples: ['crvs-backup history --limit 5'],
    select: (_l, o) => async (rt) => (await import('./commands/history.ts')).historyCommand(rt, o),
  }),
  shape<AuditOptions>({
    name: 'audit',
    summary: 'the append-only audit log of commands and decisions',
    usage: '[--user U] [--request R] [--since DATE] [--limit N] [--json]',
    label: false,
    options: [
      new Option('--user <U>', 'only this user (a Slack id, or cli:<login>)').argParser(value('--user')),
      new Option('--request <R>', 'only this restore request').argParser(value('--request')),
      new Option('--since <DATE>', 'only entries at or after this date, e.g. 2026-11-01').argParser(dateValue),
      new Option('--limit <N>', 'at most this many entries (1–100000)').argParser(wholeNumber('--limit', 1, 100_000)).default(100),
      json(),
    ],
    examples: ['crvs-backup audit --since 2026-11-01 --user UBOB'],
    select: (_l, o) => async (rt) => (await import('./commands/audit.ts')).auditCommand(rt, o),
  }),
  shape<PruneOptions>({
    name: 'prune',
    summary: 'apply local retention (RETENTION_DAYS*), never the newest complete set',
    usage: '[--dry-run]',
    label: false,
    options: [new Option('--dry-run', 'say what would be removed, remove nothing')],
    examples: ['crvs-backup prune --dry-run'],
    select: (_l, o) => async (rt) => (await import('./commands/prune.ts')).pruneCommand(rt, o),
  }),
];

