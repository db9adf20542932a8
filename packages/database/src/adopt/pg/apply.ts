/**
 * `adopt --target postgres`: takes over a PostgreSQL database where omega-bot's own schema runner
 * created its tables. The plan adds the product's bookkeeping (`version DEFAULT 1`, `updated_at`
 * where absent, `messages.search_vector` + its GIN index), the product's indexes, `row_tombstones`
 * and drizzle's journal stamp; it converts a column only where the product's type differs and the
 * conversion is lossless (see {@link PgConversion}), and renames omega's foreign keys to the
 * product's names. Everything runs in ONE transaction holding ACCESS EXCLUSIVE locks on the six
 * tables, between two runs of row counts and per-table checksums of the legacy columns (values in
 * the form the conversion preserves: JSON as jsonb text, REAL as its decimal text, 0/1 as
 * false/true) that must be equal; a value that cannot convert refuses the whole adoption (table, id,
 * reason) before anything is changed. Rows are never deleted, renamed or rewritten otherwise.
 */
import postgres from 'postgres';
import { pgClientOptions } from '../../stores/pg/pg-connection.js';
import { DatabaseError } from '../../errors.js';
import { tableNames, TOMBSTONES_TABLE, type TableName } from '../../schema/tables.js';
import { journal } from '../../transfer/source/migration-status.js';
import { checksumDifferences } from '../checksum.js';
import type { PlanStatement } from '../plan.js';
import { classifyPostgres, pgLayoutLeft, type PgConversion, type PgDetectedLayout } from './detect.js';
import { inspectPostgres } from './inspect.js';
import { pgAddForeignKey, pgColumnDefinition, pgCreateIndex, pgCreateTable, productPgLayout, quoteIdent as q } from './layout.js';

/** One change of a PostgreSQL adoption, with the statements that make it. */
export type PgPlanStep =
  | { readonly kind: 'convert-column'; readonly table: TableName; readonly column: string; readonly from: string; readonly to: string; readonly sql: readonly string[] }
  | { readonly kind: 'add-column'; readonly table: TableName; readonly column: string; readonly definition: string; readonly sql: readonly string[] }
  | { readonly kind: 'rename-constraint'; readonly table: TableName; readonly from: string; readonly to: string; readonly sql: readonly string[] }
  | { readonly kind: 'add-constraint'; readonly table: TableName; readonly name: string; readonly sql: readonly string[] }
  | { readonly kind: 'create-table'; readonly table: string; readonly sql: readonly string[] }
  | { readonly kind: 'create-index'; readonly table: TableName; readonly index: string; readonly definition: string; readonly sql: readonly string[] }
  | { readonly kind: 'create-extension'; readonly name: string; readonly neededBy: readonly string[]; readonly sql: readonly string[] }
  | { readonly kind: 'stamp-journal'; readonly tag: string; readonly hash: string; readonly createdAt: number; readonly sql: readonly PlanStatement[] };

/** The plan of a database (empty `steps` when there is nothing to do). */
export interface PgAdoptPlan {
  readonly layout: PgDetectedLayout;
  readonly steps: readonly PgPlanStep[];
}

/** One table's count and checksum (see {@link pgTableChecksums}). */
export interface PgTableChecksum {
  readonly table: TableName;
  readonly rows: number;
  /** sha256 (hex) over the md5 of each row's text form (`ROW(…)::text` of the compared values) in id order. */
  readonly sha256: string;
  readonly columns: readonly string[];
}

const JOURNAL_SCHEMA = 'CREATE SCHEMA IF NOT EXISTS "drizzle"';
const JOURNAL_CREATE = 'CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (\n  id SERIAL PRIMARY KEY,\n  hash text NOT NULL,\n  created_at bigint\n)';

function convertSql(c: PgConversion): string[] {
  const t = q(c.table);
  const col = q(c.column);
  const using = c.kind === 'json' ? `${col}::jsonb` : c.kind === 'real' ? `${col}::text::double precision` : `CASE ${col} WHEN 1 THEN true WHEN 0 THEN false END`;
  const out: string[] = [];
  if (c.dflt !== null) out.push(`ALTER TABLE ${t} ALTER COLUMN ${col} DROP DEFAULT`);
  out.push(`ALTER TABLE ${t} ALTER COLUMN ${col} SET DATA TYPE ${c.to} USING ${using}`);
  if (c.dflt !== null) {
    const d = c.kind === 'bool' ? (/^\d+$/.test(c.dflt) ? String(c.dflt !== '0') : `((${c.dflt}) <> 0)`) : `(${c.dflt})::${c.to}`;
    out.push(`ALTER TABLE ${t} ALTER COLUMN ${col} SET DEFAULT ${d}`);
  }
  return out;
}

/**
 * The plan for a detected layout: nothing for `empty` and `adopted` databases.
 * @throws DatabaseError `UNRECOGNISED_LAYOUT` for an unrecognised database (its mismatch in the message).
 */
export function buildPgPlan(layout: PgDetectedLayout): PgAdoptPlan {
  if (layout.kind === 'unrecognised') throw new DatabaseError('UNRECOGNISED_LAYOUT', layout.mismatch ?? layout.description, { mismatch: layout.mismatch });
  const d = layout.differences;
  if (!d) return { layout, steps: [] };
  const steps: PgPlanStep[] = [];
  for (const c of d.conversions) steps.push({ kind: 'convert-column', table: c.table, column: c.column, from: c.from, to: c.to, sql: convertSql(c) });
  for (const m of d.missingColumns) {
    const definition = pgColumnDefinition(m.column);
    steps.push({ kind: 'add-column', table: m.table, column: m.column.name, definition, sql: [`ALTER TABLE ${q(m.table)} ADD COLUMN ${definition}`] });
  }
  for (const r of d.renames) steps.push({ kind: 'rename-constraint', table: r.table, from: r.from, to: r.to, sql: [`ALTER TABLE ${q(r.table)} RENAME CONSTRAINT ${q(r.from)} TO ${q(r.to)}`] });
  for (const c of d.missingChecks) steps.push({ kind: 'add-constraint', table: c.table, name: c.name, sql: [`ALTER TABLE ${q(c.table)} ADD CONSTRAINT ${q(c.name)} CHECK (${c.value})`] });
  for (const fk of d.missingForeignKeys) steps.push({ kind: 'add-constraint', table: fk.tableFrom as TableName, name: fk.name, sql: [pgAddForeignKey(fk)] });
  if (d.tombstonesMissing) steps.push({ kind: 'create-table', table: TOMBSTONES_TABLE, sql: [pgCreateTable(productPgLayout().get(TOMBSTONES_TABLE)!)] });
  // A GIN index over a scalar column (messages_search_idx leads with channel_id) needs btree_gin's
  // operator classes (migration 0003): created first, as the migration would.
  const needsBtreeGin = d.missingIndexes.filter((m) => m.index.method === 'gin' && m.index.columns.some((c) => needsBtreeGinFor(columnType(m.table, c.expression))));
  if (needsBtreeGin.length) steps.push({ kind: 'create-extension', name: 'btree_gin', neededBy: needsBtreeGin.map((m) => m.index.name), sql: ['CREATE EXTENSION IF NOT EXISTS btree_gin'] });
  for (const m of d.missingIndexes) {
    const definition = `${m.index.isUnique ? 'UNIQUE ' : ''}ON ${m.table} USING ${m.index.method} (${m.index.columns.map((c) => c.expression).join(', ')})`;
    steps.push({ kind: 'create-index', table: m.table, index: m.index.name, definition, sql: [pgCreateIndex(m.table, m.index)] });
  }
  for (const e of journal('pg')) {
    steps.push({
      kind: 'stamp-journal',
      tag: e.tag,
      hash: e.hash,
      createdAt: e.createdAt,
      sql: [JOURNAL_SCHEMA, JOURNAL_CREATE, { sql: 'INSERT INTO "drizzle"."__drizzle_migrations" ("hash", "created_at") VALUES ($1, $2)', args: [e.hash, e.createdAt] }],
    });
  }
  return { layout, steps };
}

/**
 * Whether a GIN index on a column of this type needs btree_gin: PostgreSQL's core GIN operator
 * classes serve only arrays, jsonb and tsvector (its docs, "Built-in GIN Operator Classes"); any
 * other known type (text, bigint…) does. An unknown type (`''`, an expression) is left to
 * PostgreSQL to judge.
 */
const needsBtreeGinFor = (type: string): boolean => type !== '' && type !== 'jsonb' && type !== 'tsvector' && !type.endsWith('[]');
const columnType = (table: string, column: string): string => productPgLayout().get(table)?.columns[column]?.type ?? '';

/** Every statement of a plan, in order. */
export function pgPlanStatements(plan: PgAdoptPlan): PlanStatement[] {
  return plan.steps.flatMap((s) => s.sql);
}

type Tx = postgres.TransactionSql | postgres.Sql;

/**
 * Row counts and checksums of the columns each table holds before adoption (generated columns
 * left out). `phase` 'before' reads converted columns in the form the conversion preserves, so
 * the two runs are equal exactly when every row and value is kept.
 */
export async function pgTableChecksums(tx: Tx, layout: PgDetectedLayout, phase: 'before' | 'after'): Promise<PgTableChecksum[]> {
  const d = layout.differences!;
  const out: PgTableChecksum[] = [];
  for (const [table, cols] of d.presentColumns) {
    const names = cols.filter((c) => !c.generated).map((c) => c.name);
    const conv = new Map(d.conversions.filter((c) => c.table === table).map((c) => [c.column, c]));
    const forms = names.map((n) => {
      const c = conv.get(n);
      if (phase === 'after' || !c) return `${q(n)}::text`;
      if (c.kind === 'json') return `${q(n)}::jsonb::text`;
      if (c.kind === 'bool') return `(CASE ${q(n)} WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE ${q(n)}::text END)`;
      return `${q(n)}::text`;
    });
    const [r] = await tx.unsafe<{ n: string; h: string | null }[]>(
      `SELECT count(*)::text AS n, encode(sha256(convert_to(coalesce(string_agg(md5(ROW(${forms.join(', ')})::text), '' ORDER BY "id" COLLATE "C"), ''), 'UTF8')), 'hex') AS h FROM ${q(table)}`,
    );
    out.push({ table, rows: Number(r!.n), sha256: r!.h ?? '', columns: names });
  }
  return out;
}


const JSONB_ERROR_FN = `CREATE FUNCTION pg_temp.adopt_jsonb_error(v text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM v::jsonb;
  RETURN NULL;
EXCEPTION WHEN others THEN
  RETURN SQLERRM;
END
$fn$`;

/**
 * Finds the first value (in id order) of each conversion that would not convert without loss.
 * @throws DatabaseError `ADOPT_VALUE_REFUSED` naming the table, id, column and reason.
 */
async function checkConversions(tx: Tx, conversions: readonly PgConversion[]): Promise<void> {
  if (conversions.some((c) => c.kind === 'json')) await tx.unsafe(JSONB_ERROR_FN);
  for (const c of conversions) {
    const col = q(c.column);
    const reason =
      c.kind === 'json'
        ? `pg_temp.adopt_jsonb_error(${col})`
        : c.kind === 'bool'
          ? `CASE WHEN ${col} NOT IN (0, 1) THEN 'value ' || ${col}::text || ' is not 0 or 1' END`
          : `CASE WHEN ${col}::text::double precision::real IS DISTINCT FROM ${col} THEN 'value ' || ${col}::text || ' does not come back from its decimal text' END`;
    const [bad] = await tx.unsafe<{ id: string; reason: string; n: string }[]>(
      `SELECT id, reason, count(*) OVER ()::text AS n FROM (SELECT "id" AS id, ${reason} AS reason FROM ${q(c.table)} WHERE ${col} IS NOT NULL) x WHERE reason IS NOT NULL ORDER BY id COLLATE "C" LIMIT 1`,
    );
    if (bad) {
      const more = Number(bad.n) > 1 ? ` (and ${Number(bad.n) - 1} more rows)` : '';
      throw new DatabaseError(
        'ADOPT_VALUE_REFUSED',
        `${c.table} id ${bad.id}: ${c.column} cannot convert ${c.from} → ${c.to} without loss (${bad.reason})${more}; nothing was changed`,
        { table: c.table, id: bad.id, column: c.column, reason: bad.reason, rows: Number(bad.n) },
      );
    }
  }
}

/** Progress of a PostgreSQL adoption, in order. */
export type PgAdoptEvent =
  | { readonly kind: 'locked' }
  | { readonly kind: 'before'; readonly checksums: readonly PgTableChecksum[] }
  | { readonly kind: 'statement'; readonly index: number; readonly total: number }
  | { readonly kind: 'after'; readonly checksums: readonly PgTableChecksum[] };

/** Options of {@link adoptPostgres}. */
export interface PgAdoptOptions {
  /** Give up when another session (the old bot) holds a lock on a table this long (ms). Default 10,000. */
  readonly lockTimeoutMs?: number;
  readonly onEvent?: (e: PgAdoptEvent) => void;
}

/** What {@link adoptPostgres} did. */
export interface PgAdoptResult {
  readonly plan: PgAdoptPlan;
  readonly before: readonly PgTableChecksum[];
  readonly after: readonly PgTableChecksum[];
}

/**
 * Adopts the database at `url` (see the module comment). Nothing is done when the plan is empty
 * (an empty, adopted or migrated database).
 * @throws DatabaseError `UNRECOGNISED_LAYOUT` (not omega-bot's layout: nothing changed),
 *   `ADOPT_VALUE_REFUSED` (a value cannot convert: nothing changed), `ADOPT_CHECKSUM_MISMATCH`
 *   (rolled back); what postgres.js throws (unreachable; lock_timeout when the old bot holds a lock: rolled back).
 */
export async function adoptPostgres(url: string, opts: PgAdoptOptions = {}): Promise<PgAdoptResult> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, ...pgClientOptions() });
  try {
    const first = buildPgPlan(classifyPostgres(await inspectPostgres(sql)));
    if (first.steps.length === 0) return { plan: first, before: [], after: [] };
    const lockMs = Math.max(1, Math.floor(opts.lockTimeoutMs ?? 10_000));
    return await sql.begin(async (tx) => {
      await tx.unsafe(`SET LOCAL lock_timeout = '${lockMs}ms'`);
      await tx.unsafe(`LOCK TABLE ${tableNames.map(q).join(', ')} IN ACCESS EXCLUSIVE MODE`);
      opts.onEvent?.({ kind: 'locked' });
      // The plan again, under the locks: what is applied is what the database holds now.
      const plan = buildPgPlan(classifyPostgres(await inspectPostgres(tx)));
      if (plan.steps.length === 0) return { plan, before: [], after: [] };
      await checkConversions(tx, plan.layout.differences!.conversions);
      const before = await pgTableChecksums(tx, plan.layout, 'before');
      opts.onEvent?.({ kind: 'before', checksums: before });
      const statements = pgPlanStatements(plan);
      for (const [i, s] of statements.entries()) {
        opts.onEvent?.({ kind: 'statement', index: i, total: statements.length });
        if (typeof s === 'string') await tx.unsafe(s);
        else await tx.unsafe(s.sql, s.args as postgres.ParameterOrJSON<never>[]);
      }
      const after = await pgTableChecksums(tx, plan.layout, 'after');
      opts.onEvent?.({ kind: 'after', checksums: after });
      const diff = checksumDifferences(before, after);
      if (diff.length) throw new DatabaseError('ADOPT_CHECKSUM_MISMATCH', `rows changed during adoption (${diff.join('; ')}): rolled back, the database is as it was`, { diff });
      const s = await inspectPostgres(tx);
      const left = pgLayoutLeft(s);
      if (left !== null || classifyPostgres(s).kind !== 'adopted') throw new DatabaseError('UNRECOGNISED_LAYOUT', `the adopted layout is not the product's (${left ?? 'journal not complete'}): rolled back`);
      return { plan, before, after };
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
