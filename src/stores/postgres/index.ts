/**
 * The PostgreSQL store (OpenCRVS v1.9+: the records of the events service). One `pg_dump -Fc`
 * archive per database, `postgres/<db>-<label>.dump` — exactly what OpenCRVS's scripts write — plus
 * the cluster's roles without passwords, `postgres/roles-<label>.sql`.
 *
 * Restore follows v1.9's restore.sh and never does worse: a database is dropped only when the set
 * holds its dump (a v1.8 set has none: PostgreSQL is then left alone), every archive is read in full
 * before the first drop, missing roles are created, then `DROP DATABASE … WITH (FORCE)`, create,
 * and pg_restore of the configured schemas (`app` by default, as upstream; or all), counts compared.
 */
export { createPostgresAdapter, postgresArtifactPath, postgresRolesPath } from './adapter.ts';
export { createPgConnection, newPgClient, type PgConnection } from './connection.ts';
export { countTables } from './dump.ts';
