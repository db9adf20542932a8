// kill -9 of `db adopt --apply` at several moments of its one transaction, on a bigger file: the
// file is then either exactly the old one (omega-bot's layout, same rows) or the adopted one (and
// opens, passes integrity checks, and adopt can finish it).
import { spawn } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLayout } from '../src/adopt/detect.js';
import { columnsOf, dump, fixture, runCli, tempFolder, withDb } from './adopt-helpers.js';

const PKG = new URL('../', import.meta.url).pathname;
let tmp: ReturnType<typeof tempFolder>;
let base: string;
let legacy: Map<string, string[]>;
let rows: Record<string, unknown[][]>;

beforeAll(() => {
  tmp = tempFolder();
  base = tmp.file('base.db');
  fixture(base, { layout: 'omega-v2', size: 30_000, seed: 5 });
  legacy = columnsOf(base);
  rows = dump(base, legacy);
}, 120_000);
afterAll(() => tmp?.remove());

/** Starts adopt --apply on `path` and kills it with SIGKILL `delayMs` after its checksums-before line. */
function adoptAndKill(path: string, delayMs: number): Promise<{ killed: boolean; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/cli/main.js', 'adopt', '--libsql-url', `file:${path}`, '--apply'], { cwd: PKG, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let armed = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!armed && stdout.includes('\nbefore ')) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL', stdout }));
  });
}

describe('kill -9 mid-apply', () => {
  it('leaves the old file or the adopted one, never a mix', async () => {
    const outcomes: string[] = [];
    for (const delay of [0, 300, 900, 6_000]) {
      const path = tmp.file(`k${delay}.db`);
      copyFileSync(base, path);
      const r = await adoptAndKill(path, delay);
      const d = await detectLayout(`file:${path}`);
      withDb(path, (db) => {
        expect((db.prepare('PRAGMA integrity_check').get() as Record<string, string>).integrity_check).toBe('ok');
      });
      expect(dump(path, legacy)).toEqual(rows);
      if (d.kind === 'adopted') {
        expect(r.stdout.includes('adopted:') || r.killed).toBe(true);
        withDb(path, (db) => db.exec(`INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')`));
      } else {
        // the old file exactly: omega-bot's v2 layout, no column added, no journal
        expect(d.kind).toBe('omega-older');
        expect(d.journal).toBe('absent');
        expect(columnsOf(path)).toEqual(legacy);
        // and adopt finishes it (the backup of the killed run is moved away first)
        rmSync(`${path}.pre-adopt.bak`, { force: true });
        const again = await runCli(['adopt', '--libsql-url', `file:${path}`, '--apply']);
        expect(again.code, again.stderr).toBe(0);
        expect((await detectLayout(`file:${path}`)).kind).toBe('adopted');
        expect(dump(path, legacy)).toEqual(rows);
      }
      outcomes.push(`${delay}ms: ${r.killed ? 'killed' : 'finished'} → ${d.kind}`);
      rmSync(path, { force: true });
      rmSync(`${path}.pre-adopt.bak`, { force: true });
    }
    // at least one kill landed inside the transaction (the old file survived it), and the last run finished
    expect(outcomes.some((o) => o.includes('killed → omega-older')), outcomes.join('; ')).toBe(true);
    expect(outcomes.at(-1), outcomes.join('; ')).toMatch(/→ adopted$/);
  }, 180_000);
});
