/**
 * The `folders` store: what OpenCRVS's scripts tar besides the databases — `/data/vsexport` (v1.8+)
 * by default, each configured folder as `folders/<slug>-<label>.tar.gz` — and MOSIP's sqlite file
 * (`MOSIP_SQLITE_FILE`) through sqlite's online backup as `folders/mosip-<label>.sqlite`.
 *
 * A restore reads and checks every archive first, extracts each into a sibling folder, compares
 * its content with the manifest's digest, and only then swaps it for the live folder.
 */
export { createFoldersAdapter, folderArtifactPath, folderSlug } from './adapter.ts';
