/**
 * Detection of a PostgreSQL database's layout: empty, omega-bot's (the tables its PostgreSQL schema
 * runner creates: omega's columns with its types, TEXT tool_args / tool_result, REAL profile
 * scores, its indexes, no bookkeeping), the product's without drizzle's journal, already adopted or
 * migrated, or something else (refused). Tables of `public` that are not the product's are left
 * alone (omega-bot keeps other features' tables in the same database).
 */
import postgres from 'postgres';
import { pgClientOptions } from '../../stores/pg/pg-connection.js';
import { tables, tableNames, TOMBSTONES_TABLE, type TableName } from '../../schema/tables.js';
import { journal } from '../../transfer/source/migration-status.js';
import { inspectPostgres, type PgColumnInfo, type PgSchemaInspection } from './inspect.js';
import { productPgLayout, type SnapshotColumn, type SnapshotForeignKey, type SnapshotIndex } from './layout.js';

/**
 * - `empty`: none of the product's tables (other tables may be there): `migrate --target postgres` creates them;
 * - `omega-pg`: omega-bot's PostgreSQL layout, not adopted;
 * - `project-unstamped`: the product's layout (bookkeeping present) without drizzle's journal;
 * - `adopted`: drizzle's journal holds every migration of this code (adopted or migrated: nothing to do);
 * - `unrecognised`: anything else; `mismatch` names what did not match.
 */
export type PgLayoutKind = 'empty' | 'omega-pg' | 'project-unstamped' | 'adopted' | 'unrecognised';

/** Kinds `adopt --target postgres` must take over before `migrate --target postgres` runs. */
export const PG_LEGACY_KINDS: ReadonlySet<PgLayoutKind> = new Set(['omega-pg', 'project-unstamped']);

/**
 * A column whose type differs from the product's and converts without loss:
 * - `json`: TEXT holding JSON → jsonb (`col::jsonb`); every value must parse;
 * - `real`: REAL (float4) → double precision through its shortest decimal text, so a reader sees the
 *   value it saw before (0.1 stays 0.1, not 0.100000001490116); every value must cast back to the same float4;
 * - `bool`: INTEGER 0/1 → boolean; every value must be 0, 1 or NULL.
 */
export interface PgConversion {
  readonly table: TableName;
  readonly column: string;
  readonly from: string;
  readonly to: string;
  readonly kind: 'json' | 'real' | 'bool';
  /** The column's DEFAULT text (converted along with the column), or null. */
  readonly dflt: string | null;
}

/** What a database lacks of the product's layout. */
export interface PgDifferences {
  /** Bookkeeping columns to add (`version`, `updated_at` where absent, `messages.search_vector`). */
  readonly missingColumns: ReadonlyArray<{ readonly table: TableName; readonly column: SnapshotColumn }>;
  readonly conversions: readonly PgConversion[];
  readonly missingIndexes: ReadonlyArray<{ readonly table: TableName; readonly index: SnapshotIndex }>;
  /** Constraints with the product's meaning under another name (omega's `…_fkey`): renamed. */
  readonly renames: ReadonlyArray<{ readonly table: TableName; readonly from: string; readonly to: string }>;
  readonly missingForeignKeys: readonly SnapshotForeignKey[];
  readonly missingChecks: ReadonlyArray<{ readonly table: TableName; readonly name: string; readonly value: string }>;
  readonly tombstonesMissing: boolean;
  /** Columns each table holds now (checksummed before and after), in the table's order. */
  readonly presentColumns: ReadonlyMap<TableName, readonly PgColumnInfo[]>;
  /** Tables of `public` that are not the product's: left as they are. */
  readonly otherTables: readonly string[];
  /** omega-bot's own indexes beyond the product's, kept (its search still uses them). */
  readonly keptIndexes: readonly string[];
  readonly hasBookkeeping: boolean;
}

/** Result of {@link classifyPostgres}. */
export interface PgDetectedLayout {
  readonly kind: PgLayoutKind;
  readonly description: string;
  readonly mismatch: string | null;
  readonly differences: PgDifferences | null;
  readonly journal: 'absent' | 'empty' | 'complete' | 'unknown';
}

/**
 * omega-bot's indexes that the product does not have on PostgreSQL, by name → table: its english
 * search index, and its single-column btrees the product carries on LibSQL only (`sqliteOnly` in
 * tables.ts: a longer index serves them, migration 0002). Kept as they are, like the other ones.
 */
const OMEGA_EXTRA_INDEXES: ReadonlyMap<string, string> = new Map([
  ['idx_messages_fts', 'messages'],
  ...tableNames.flatMap((t) => tables[t].indexes.filter((i) => i.sqliteOnly).map((i): [string, string] => [i.name, t])),
]);

const CONVERSIONS: ReadonlyArray<{ from: readonly string[]; to: string; kind: PgConversion['kind'] }> = [
  { from: ['text'], to: 'jsonb', kind: 'json' },
  { from: ['real'], to: 'double precision', kind: 'real' },
  { from: ['integer', 'smallint', 'bigint'], to: 'boolean', kind: 'bool' },
];

type Compared = { ok: true; d: PgDifferences } | { ok: false; mismatch: string };

function compare(s: PgSchemaInspection): Compared {
  const bad = (mismatch: string): Compared => ({ ok: false, mismatch });
  const layout = productPgLayout();
  const missingColumns: { table: TableName; column: SnapshotColumn }[] = [];
  const conversions: PgConversion[] = [];
  const missingIndexes: { table: TableName; index: SnapshotIndex }[] = [];
  const renames: { table: TableName; from: string; to: string }[] = [];
  const missingForeignKeys: SnapshotForeignKey[] = [];
  const missingChecks: { table: TableName; name: string; value: string }[] = [];
  const presentColumns = new Map<TableName, PgColumnInfo[]>();
  const keptIndexes: string[] = [];
  let hasBookkeeping = false;

  for (const name of tableNames) {
    const spec = layout.get(name)!;
    const cols = s.tables.get(name);
    if (!cols) return bad(`missing table ${name} (omega-bot's schema runner creates all six)`);
    presentColumns.set(name, [...cols]);
    const added = new Set(tables[name].columns.filter((c) => c.added).map((c) => c.name));
    for (const c of cols) {
      const want = spec.columns[c.name];
      if (!want) return bad(`table ${name}: column ${c.name} is not omega-bot's`);
      if (added.has(c.name) || want.generated) hasBookkeeping = true;
      if (want.generated) {
        if (!c.generated || c.type !== want.type) return bad(`table ${name}: column ${c.name} is not the product's generated ${want.type}`);
        continue;
      }
      if (c.type !== want.type) {
        const conv = CONVERSIONS.find((x) => x.to === want.type && x.from.includes(c.type));
        if (!conv) return bad(`table ${name}: column ${c.name} is ${c.type}, omega-bot's is ${want.type}`);
        conversions.push({ table: name, column: c.name, from: c.type, to: want.type, kind: conv.kind, dflt: c.dflt });
      }
      if (c.notNull !== want.notNull) return bad(`table ${name}: column ${c.name} is ${c.notNull ? 'NOT NULL' : 'nullable'}, omega-bot's is ${want.notNull ? 'NOT NULL' : 'nullable'}`);
    }
    const have = new Set(cols.map((c) => c.name));
    for (const want of Object.values(spec.columns)) {
      if (have.has(want.name)) continue;
      if (added.has(want.name) || want.generated) missingColumns.push({ table: name, column: want });
      else return bad(`table ${name}: missing column ${want.name}`);
    }

    // indexes
    const onTable = s.indexes.filter((i) => i.table === name);
    for (const want of Object.values(spec.indexes)) {
      const found = onTable.find((i) => i.name === want.name);
      if (!found) {
        missingIndexes.push({ table: name, index: want });
        continue;
      }
      const wantCols = want.columns.map((c) => c.expression).join(',');
      if (found.columns.join(',') !== wantCols || found.unique !== want.isUnique || found.method !== want.method) {
        return bad(`index ${found.name}: ${found.unique ? 'unique ' : ''}${found.method} on (${found.columns.map((c) => c ?? '<expression>').join(', ')}), the product's is ${want.isUnique ? 'unique ' : ''}${want.method} on (${wantCols})`);
      }
    }
    for (const i of onTable) {
      if (i.constraint || spec.indexes[i.name]) continue;
      if (OMEGA_EXTRA_INDEXES.get(i.name) === name) keptIndexes.push(i.name);
      else return bad(`index ${i.name} on ${name} is not omega-bot's`);
    }

    // constraints
    const cons = s.constraints.filter((c) => c.table === name);
    const matched = new Set<string>();
    for (const c of cons) {
      if (c.kind === 'p') {
        if (c.columns.join(',') !== 'id') return bad(`table ${name}: primary key on (${c.columns.join(', ')}), omega-bot's is id`);
        matched.add(c.name);
      }
    }
    if (!cons.some((c) => c.kind === 'p')) return bad(`table ${name}: no primary key (omega-bot's is id)`);
    for (const u of Object.values(spec.uniqueConstraints)) {
      const found = cons.find((c) => c.kind === 'u' && c.columns.join(',') === u.columns.join(','));
      if (!found) return bad(`table ${name}: missing UNIQUE (${u.columns.join(', ')})`);
      matched.add(found.name);
      if (found.name !== u.name) renames.push({ table: name, from: found.name, to: u.name });
    }
    for (const fk of Object.values(spec.foreignKeys)) {
      const found = cons.find((c) => c.kind === 'f' && c.columns.join(',') === fk.columnsFrom.join(',') && c.refTable === fk.tableTo && c.refColumns.join(',') === fk.columnsTo.join(','));
      if (!found) {
        missingForeignKeys.push(fk);
        continue;
      }
      const onDelete = /ON DELETE (CASCADE|SET NULL|SET DEFAULT|RESTRICT)/i.exec(found.definition)?.[1]?.toLowerCase() ?? 'no action';
      if (onDelete !== fk.onDelete) return bad(`foreign key ${found.name}: ON DELETE ${onDelete.toUpperCase()}, omega-bot's is ${fk.onDelete.toUpperCase()}`);
      matched.add(found.name);
      if (found.name !== fk.name) renames.push({ table: name, from: found.name, to: fk.name });
    }
    for (const ck of Object.values(spec.checkConstraints)) {
      const found = cons.find((c) => c.kind === 'c' && c.name === ck.name);
      if (found) matched.add(found.name);
      else missingChecks.push({ table: name, name: ck.name, value: ck.value });
    }
    for (const c of cons) if (!matched.has(c.name)) return bad(`constraint ${c.name} on ${name} (${c.definition}) is not omega-bot's`);
  }
  for (const [trigger, table] of s.triggers) {
    if ((tableNames as readonly string[]).includes(table) || table === TOMBSTONES_TABLE) return bad(`trigger ${trigger} on ${table} is not omega-bot's`);
  }
  const tomb = s.tables.get(TOMBSTONES_TABLE);
  if (tomb) {
    hasBookkeeping = true;
    const want = layout.get(TOMBSTONES_TABLE)!;
    const sig = (cols: ReadonlyArray<{ name: string; type: string }>) => cols.map((c) => `${c.name} ${c.type}`).join(', ');
    if (sig(tomb) !== sig(Object.values(want.columns))) return bad(`table ${TOMBSTONES_TABLE}: (${sig(tomb)}), the product's is (${sig(Object.values(want.columns))})`);
  }
  const known = new Set<string>([...tableNames, TOMBSTONES_TABLE]);
  const otherTables = [...s.tables.keys()].filter((t) => !known.has(t)).sort();
  return { ok: true, d: { missingColumns, conversions, missingIndexes, renames, missingForeignKeys, missingChecks, tombstonesMissing: !tomb, presentColumns, otherTables, keptIndexes, hasBookkeeping } };
}

/**
 * What still differs from the product's layout, ignoring drizzle's journal (null when nothing:
 * adopt checks this before it commits).
 */
export function pgLayoutLeft(s: PgSchemaInspection): string | null {
  const c = compare(s);
  if (!c.ok) return c.mismatch;
  const d = c.d;
  const left = [
    ...d.missingColumns.map((m) => `column ${m.table}.${m.column.name}`),
    ...d.conversions.map((m) => `type of ${m.table}.${m.column}`),
    ...d.missingIndexes.map((m) => `index ${m.index.name}`),
    ...d.renames.map((r) => `constraint ${r.from}`),
    ...d.missingForeignKeys.map((f) => `foreign key ${f.name}`),
    ...d.missingChecks.map((k) => `check ${k.name}`),
    ...(d.tombstonesMissing ? [TOMBSTONES_TABLE] : []),
  ];
  return left.length ? `still missing or different: ${left.join(', ')}` : null;
}

const result = (kind: PgLayoutKind, description: string, rest: Partial<PgDetectedLayout> = {}): PgDetectedLayout => ({ kind, description, mismatch: null, differences: null, journal: 'absent', ...rest });

/** Classifies an inspected database (see {@link PgLayoutKind}). Never throws. */
export function classifyPostgres(s: PgSchemaInspection): PgDetectedLayout {
  const entries = journal('pg');
  const rows = s.journalRows;
  const recorded = new Set((rows ?? []).map((r) => r.createdAt));
  const journalState: PgDetectedLayout['journal'] =
    rows === null ? 'absent' : rows.length === 0 ? 'empty' : entries.every((e) => recorded.has(e.createdAt)) ? 'complete' : 'unknown';
  if (journalState === 'complete') return result('adopted', "adopted or migrated: drizzle's journal holds every migration (nothing to adopt)", { journal: journalState });
  if (journalState === 'unknown') {
    const mismatch = `drizzle.__drizzle_migrations holds ${rows!.length} migration(s), not this code's (${entries.map((e) => e.tag).join(', ')})`;
    return result('unrecognised', mismatch, { mismatch, journal: journalState });
  }
  const ours = [...tableNames, TOMBSTONES_TABLE].filter((t) => s.tables.has(t));
  if (ours.length === 0) {
    const others = [...s.tables.keys()].sort();
    return result('empty', `no table of the product's yet${others.length ? ` (other tables left alone: ${others.join(', ')})` : ''}: \`pnpm db migrate --target postgres\` creates them`, { journal: journalState });
  }
  const c = compare(s);
  if (!c.ok) return result('unrecognised', `not omega-bot's PostgreSQL layout: ${c.mismatch}`, { mismatch: c.mismatch, journal: journalState });
  if (c.d.hasBookkeeping) return result('project-unstamped', "the product's layout without drizzle's journal (as `drizzle-kit push` leaves it)", { differences: c.d, journal: journalState });
  return result('omega-pg', "omega-bot's PostgreSQL layout (its schema runner's tables), not adopted", { differences: c.d, journal: journalState });
}

/**
 * Detects the layout of the PostgreSQL database at `url`, changing nothing.
 * @throws what postgres.js throws when the database cannot be reached.
 */
export async function detectPostgresLayout(url: string): Promise<PgDetectedLayout> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, ...pgClientOptions() });
  try {
    return classifyPostgres(await inspectPostgres(sql));
  } finally {
    await sql.end({ timeout: 5 });
  }
}
