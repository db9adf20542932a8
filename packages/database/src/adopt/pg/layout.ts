/**
 * The product's PostgreSQL layout as drizzle-kit recorded it: the snapshot of the latest entry of
 * `drizzle/pg/meta/_journal.json` (columns with types, defaults and generated expressions,
 * indexes, foreign keys, unique and check constraints). `adopt --target postgres` compares a
 * database with it and builds its statements from it, so an adopted database and a migrated one
 * have the same layout.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrationsFolder } from '../../migrations/migrate.js';

/** One column of the snapshot. */
export interface SnapshotColumn {
  readonly name: string;
  /** PostgreSQL type as drizzle writes it (`text`, `bigint`, `jsonb`, `double precision`, `tsvector`…). */
  readonly type: string;
  readonly primaryKey: boolean;
  readonly notNull: boolean;
  /** A constant default (drizzle writes numbers as numbers and SQL text as strings), or absent. */
  readonly default?: unknown;
  readonly generated?: { readonly as: string; readonly type: 'stored' };
}

/** One index of the snapshot (columns by name; the product has no expression index). */
export interface SnapshotIndex {
  readonly name: string;
  readonly columns: ReadonlyArray<{ readonly expression: string; readonly isExpression: boolean; readonly opclass?: string }>;
  readonly isUnique: boolean;
  readonly method: string;
}

/** One foreign key of the snapshot. */
export interface SnapshotForeignKey {
  readonly name: string;
  readonly tableFrom: string;
  readonly tableTo: string;
  readonly columnsFrom: readonly string[];
  readonly columnsTo: readonly string[];
  readonly onDelete: string;
  readonly onUpdate: string;
}

/** One table of the snapshot. */
export interface SnapshotTable {
  readonly name: string;
  readonly columns: Readonly<Record<string, SnapshotColumn>>;
  readonly indexes: Readonly<Record<string, SnapshotIndex>>;
  readonly foreignKeys: Readonly<Record<string, SnapshotForeignKey>>;
  readonly compositePrimaryKeys: Readonly<Record<string, { readonly name: string; readonly columns: readonly string[] }>>;
  readonly uniqueConstraints: Readonly<Record<string, { readonly name: string; readonly columns: readonly string[] }>>;
  readonly checkConstraints: Readonly<Record<string, { readonly name: string; readonly value: string }>>;
}

let cached: ReadonlyMap<string, SnapshotTable> | null = null;

/**
 * The product's tables (schema `public`) by name, from the latest snapshot.
 * @throws Error when the snapshot cannot be read (a broken checkout).
 */
export function productPgLayout(): ReadonlyMap<string, SnapshotTable> {
  if (cached) return cached;
  const folder = migrationsFolder('pg');
  const entries = (JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number }[] }).entries;
  const last = entries.at(-1)!;
  const snapshot = JSON.parse(readFileSync(join(folder, 'meta', `${String(last.idx).padStart(4, '0')}_snapshot.json`), 'utf8')) as { tables: Record<string, SnapshotTable> };
  cached = new Map(Object.values(snapshot.tables).map((t) => [t.name, t]));
  return cached;
}

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A column's definition as `ALTER TABLE … ADD COLUMN` / `CREATE TABLE` take it. */
export function pgColumnDefinition(c: SnapshotColumn): string {
  const type = c.type === 'tsvector' ? '"tsvector"' : c.type;
  const parts = [q(c.name), type];
  if (c.generated) parts.push(`GENERATED ALWAYS AS (${c.generated.as}) STORED`);
  if (c.primaryKey) parts.push('PRIMARY KEY');
  if (c.default !== undefined) parts.push(`DEFAULT ${String(c.default)}`);
  if (c.notNull) parts.push('NOT NULL');
  return parts.join(' ');
}

/** `CREATE [UNIQUE] INDEX "name" ON "table" USING method ("a", "b" opclass)`. */
export function pgCreateIndex(table: string, i: SnapshotIndex): string {
  return `CREATE ${i.isUnique ? 'UNIQUE ' : ''}INDEX ${q(i.name)} ON ${q(table)} USING ${i.method} (${i.columns.map((c) => (c.isExpression ? c.expression : q(c.expression)) + (c.opclass ? ` ${c.opclass}` : '')).join(', ')})`;
}

/** `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY …` of a snapshot foreign key. */
export function pgAddForeignKey(fk: SnapshotForeignKey): string {
  return (
    `ALTER TABLE ${q(fk.tableFrom)} ADD CONSTRAINT ${q(fk.name)} FOREIGN KEY (${fk.columnsFrom.map(q).join(', ')}) ` +
    `REFERENCES "public".${q(fk.tableTo)} (${fk.columnsTo.map(q).join(', ')}) ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`
  );
}

/** `CREATE TABLE` of a snapshot table (columns, composite primary key, unique and check constraints; foreign keys and indexes apart). */
export function pgCreateTable(t: SnapshotTable): string {
  const lines = Object.values(t.columns).map(pgColumnDefinition);
  for (const pk of Object.values(t.compositePrimaryKeys)) lines.push(`CONSTRAINT ${q(pk.name)} PRIMARY KEY (${pk.columns.map(q).join(', ')})`);
  for (const u of Object.values(t.uniqueConstraints)) lines.push(`CONSTRAINT ${q(u.name)} UNIQUE (${u.columns.map(q).join(', ')})`);
  for (const c of Object.values(t.checkConstraints)) lines.push(`CONSTRAINT ${q(c.name)} CHECK (${c.value})`);
  return `CREATE TABLE ${q(t.name)} (\n  ${lines.join(',\n  ')}\n)`;
}

/** Quotes an identifier. */
export const quoteIdent = q;
