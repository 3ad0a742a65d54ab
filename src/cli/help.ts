/** The CLI's help text. */
export const HELP = `crvs-backup — verified backups and safe restores of an OpenCRVS deployment

Usage: crvs-backup <command> [options]

Commands:
  config check                 validate the configuration, print it (secrets redacted), try every service
  backup [--label L] [--stores a,b] [--wait-lock SECONDS]
                               run the backup pipeline (backup, verify, offsite copy, retention, report)
                               here, under the lock shared with the bot; needs Redis (REDIS_URL)
  list [--json]                backup sets, newest first, and whether each is complete
  verify <label>               checksums and a full structural read of a set, touching no store
  adopt <label>                make a set written by the old OpenCRVS scripts (no manifest) restorable:
                               check and checksum its files, write a manifest (origin legacy), verify
  restore <label> --yes [--stores a,b]
                               REPLACE current data with a verified set (refused without --yes)
  pull <label> [--root DIR]    fetch a set back from the backup server (checksums verified; decrypted when the key is set)
  decrypt <label> [--root DIR] decrypt a pulled set with only the key (OFFSITE_ENCRYPTION_KEY_FILE)
  history [--limit N] [--json] outcome of the recent backup and restore runs, newest first
  audit [--user U] [--request R] [--since DATE] [--limit N] [--json]
                               the append-only audit log of commands and decisions
  prune [--dry-run]            apply local retention (RETENTION_DAYS*), never the newest complete set

Stores: mongo, elasticsearch, influxdb, minio.
Configuration comes from the environment (and CRVS_CONFIG_FILE); see the README.
Exit codes: 0 ok, 1 failed, 2 bad input.
`;
