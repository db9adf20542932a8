import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A LibSQL file in a new temporary folder; `remove()` deletes the folder. */
export function createTestSqlite(name = 'test.db'): { url: string; path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'repo-db-'));
  const path = join(dir, name);
  return { url: `file:${path}`, path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
