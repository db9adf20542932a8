// `db check` on a LibSQL file holding every trap: each one is listed (storage classes, the
// conversion import will apply, every rejected row by id and reason); exit 5 when rows would be
// rejected, 3 when the source is missing. Core function and the built CLI (child process).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDatabase, type CheckReport } from '../src/transfer/check.js';
import { createTestSqlite } from '../src/testing/index.js';
import { migrateSqlite } from '../src/migrations/migrate.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { buildTrapDatabase, runCli, TRAP_COUNTS, TRAP_REJECTED } from './transfer-fixtures.js';

let db: Awaited<ReturnType<typeof buildTrapDatabase>>;
let report: CheckReport;

beforeAll(async () => {
  ensureFreshDist();
  db = await buildTrapDatabase();
  report = await checkDatabase({ libsqlUrl: db.url });
});
afterAll(() => db?.remove());

const table = (name: string) => report.tables.find((t) => t.table === name)!;
const column = (t: string, c: string) => table(t).columns.find((x) => x.column === c)!;
const rejectOf = (id: string) => report.rejects.find((r) => r.id === id);

describe('check on the trap database', () => {
  it('counts rows, accepted and rejected per table', () => {
    for (const [name, n] of Object.entries(TRAP_COUNTS)) {
      expect({ name, rows: table(name).rows, rejected: table(name).rejected }).toEqual({ name, rows: n.read, rejected: n.rejected });
      expect(table(name).accepted + table(name).rejected).toBe(table(name).rows);
    }
    expect(table('user_analysis_history')).toMatchObject({ exists: true, rows: 3, accepted: 1 });
  });

  it('lists storage classes against the declared type', () => {
    expect(column('messages', 'timestamp')).toMatchObject({ declared: 'millis', classes: { integer: 14, text: 1 }, unexpected: ['text'] });
    expect(column('messages', 'created_at').classes).toEqual({ integer: 14, text: 1 });
    expect(column('documents', 'is_public').classes).toEqual({ text: 6, integer: 3 });
    expect(column('messages', 'guild_id').classes).toEqual({ text: 14, null: 1 }); // the integer 2^53+1 became text (TEXT affinity)
  });

  it('shows the conversion import will apply for each trap', () => {
    expect(column('messages', 'message_content').conversions).toEqual({ 'U+0000 stripped': 1, 'lone surrogate → U+FFFD': 1 });
    expect(column('messages', 'metadata').conversions).toEqual({ 'U+0000 stripped': 1, 'lone surrogate → U+FFFD': 1 });
    expect(column('messages', 'created_at').conversions).toEqual({ 'milliseconds ÷ 1000': 1, 'ISO-8601 text': 1 });
    // The ms column: ISO text → ms; milliseconds are never divided.
    expect(column('messages', 'timestamp').conversions).toEqual({ 'ISO-8601 text': 1 });
    expect(column('queries', 'timestamp').conversions).toEqual({ 'below 10^11: seconds? kept as milliseconds': 1 });
    expect(column('documents', 'is_public').conversions).toEqual({ "text 'true'": 1, "text 't'": 1, "text 'yes'": 1, "text 'off'": 1, "text 'F'": 1 });
    expect(column('user_profiles', 'last_interaction_at').conversions).toEqual({ 'milliseconds ÷ 1000': 1 });
    expect(column('user_profiles', 'first_seen_at').conversions).toEqual({ 'ISO-8601 text': 1 });
    expect(column('user_analysis_history', 'analysis_timestamp').conversions).toEqual({ 'milliseconds ÷ 1000': 1 });
    expect(table('messages').sanitized).toBe(4);
    expect(table('queries').coerced).toBe(0); // a "seconds?" note informs; the value is kept
  });

  it('lists every row it would reject, by id and reason', () => {
    expect(report.rejects.map((r) => r.id).sort()).toEqual(Object.keys(TRAP_REJECTED).sort());
    for (const [id, why] of Object.entries(TRAP_REJECTED)) expect(rejectOf(id)?.reason, id).toContain(why);
    expect(rejectOf('m-invalid-utf8')).toMatchObject({ column: 'message_content', value: "text x'61ff62'" });
    expect(rejectOf('m-big-2p63')).toMatchObject({ column: 'timestamp', value: '9223372036854775807' });
    expect(rejectOf('q-range')).toMatchObject({ column: 'execution_time_ms', value: '3000000000' });
    expect(rejectOf('h-of-bad')).toMatchObject({ column: 'user_id', value: '"u3"' });
  });
});

describe('db check (CLI)', () => {
  it('prints the profile and each reject, exits 5', async () => {
    const r = await runCli(['check'], { LIBSQL_URL: db.url });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toContain('messages.created_at (timestamp; found integer 14, text 1): ISO-8601 text ×1, milliseconds ÷ 1000 ×1');
    expect(r.stdout).toContain('messages.timestamp (millis; found integer 14, text 1): ISO-8601 text ×1');
    expect(r.stdout).toContain('document_collaborators dc-orphan [document_id]: orphan: document d-missing missing');
    expect(r.stdout).toContain('user_analysis_history h-orphan [user_id]: orphan: user_profile with user_id u-missing missing');
    expect(r.stdout).toMatch(/documents d-maybe \[is_public\]: not a boolean/);
  });

  it('--json prints one parseable document', async () => {
    const r = await runCli(['check', '--json'], { LIBSQL_URL: db.url });
    expect(r.code).toBe(5);
    const doc = JSON.parse(r.stdout) as CheckReport;
    expect(doc.totals.rejected).toBe(12);
    expect(doc.rejects).toHaveLength(12);
  });

  it('exits 0 on a clean database', async () => {
    const clean = createTestSqlite();
    await migrateSqlite(clean.url);
    try {
      const r = await runCli(['check'], { LIBSQL_URL: clean.url });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('No row would be rejected.');
    } finally {
      clean.remove();
    }
  });

  it('exits 3 and creates nothing when the LibSQL file does not exist', async () => {
    const missing = createTestSqlite();
    const r = await runCli(['check'], { LIBSQL_URL: missing.url });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/does not exist/);
    const { existsSync } = await import('node:fs');
    expect(existsSync(missing.path)).toBe(false);
    missing.remove();
  });
});
