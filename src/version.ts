/** The bot's version, from package.json (recorded in every manifest). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const BOT_VERSION: string = (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
