import type { LogicalType } from '../schema/columns.js';
import { tableNames, tables, type TableName } from '../schema/tables.js';
import { Converter, countNotes, type Reject } from './convert/convert.js';
import { sqliteMigrationStatus, type BackendMigrationStatus } from './source/migration-status.js';
import { defaultChunkRows, openSource, type Snapshot } from './source/source.js';
import { sampleValue, storageClass, type StorageClass } from './source/sqlite-value.js';
import { NOTE_AMBIGUOUS_SECONDS } from './convert/coerce.js';
import type { TransferProgress } from './summary.js';
import { journalModeWarning } from './source/warnings.js';

/** The profile of one column of the source. */
export interface ColumnProfile {
  readonly column: string;
  readonly declared: LogicalType;
  readonly notNull: boolean;
  /** Storage classes found (what SQLite's `typeof()` says), with counts. */
  readonly classes: Partial<Record<StorageClass, number>>;
  /** Classes other than the declared type's (and null): each implies a coercion or a reject. */
  readonly unexpected: StorageClass[];
  /** The coercions import will apply (coerce.ts notes), with counts. */
  readonly conversions: Record<string, number>;
  /** Rows rejected because of this column. */
  rejected: number;
}

/** The profile of one table of the source. */
export interface TableProfile {
  readonly table: TableName;
  readonly exists: boolean;
  rows: number;
  /** Rows import/copy would take (possibly sanitized or coerced). */
  accepted: number;
  rejected: number;
  /** Rows the text policy changes (U+0000 stripped, lone surrogate → U+FFFD). */
  sanitized: number;
  /** Rows with another deliberate coercion. */
  coerced: number;
  readonly missingColumns: readonly string[];
  readonly extraColumns: readonly string[];
  readonly columns: ColumnProfile[];
}

/** The report of {@link checkDatabase}. */
export interface CheckReport {
  readonly source: string;
  readonly journalMode: string | null;
  readonly migrations: BackendMigrationStatus;
  readonly tables: TableProfile[];
  /** Every row import/copy would reject, in table then id order (all of them, held in memory). */
  readonly rejects: Reject[];
  /**
   * Rows import/copy take but whose value is ambiguous (a seconds column holding 10^11…253402300799:
   * seconds after year 5138, or milliseconds of 1973–1978; read as seconds, coerce.ts
   * `SECONDS_MAX`), one entry per row and column, so each can be looked at by id.
   */
  readonly ambiguous: Array<{ readonly table: TableName; readonly id: string | null; readonly column: string; readonly value: string; readonly note: string }>;
  readonly totals: { rows: number; accepted: number; rejected: number; sanitized: number; coerced: number };
  /** Wall time, in seconds. */
  readonly seconds: number;
}

const EXPECTED: Record<LogicalType, readonly StorageClass[]> = {
  id: ['text'],
  text: ['text'],
  json: ['text'],
  int: ['integer'],
  bigint: ['integer'],
  millis: ['integer'],
  timestamp: ['integer'],
  bool: ['integer'],
  real: ['real', 'integer'],
};

async function profileTable(snap: Snapshot, table: TableName, converter: Converter, rejects: Reject[], ambiguous: CheckReport['ambiguous'], opts: CheckOptions): Promise<TableProfile> {
  const info = await snap.describe(table);
  const columns: ColumnProfile[] = tables[table].columns.map((c) => ({
    column: c.name,
    declared: c.type,
    notNull: c.notNull ?? false,
    classes: {},
    unexpected: [],
    conversions: {},
    rejected: 0,
  }));
  const byName = new Map(columns.map((c) => [c.column, c]));
  const p: TableProfile = { table, exists: info.exists, rows: 0, accepted: 0, rejected: 0, sanitized: 0, coerced: 0, missingColumns: info.missingColumns, extraColumns: info.extraColumns, columns };
  const total = await snap.count(table);
  for await (const chunk of snap.rows(table, opts.chunkRows ?? defaultChunkRows(table))) {
    for (const r of chunk) {
      p.rows++;
      for (const c of columns) {
        const k = storageClass(r.values[c.column]);
        c.classes[k] = (c.classes[k] ?? 0) + 1;
      }
      const res = converter.convert(table, r.values, { rowid: r.rowid, parentExists: r.parentExists });
      for (const n of res.notes ?? []) {
        const conv = byName.get(n.column)!.conversions;
        conv[n.note] = (conv[n.note] ?? 0) + 1;
        if (n.note === NOTE_AMBIGUOUS_SECONDS) ambiguous.push({ table, id: typeof r.values.id === 'string' ? r.values.id : null, column: n.column, value: sampleValue(r.values[n.column]), note: n.note });
      }
      countNotes(p, res.notes);
      if (res.ok) p.accepted++;
      else {
        p.rejected++;
        rejects.push(res.reject);
        if (res.reject.column) byName.get(res.reject.column)!.rejected++;
      }
    }
    opts.onProgress?.({ stage: 'read', table, done: p.rows, total });
  }
  for (const c of columns) {
    const ok = EXPECTED[c.declared];
    c.unexpected.push(...(Object.keys(c.classes) as StorageClass[]).filter((k) => k !== 'null' && !ok.includes(k)));
  }
  return p;
}

/** Options of {@link checkDatabase}. */
export interface CheckOptions {
  readonly libsqlUrl: string;
  readonly libsqlAuthToken?: string | undefined;
  readonly chunkRows?: number | undefined;
  readonly onProgress?: ((p: TransferProgress) => void) | undefined;
  readonly onWarning?: ((message: string) => void) | undefined;
}

/**
 * Profiles the LibSQL source before anything is written, with the very conversion import and
 * copy use (convert.ts): per column the storage classes against the declared type and the
 * coercions that will apply (booleans spelled as text, timestamps in milliseconds or ISO text,
 * integers beyond 2^53, U+0000 / lone surrogates…); per row every reject with its id and
 * reason (invalid JSON, out of range, orphans, duplicate ids, missing NOT NULL values…).
 * Read-only: one read transaction.
 * @throws DatabaseError `DATABASE_UNREACHABLE` when the source cannot be opened.
 */
export async function checkDatabase(opts: CheckOptions): Promise<CheckReport> {
  const started = performance.now();
  const source = await openSource({ url: opts.libsqlUrl, authToken: opts.libsqlAuthToken });
  try {
    const warning = journalModeWarning(source);
    if (warning) opts.onWarning?.(warning);
    const migrations = await sqliteMigrationStatus(opts.libsqlUrl, opts.libsqlAuthToken);
    const converter = new Converter('sqlite', 'check');
    const rejects: Reject[] = [];
    const ambiguous: CheckReport['ambiguous'] = [];
    const profiles = await source.snapshot(async (snap) => {
      const out: TableProfile[] = [];
      for (const table of tableNames) out.push(await profileTable(snap, table, converter, rejects, ambiguous, opts));
      return out;
    });
    const sum = (k: 'rows' | 'accepted' | 'rejected' | 'sanitized' | 'coerced') => profiles.reduce((n, p) => n + p[k], 0);
    return {
      source: source.label,
      journalMode: source.journalMode,
      migrations,
      tables: profiles,
      rejects,
      ambiguous,
      totals: { rows: sum('rows'), accepted: sum('accepted'), rejected: sum('rejected'), sanitized: sum('sanitized'), coerced: sum('coerced') },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    source.close();
  }
}
