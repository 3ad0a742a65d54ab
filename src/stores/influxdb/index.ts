/** The InfluxDB 1.x store adapter (portable `influxd backup` / `influxd restore`). */
export { createInfluxAdapter, influxArtifactPath, type InfluxAdapterDeps } from './adapter.ts';
export { measureCounts, samplePoints, countKeys } from './counts.ts';
export { createInfluxHttp, quoteIdent, type InfluxHttp } from './http.ts';
