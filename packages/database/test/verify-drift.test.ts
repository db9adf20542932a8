/**
 * verify and reconcile on real data: phase-4 writes through the services (LibSQL primary, shadow
 * writes to PostgreSQL), then drift injected with SQL on one side, found by verify exactly, and
 * repaired by reconcile in both directions.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/ids.js';
import { openBackendPair, type BackendPair } from '../src/transfer/source/backend-pair.js';
import { reconcile } from '../src/transfer/reconcile.js';
import { readLastVerify } from '../src/transfer/verify-report.js';
import { verifyTables, type VerifyResult } from '../src/transfer/verify.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { openPhase, silentLogger } from './helpers/phase-db.js';
import { seedPhase4, type Seeded } from './verify-fixtures.js';

let urls: { sqliteUrl: string; pgUrl: string; cleanup: () => Promise<void> };
let raw: ReturnType<typeof openRaw>;
let pair: BackendPair;
let seeded: Seeded;
let dataDir: string;

const verify = (extra: Parameters<typeof verifyTables>[0] = {}) => verifyTables({ pair, recheckDelayMs: 0, dataDir, ...extra });
const driftIds = (r: VerifyResult) =>
  Object.fromEntries(
    r.tables
      .filter((t) => t.missingInPostgres + t.missingInSqlite + t.different > 0)
      .map((t) => [t.table, { missingInPostgres: [...t.ids.missingInPostgres].sort(), missingInSqlite: [...t.ids.missingInSqlite].sort(), different: [...t.ids.different].sort() }]),
  );

beforeAll(async () => {
  urls = await createBothDatabases('verify');
  seeded = await seedPhase4(urls);
  raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  pair = await openBackendPair({ libsqlUrl: urls.sqliteUrl, databaseUrl: urls.pgUrl });
  dataDir = mkdtempSync(join(tmpdir(), 'verify-data-'));
});

afterAll(async () => {
  await pair?.close();
  await raw?.close();
  await urls?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('verify', () => {
  it('is clean after phase-4 writes drained by close()', async () => {
    const r = await verify();
    expect(r.drift).toBe(0);
    expect(r.ok).toBe(true);
    const messages = r.tables.find((t) => t.table === 'messages')!;
    expect(messages).toMatchObject({ sqliteRows: 14, postgresRows: 14, matched: 14 }); // 12 human messages, an AI reply, a tool call
    // every table has data, and the deleted document is gone on both sides (tombstones count as matching absence)
    for (const t of r.tables) expect(t.sqliteRows, t.table).toBeGreaterThan(0);
    const tomb = await raw.pg.unsafe(`SELECT version FROM row_tombstones WHERE id = $1`, [seeded.deletedDocument]);
    expect(tomb).toHaveLength(1);
    expect(readLastVerify(dataDir)).toMatchObject({ ok: true, drift: 0, reportFile: null });
  });

  it('does not count JSON key order, JSON spacing or the NUL policy as drift', async () => {
    const [a, b] = seeded.messages;
    // Same JSON, other key order and spacing, on LibSQL only.
    const meta = await raw.lite.execute({ sql: 'SELECT metadata FROM messages WHERE id = ?', args: [a!] });
    const parsed = JSON.parse(String(meta.rows[0]!.metadata)) as Record<string, unknown>;
    const reordered = `{ ${Object.entries(parsed)
      .reverse()
      .map(([k, v]) => `"${k}" : ${JSON.stringify(v)}`)
      .join(',\n ')} }`;
    expect(Object.keys(JSON.parse(reordered))).not.toEqual(Object.keys(parsed));
    await raw.lite.execute({ sql: 'UPDATE messages SET metadata = ? WHERE id = ?', args: [reordered, a!] });
    // U+0000 in LibSQL text (PostgreSQL cannot store it; the policy strips it): the same row after the policy.
    const content = await raw.pg.unsafe(`SELECT message_content FROM messages WHERE id = $1`, [b!]);
    const text = String(content[0]!.message_content);
    await raw.lite.execute({ sql: `UPDATE messages SET message_content = CAST(? AS TEXT) WHERE id = ?`, args: [Buffer.from(`${text.slice(0, 5)}\u0000${text.slice(5)}`, 'utf8'), b!] });
    const stored = await raw.lite.execute({ sql: 'SELECT length(CAST(message_content AS BLOB)) AS n FROM messages WHERE id = ?', args: [b!] });
    expect(Number(stored.rows[0]!.n)).toBe(Buffer.byteLength(text) + 1);

    const r = await verify();
    expect(driftIds(r)).toEqual({});
    expect(r.ok).toBe(true);
  });

  it('reads non-ASCII text exactly, and LibSQL text that is not UTF-8 without crashing (reported as rejected: import rejects it)', async () => {
    const [a, b] = [seeded.messages[8]!, seeded.messages[9]!];
    const fancy = 'naïve café — 日本語 🦊 \u{1F600} ok';
    await raw.lite.execute({ sql: 'UPDATE messages SET message_content = ? WHERE id = ?', args: [fancy, a] });
    await raw.pg.unsafe('UPDATE messages SET message_content = $2 WHERE id = $1', [a, fancy]);
    // Latin-1 bytes stored as TEXT (a legacy writer): the libsql driver aborts the process on
    // such text, so verify must never read it as text.
    await raw.lite.execute({ sql: `UPDATE messages SET message_content = CAST(x'636166e920c02062' AS TEXT) WHERE id = ?`, args: [b] });
    const r = await verify();
    // not drift reconcile could copy (PostgreSQL cannot take that text): a rejected row, with PostgreSQL's state of it
    expect(driftIds(r)).toEqual({});
    expect(r.rejected).toBe(1);
    expect(r.rejectedSample[0]).toMatchObject({ id: b, kind: 'rejected', column: 'message_content', postgres: { version: 1 } });
    expect(r.rejectedSample[0]!.reason).toContain('invalid UTF-8');
    // put the row back as PostgreSQL has it
    const original = String((await raw.pg.unsafe('SELECT message_content FROM messages WHERE id = $1', [b]))[0]!.message_content);
    await raw.lite.execute({ sql: 'UPDATE messages SET message_content = ? WHERE id = ?', args: [original, b] });
    expect(await verify()).toMatchObject({ ok: true, rejected: 0 });
  });

  it('reports exactly the drifted ids: missing, extra, changed on either side', async () => {
    const [m0, m1, m2] = [seeded.messages[3]!, seeded.messages[4]!, seeded.messages[5]!];
    const extraQuery = newId();
    await raw.pg.unsafe(`DELETE FROM messages WHERE id = $1`, [m0]); // missing in postgres
    await raw.pg.unsafe(
      `INSERT INTO queries (id, "timestamp", user_id, username, query_text, query_result, created_at, updated_at, version)
       VALUES ($1, 1700000000123, 'u', 'ghost', 'ghost', '{}'::jsonb, 1, NULL, 1)`,
      [extraQuery],
    ); // missing in sqlite
    await raw.pg.unsafe(`UPDATE messages SET message_content = 'corrupted' WHERE id = $1`, [m1]); // same version, other content
    await raw.lite.execute({ sql: `UPDATE messages SET metadata = json_set(metadata, '$.topic', 'other') WHERE id = ?`, args: [m2] });
    await raw.lite.execute({ sql: `UPDATE documents SET title = 'renamed', version = version + 1 WHERE id = ?`, args: [seeded.documents[0]!] });

    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.drift).toBe(5);
    expect(driftIds(r)).toEqual({
      messages: { missingInPostgres: [m0], missingInSqlite: [], different: [m1, m2].sort() },
      queries: { missingInPostgres: [], missingInSqlite: [extraQuery], different: [] },
      documents: { missingInPostgres: [], missingInSqlite: [], different: [seeded.documents[0]!] },
    });
    const byId = new Map(r.sample.map((e) => [e.id, e]));
    expect(byId.get(m1)).toMatchObject({ kind: 'different', columns: ['message_content'], sqlite: { version: 1 }, postgres: { version: 1 } });
    expect(byId.get(m2)!.columns).toEqual(['metadata']);
    expect(byId.get(m0)).toMatchObject({ kind: 'missing_in_postgres', postgres: { version: null, checksum: null, tombstoneVersion: null } });
    expect(byId.get(m0)!.sqlite.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(byId.get(seeded.documents[0]!)).toMatchObject({ columns: ['title', 'version'], sqlite: { version: 3 }, postgres: { version: 2 } });
    // every drifted row is in the report file, and the summary points at it
    const lines = readFileSync(r.reportFile!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    expect(lines.map((l) => l.id).sort()).toEqual([m0, m1, m2, extraQuery, seeded.documents[0]!].sort());
    expect(readLastVerify(dataDir)).toMatchObject({ ok: false, drift: 5, reportFile: r.reportFile });
  });

  it('reconcile --dry-run plans the repair and writes nothing', async () => {
    const before = await verify();
    const r = await reconcile({ pair, from: 'sqlite', dryRun: true, recheckDelayMs: 0 });
    expect(r.dryRun).toBe(true);
    expect(r.ok).toBe(false);
    expect(r.planned).toEqual({ upsert: 4, delete: 1, skip_newer: 0, none: 0 });
    expect(r.applied).toBe(0);
    expect(r.remaining).toBeNull();
    const after = await verify();
    expect(driftIds(after)).toEqual(driftIds(before));
  });

  it('reconcile --from sqlite makes PostgreSQL equal to LibSQL, and verify is clean', async () => {
    const r = await reconcile({ pair, from: 'sqlite', recheckDelayMs: 0 });
    expect(r.failed).toEqual([]);
    expect(r.applied).toBe(5);
    expect(r.remaining).toBe(0);
    expect(r.ok).toBe(true);
    const after = await verify();
    expect(after.ok).toBe(true);
    // the PostgreSQL-only row was deleted there and tombstoned
    const extra = r.sample.find((a) => a.action === 'delete')!;
    expect(await raw.pg.unsafe(`SELECT 1 FROM queries WHERE id = $1`, [extra.id])).toHaveLength(0);
    expect(await raw.pg.unsafe(`SELECT version FROM row_tombstones WHERE table_name = 'queries' AND id = $1`, [extra.id])).toEqual([{ version: 2 }]);
  });

  it('leaves a newer target row alone and says so; the other direction then repairs it', async () => {
    const id = seeded.messages[6]!;
    await raw.pg.unsafe(`UPDATE messages SET message_content = 'newer on postgres', version = version + 1 WHERE id = $1`, [id]);
    const r = await reconcile({ pair, from: 'sqlite', recheckDelayMs: 0 });
    expect(r.planned.skip_newer).toBe(1);
    expect(r.remaining).toBe(1);
    expect(r.ok).toBe(false);
    expect(r.remainingSample[0]).toMatchObject({ id, kind: 'different' });
    const back = await reconcile({ pair, from: 'postgres', recheckDelayMs: 0 });
    expect(back.ok).toBe(true);
    const lite = await raw.lite.execute({ sql: 'SELECT message_content, version FROM messages WHERE id = ?', args: [id] });
    expect(lite.rows[0]).toMatchObject({ message_content: 'newer on postgres', version: 2n });
  });

  it('re-checks after the delay: a mismatch that converges meanwhile is not drift', async () => {
    const id = seeded.messages[7]!;
    const original = String((await raw.pg.unsafe(`SELECT message_content FROM messages WHERE id = $1`, [id]))[0]!.message_content);
    await raw.pg.unsafe(`UPDATE messages SET message_content = 'in flight' WHERE id = $1`, [id]);
    let told = 0;
    const r = await verify({
      recheckDelayMs: 300,
      // The row converges during the delay (as a late shadow write would make it).
      onRecheck: (n) => {
        told = n;
        // (postgres.js queries run when awaited or then'd)
        raw.pg.unsafe(`UPDATE messages SET message_content = $2 WHERE id = $1`, [id, original]).then(() => {});
      },
    });
    expect(told).toBe(1);
    expect(r.ok).toBe(true);
    expect(r.tables.find((t) => t.table === 'messages')!.resolvedOnRecheck).toBe(1);
    // without convergence the same mismatch is drift
    await raw.pg.unsafe(`UPDATE messages SET message_content = 'still different' WHERE id = $1`, [id]);
    const r2 = await verify({ recheckDelayMs: 50 });
    expect(driftIds(r2)).toEqual({ messages: { missingInPostgres: [], missingInSqlite: [], different: [id] } });
    await reconcile({ pair, from: 'sqlite', recheckDelayMs: 0 });
  });

  it('rollback path: after phase-6 writes (PostgreSQL only), reconcile --from postgres brings LibSQL up to date', async () => {
    const db = await openPhase('6', urls, {}, silentLogger);
    let added: string;
    try {
      const place = { userId: seeded.userId, username: 'ada', channelId: seeded.channelId, channelName: 'general' };
      added = await db.messageService.saveAIMessage({ ...place, messageContent: 'written in phase 6' });
      await db.documentService.updateDocumentContent(seeded.documents[0]!, 'phase 6 edit');
      // created with its owner collaborator, then both deleted: tombstones on PostgreSQL only, not drift
      const doomed = await db.documentService.createDocument({ createdBy: seeded.userId, title: 'born and deleted in phase 6' });
      await db.documentService.deleteDocument(doomed.id);
      await db.queryService.saveQuery({ userId: seeded.userId, username: 'ada', queryText: 'phase 6', executionTimeMs: 1 });
    } finally {
      await db.close();
    }
    const before = await verify();
    expect(before.drift).toBe(3);
    expect(before.tables.find((t) => t.table === 'messages')!.ids.missingInSqlite).toEqual([added!]);

    const r = await reconcile({ pair, from: 'postgres', recheckDelayMs: 0 });
    expect(r.to).toBe('sqlite');
    expect(r.planned).toMatchObject({ upsert: 3, delete: 0 });
    expect(r.ok).toBe(true);
    expect((await verify()).ok).toBe(true);
    const doc = await raw.lite.execute({ sql: 'SELECT content FROM documents WHERE id = ?', args: [seeded.documents[0]!] });
    expect(doc.rows[0]!.content).toBe('phase 6 edit');
  });

  it('refuses an unknown table and names the tables', async () => {
    await expect(verify({ tables: ['nope' as never] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('writes no report file when there is no drift', async () => {
    const r = await verify();
    expect(r.reportFile).toBeNull();
    expect(existsSync(join(dataDir, 'last-verify.json'))).toBe(true);
  });
});
