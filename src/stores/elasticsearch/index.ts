/** The Elasticsearch store adapter (snapshot API, fs repository; servers 7.17 and 8.x). */
export { createElasticsearchAdapter, ES_ARTIFACT_PATH, type ElasticsearchAdapterOptions } from './adapter.ts';
export { connect, compatibilityHeaders, serverVersion, type EsConnection } from './connection.ts';
export { snapshotName } from './snapshots.ts';
export { matchingIndices, docCounts } from './indices.ts';
export { recordedFigures, type SnapshotFigures } from './figures.ts';
