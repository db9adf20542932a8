import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Creates the folder of a `file:` URL's database, so a fresh data folder works. Other URLs: nothing. */
export function ensureParentFolder(url: string): void {
  if (!url.startsWith('file:')) return;
  const path = url.slice('file:'.length).split('?')[0]!;
  if (path && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
}
