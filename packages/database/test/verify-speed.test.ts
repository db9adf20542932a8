/**
 * verify at volume, through the built CLI (pass rows built by each backend): the same generated messages
 * on both backends (VERIFY_BENCH_ROWS, default 100,000), a clean pass with its rows/s printed on
 * stderr, then three drifted rows among them found exactly. For the 1M-row measurement:
 * `VERIFY_BENCH_ROWS=1000000 pnpm --filter @repo/database exec vitest run test/verify-speed.test.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { cli, generatedId, generateMessages } from './verify-fixtures.js';

const ROWS = Number(process.env.VERIFY_BENCH_ROWS ?? 100_000);
let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let raw: ReturnType<typeof openRaw>;
let dataDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  ensureFreshDist();
  urls = await createBothDatabases('verifyspeed');
  await Promise.all([migrateSqlite(urls.sqliteUrl), migratePostgres(urls.pgUrl)]);
  const t0 = performance.now();
  await generateMessages({ sqliteUrl: urls.sqliteUrl, pgUrl: urls.pgUrl, count: ROWS });
  process.stderr.write(`[verify-speed] generated ${ROWS} messages on both sides in ${Math.round(performance.now() - t0)} ms\n`);
  raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  dataDir = mkdtempSync(join(tmpdir(), 'verify-speed-'));
  env = { LIBSQL_URL: urls.sqliteUrl, DATABASE_URL: urls.pgUrl };
}, 600_000);

afterAll(async () => {
  await raw?.close();
  await urls?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe(`verify of ${ROWS} messages`, () => {
  it('is clean, and reports its rows/s', async () => {
    const t0 = performance.now();
    const r = await cli(['--json', 'verify', '--table', 'messages', '--data-dir', dataDir], env);
    const wallMs = performance.now() - t0;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json.tables[0]).toMatchObject({ table: 'messages', sqliteRows: ROWS, postgresRows: ROWS, matched: ROWS });
    process.stderr.write(
      `[verify-speed] ${ROWS} rows: pass ${r.json.tables[0].durationMs} ms (${r.json.rowsPerSecond} rows/s), CLI wall ${Math.round(wallMs)} ms (process start included)\n`,
    );
  }, 600_000);

  it('finds exactly the drifted rows among them', async () => {
    const [gone, changed, extra] = [generatedId(7), generatedId(Math.floor(ROWS / 2)), generatedId(ROWS + 1)];
    await raw.pg.unsafe('DELETE FROM messages WHERE id = $1', [gone]);
    await raw.lite.execute({ sql: `UPDATE messages SET metadata = json_set(metadata, '$.nested.z', 2) WHERE id = ?`, args: [changed] });
    await raw.lite.execute({
      sql: `INSERT INTO messages (id, "timestamp", sender_type, user_id, username, channel_id, message_content, metadata, created_at, updated_at, version)
            VALUES (?, 1700000000123, 'ai', 'u', 'n', 'c', 'only on LibSQL', '{}', 1, NULL, 1)`,
      args: [extra],
    });
    const r = await cli(['--json', 'verify', '--table', 'messages', '--data-dir', dataDir, '--recheck-delay-ms', '0'], env);
    expect(r.code).toBe(4);
    expect(r.json.tables[0]).toMatchObject({ missingInPostgres: 2, missingInSqlite: 0, different: 1, matched: ROWS - 2 });
    expect(r.json.sample.map((e: { id: string; kind: string }) => `${e.kind} ${e.id}`).sort()).toEqual(
      [`missing_in_postgres ${gone}`, `missing_in_postgres ${extra}`, `different ${changed}`].sort(),
    );
    expect(r.json.sample.find((e: { id: string }) => e.id === changed).columns).toEqual(['metadata']);
  }, 600_000);

  it('survives LibSQL text that is not UTF-8 (the driver never decodes it; import would reject the row)', async () => {
    const latin1 = generatedId(ROWS - 3);
    await raw.lite.execute({ sql: `UPDATE messages SET message_content = CAST(x'636166e920c02062' AS TEXT) WHERE id = ?`, args: [latin1] });
    const r = await cli(['--json', 'verify', '--table', 'messages', '--data-dir', dataDir, '--recheck-delay-ms', '0'], env);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('');
    expect(r.json.tables[0]).toMatchObject({ missingInPostgres: 2, different: 1, rejected: 1, matched: ROWS - 3 });
    expect(r.json.rejectedSample.find((e: { id: string }) => e.id === latin1)).toMatchObject({ kind: 'rejected', column: 'message_content' });
  }, 600_000);
});
