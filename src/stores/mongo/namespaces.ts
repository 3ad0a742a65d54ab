/** Which collections a dump includes and a restore recreates, and how their metadata is read. */
import type { Db, Document } from 'mongodb';
import type { CollectionInfo } from './archive-format.ts';

/**
 * Like mongodump for an ordinary database: `system.*` collections are server-managed and skipped,
 * except `system.js` (stored functions), which mongodump and mongorestore both keep.
 * `$admin.system.*` entries (from --dumpDbUsersAndRoles) belong to the admin database: skipped too.
 */
export function isDumpable(collection: string): boolean {
  if (collection === 'system.js') return true;
  if (collection.startsWith('system.') || collection.startsWith('$admin.')) return false;
  return !collection.includes('$');
}

function uuidHex(info: Document | undefined): string | undefined {
  const uuid: unknown = info?.['uuid'];
  if (uuid && typeof uuid === 'object' && 'buffer' in uuid && uuid.buffer instanceof Uint8Array) {
    return Buffer.from(uuid.buffer).toString('hex');
  }
  return undefined;
}

/** Collections and views of a database with options and index definitions, sorted by name. */
export async function listNamespaces(db: Db): Promise<CollectionInfo[]> {
  // promoteValues:false keeps Int32/Double/Long as typed wrappers so metadata round-trips exactly.
  const entries = await db.listCollections({}, { nameOnly: false, promoteValues: false }).toArray();
  const out: CollectionInfo[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!isDumpable(e.name)) continue;
    const type = typeof e['type'] === 'string' ? (e['type'] as string) : 'collection';
    const options = (e['options'] ?? {}) as Record<string, unknown>;
    const indexes: Array<Record<string, unknown>> = [];
    if (type === 'collection') {
      for (const idx of await db.collection(e.name).listIndexes({ promoteValues: false }).toArray()) {
        const { ns: _ns, ...rest } = idx as Document;
        indexes.push(rest);
      }
    }
    const uuid = uuidHex(e['info'] as Document | undefined);
    out.push({ options, indexes, ...(uuid ? { uuid } : {}), collectionName: e.name, type });
  }
  return out;
}

/** Documents per dumpable collection (views excluded), keyed `<db>.<collection>`. */
export async function countCollections(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const c of await listNamespaces(db)) {
    if (c.type !== 'collection') continue;
    counts[`${db.databaseName}.${c.collectionName}`] = await db.collection(c.collectionName).countDocuments({});
  }
  return counts;
}
