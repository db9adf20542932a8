import { DatabaseError } from '../errors.js';
import { TOMBSTONES_TABLE, type TableName } from '../schema/tables.js';
import type { Connection } from './connection.js';
import type { Dialect } from './dialect.js';
import { planChanges } from './change-plan.js';
import { isJsonContains, jsonContainsPairs } from './json-contains.js';
import type { ApplyOptions, ColumnLess, FindOptions, Row, RowChange, SearchSpec, Store, Where } from './store.js';
import { decodeValue, q, selectColumn, tableSql, type ReadIssueSink } from './table-sql.js';
import type { ReadIssue } from './sqlite/stored-text.js';
import { createLogger, type Logger } from '../logger.js';

/** Distinct (table, id, column, reason) already logged as `read_value_degraded`, per process. */
const loggedIssues = new Set<string>();
/** Past this many, degraded reads are still degraded but logged again (the set is cleared). */
const LOGGED_ISSUES_MAX = 10_000;
let defaultLog: Logger | undefined;

/**
 * Logs values a read returned degraded (sqlite/stored-text.ts, sqlite/stored-json.ts) as
 * `read_value_degraded` (warn) with table, id and the issues; each (table, id, column, reason)
 * once per process, so a bad row that every search returns does not flood the log.
 */
export function readIssueLogger(log: () => Logger): ReadIssueSink {
  return (table, id, issues) => {
    const fresh: ReadIssue[] = [];
    for (const i of issues) {
      const key = `${table}\u0000${String(id)}\u0000${i.column}\u0000${i.reason}`;
      if (loggedIssues.has(key)) continue;
      if (loggedIssues.size >= LOGGED_ISSUES_MAX) loggedIssues.clear();
      loggedIssues.add(key);
      fresh.push(i);
    }
    if (fresh.length === 0) return;
    log().warn(
      { event: 'read_value_degraded', table, id: String(id), issues: fresh },
      `${table} ${String(id)}: stored value(s) not readable as stored (${fresh.map((i) => `${i.column}: ${i.detail}`).join('; ')}); \`pnpm db repair\` fixes them`,
    );
  };
}

/**
 * The one implementation of {@link Store}, over a {@link Connection} and a {@link Dialect}.
 * Only placeholders, casts, codecs, full-text search and JSON containment differ per backend.
 */
export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly #conn: Connection;
  readonly #d: Dialect;
  readonly #onClose: () => Promise<void>;
  readonly #log: Logger | undefined;
  readonly #onIssues: ReadIssueSink;

  /**
   * @param log where degraded reads are logged (`read_value_degraded`); default: the package logger.
   */
  constructor(conn: Connection, dialect: Dialect, onClose: () => Promise<void> = () => conn.close(), log?: Logger) {
    this.#conn = conn;
    this.#d = dialect;
    this.kind = dialect.name;
    this.#onClose = onClose;
    this.#log = log;
    this.#onIssues = readIssueLogger(() => this.#log ?? (defaultLog ??= createLogger()));
  }

  #query(sql: string, params: readonly unknown[], signal?: AbortSignal) {
    return this.#conn.query(this.#d.placeholders(sql), params, { signal });
  }

  async insert(table: TableName, row: Row): Promise<Row> {
    const t = tableSql(this.#d, table);
    await this.#conn.query(t.insert, t.encodeRow(row));
    const stored: Row = {};
    for (const c of t.columns) stored[c.name] = row[c.name] === undefined ? c.default ?? null : row[c.name];
    return stored;
  }

  async update(table: TableName, id: string, patch: Row, opts: { now: number; expectedVersion?: number | undefined }): Promise<Row> {
    const t = tableSql(this.#d, table);
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [name, value] of Object.entries(patch)) {
      const col = t.byName.get(name);
      if (!col || ['id', 'version', 'created_at', 'updated_at'].includes(name)) {
        throw new DatabaseError('INVALID_INPUT', `${table}.${name} cannot be updated`, { table, column: name });
      }
      sets.push(`${q(name)} = ?${this.#d.cast(col)}`);
      params.push(this.#d.encode(col, value));
    }
    sets.push('updated_at = ?', 'version = version + 1');
    params.push(opts.now, id);
    let where = 'id = ?';
    if (opts.expectedVersion !== undefined) (where += ' AND version = ?'), params.push(opts.expectedVersion);
    const rows = await this.#query(`UPDATE ${q(table)} SET ${sets.join(', ')} WHERE ${where} RETURNING ${t.returnList}`, params);
    if (rows[0]) return t.decodeRow(rows[0], this.#onIssues);
    const current = await this.get(table, id);
    if (!current) throw new DatabaseError('NOT_FOUND', `${table} ${id} not found`, { table, id });
    throw new DatabaseError('VERSION_CONFLICT', `${table} ${id} is at version ${String(current.version)}, not ${String(opts.expectedVersion)}`, {
      table,
      id,
      expectedVersion: opts.expectedVersion,
      currentVersion: current.version,
    });
  }

  async delete(table: TableName, id: string, now: number): Promise<RowChange | null> {
    const rows = await this.#query(`DELETE FROM ${q(table)} WHERE id = ? RETURNING version`, [id]);
    if (!rows[0]) return null;
    const change: RowChange = { table, op: 'delete', id, version: Number(rows[0].version) + 1 };
    await this.#tombstone(change, now);
    return change;
  }

  async #tombstone(change: Extract<RowChange, { op: 'delete' }>, now: number, signal?: AbortSignal): Promise<void> {
    await this.#query(
      `INSERT INTO ${q(TOMBSTONES_TABLE)} (table_name, id, version, deleted_at) VALUES (?, ?, ?, ?) ` +
        `ON CONFLICT (table_name, id) DO UPDATE SET version = excluded.version, deleted_at = excluded.deleted_at ` +
        `WHERE ${q(TOMBSTONES_TABLE)}.version < excluded.version`,
      [change.table, change.id, change.version, now],
      signal,
    );
  }

  async get(table: TableName, id: string): Promise<Row | null> {
    const t = tableSql(this.#d, table);
    const rows = await this.#query(`SELECT ${t.selectList} FROM ${q(table)} m WHERE m.id = ?`, [id]);
    return rows[0] ? t.decodeRow(rows[0], this.#onIssues) : null;
  }

  /** WHERE conditions of a {@link Where} on alias `m`, encoded for the column types. */
  #where(table: TableName, where: Where): { conds: string[]; params: unknown[] } {
    const t = tableSql(this.#d, table);
    const conds: string[] = [];
    const params: unknown[] = [];
    for (const [name, cond] of Object.entries(where)) {
      if (cond === undefined) continue;
      const col = t.byName.get(name);
      if (!col) throw new DatabaseError('INVALID_INPUT', `${table} has no column ${name}`, { table, column: name });
      const c = `m.${q(name)}`;
      if (isJsonContains(cond)) {
        if (col.type !== 'json') throw new DatabaseError('INVALID_INPUT', `${table}.${name}: jsonContains needs a JSON column`, { table, column: name });
        const f = this.#d.jsonContains(c, jsonContainsPairs(table, name, cond));
        conds.push(f.sql);
        params.push(...f.params);
      } else if (cond !== null && typeof cond === 'object' && !Array.isArray(cond) && 'ltColumn' in cond) {
        const r = cond as ColumnLess;
        if (!t.byName.has(r.ltColumn)) throw new DatabaseError('INVALID_INPUT', `${table} has no column ${r.ltColumn}`, { table, column: r.ltColumn });
        const lt = `${c} < m.${q(r.ltColumn)}`;
        conds.push(r.orNull ? `(${c} IS NULL OR ${lt})` : lt);
      } else if (cond !== null && typeof cond === 'object' && !Array.isArray(cond)) {
        // A range or list ({} or all bounds undefined: no condition); any other key is a caller's mistake.
        const extra = Object.keys(cond).find((k) => k !== 'gte' && k !== 'lte' && k !== 'in');
        if (extra !== undefined) throw new DatabaseError('INVALID_INPUT', `${table}.${name}: unknown condition ${extra}`, { table, column: name });
        const r = cond as { gte?: unknown; lte?: unknown; in?: readonly unknown[] };
        if (r.gte !== undefined) (conds.push(`${c} >= ?`), params.push(this.#d.encode(col, r.gte)));
        if (r.lte !== undefined) (conds.push(`${c} <= ?`), params.push(this.#d.encode(col, r.lte)));
        if (r.in !== undefined) {
          if (r.in.length === 0) conds.push('1 = 0');
          else (conds.push(`${c} IN (${r.in.map(() => '?').join(', ')})`), params.push(...r.in.map((v) => this.#d.encode(col, v))));
        }
      } else if (cond === null) conds.push(`${c} IS NULL`);
      else (conds.push(`${c} = ?`), params.push(this.#d.encode(col, cond)));
    }
    return { conds, params };
  }

  async find(table: TableName, where: Where, opts: FindOptions): Promise<Row[]> {
    const t = tableSql(this.#d, table);
    const { conds, params } = this.#where(table, where);
    for (const [name] of opts.orderBy) if (!t.byName.has(name)) throw new DatabaseError('INVALID_INPUT', `${table} has no column ${name}`);
    // NULLs sort as SQLite sorts them (smallest) on both backends, so a nullable order column
    // (documents.updated_at of a legacy row) gives the same order on each; NOT NULL columns get no
    // NULLS clause, which PostgreSQL needs to walk a plain btree index backwards.
    const order = opts.orderBy
      .map(([n, dir]) => {
        const nulls = t.byName.get(n)!.notNull ? '' : dir === 'desc' ? ' NULLS LAST' : ' NULLS FIRST';
        return `m.${q(n)} ${dir === 'desc' ? 'DESC' : 'ASC'}${nulls}`;
      })
      .join(', ');
    for (const name of opts.columns ?? []) if (!t.byName.has(name)) throw new DatabaseError('INVALID_INPUT', `${table} has no column ${name}`, { table, column: name });
    const cols = opts.columns ? opts.columns.map((n) => selectColumn(this.#d, t.byName.get(n)!, `m.${q(n)}`)).join(', ') : t.selectList;
    params.push(opts.limit, opts.offset ?? 0);
    const filter = `FROM ${q(table)} m${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''}${order ? ` ORDER BY ${order}` : ''} LIMIT ? OFFSET ?`;
    const rows = await this.#query(this.#pageFirst(cols, table, filter, order), params);
    if (!opts.columns) return rows.map((r) => t.decodeRow(r, this.#onIssues));
    // Only the asked columns: the others are absent, not null (FindOptions.columns).
    const asked = opts.columns.map((n) => t.byName.get(n)!);
    return rows.map((r) => {
      const issues: ReadIssue[] = [];
      const out = Object.fromEntries(asked.map((c) => [c.name, decodeValue(this.#d, c, r[c.name], issues)]));
      if (issues.length) this.#onIssues(table, out.id ?? '(id not selected)', issues);
      return out;
    });
  }

  /**
   * `SELECT cols <filter>` (filter: `FROM … [WHERE …] [ORDER BY …] LIMIT ? OFFSET ?`, alias `m`).
   * With a dialect whose select list costs per row (LibSQL's safe select), the page's rowids are
   * found first and only the page's rows are selected: SQLite's sorter would otherwise compute and
   * carry every selected column of every matching row (measured: a 20-row search over 1,000
   * matches took 2× the plain select; this form takes less than the plain one).
   */
  #pageFirst(cols: string, table: TableName, filter: string, order: string): string {
    if (!this.#d.selectColumn) return `SELECT ${cols} ${filter}`;
    return `SELECT ${cols} FROM ${q(table)} m WHERE m.rowid IN (SELECT m.rowid ${filter})${order ? ` ORDER BY ${order}` : ''}`;
  }

  async count(table: TableName, where: Where): Promise<number> {
    const { conds, params } = this.#where(table, where);
    const rows = await this.#query(`SELECT count(*) AS n FROM ${q(table)} m${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''}`, params);
    return Number(rows[0]!.n);
  }

  async tombstoneVersion(table: TableName, id: string): Promise<number | null> {
    const rows = await this.#query(`SELECT version FROM ${q(TOMBSTONES_TABLE)} WHERE table_name = ? AND id = ?`, [table, id]);
    return rows[0] ? Number(rows[0].version) : null;
  }

  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.#conn.transaction((c) => fn(new SqlStore(c, this.#d, async () => {}, this.#log)));
  }

  async applyChanges(changes: readonly RowChange[], opts: ApplyOptions = {}): Promise<void> {
    if (changes.length === 0) return;
    const now = Math.floor(Date.now() / 1000);
    const rowSet = this.#d.rowSet;
    await this.#conn.transaction(async (c) => {
      const tx = new SqlStore(c, this.#d, async () => {}, this.#log);
      if (!rowSet) {
        for (const ch of changes) {
          if (ch.op === 'upsert') await tx.#upsert(ch.table, ch.row, opts);
          else await tx.#deleteGuarded(ch, now, opts);
        }
        return;
      }
      for (const step of planChanges(changes)) {
        if (step.kind === 'delete') await tx.#deleteGuarded(step.change, now, opts);
        else if (step.rows.length === 1) await tx.#upsert(step.table, step.rows[0]!, opts);
        else {
          const t = tableSql(this.#d, step.table);
          await c.query(opts.force ? t.bulk!.forced : t.bulk!.guarded, [rowSet.encode(t.columns, step.rows), step.table], opts);
        }
      }
    }, opts);
  }

  /** One version-guarded (or, with `force`, reconcile's forced) upsert. */
  async #upsert(table: TableName, row: Row, opts: ApplyOptions): Promise<void> {
    const t = tableSql(this.#d, table);
    await this.#conn.query(opts.force ? t.forcedUpsert : t.guardedUpsert, [...t.encodeRow(row), table, String(row.id), Number(row.version)], opts);
  }

  /** Records the tombstone, then deletes the row if older (any version with `force`). */
  async #deleteGuarded(ch: Extract<RowChange, { op: 'delete' }>, now: number, opts: ApplyOptions): Promise<void> {
    await this.#tombstone(ch, now, opts.signal);
    if (opts.force) await this.#query(`DELETE FROM ${q(ch.table)} WHERE id = ?`, [ch.id], opts.signal);
    else await this.#query(`DELETE FROM ${q(ch.table)} WHERE id = ? AND version < ?`, [ch.id, ch.version], opts.signal);
  }

  async searchMessages(spec: SearchSpec): Promise<Row[]> {
    const t = tableSql(this.#d, 'messages');
    const from = this.#d.searchFrom(spec.terms);
    const { conds, params } = this.#where('messages', spec.where);
    const order = 'm.timestamp DESC, m.id DESC';
    if (this.#d.searchPage) {
      const page = await this.#d.searchPage((sql, p) => this.#query(sql, p), { terms: spec.terms, where: spec.where, conds, params, limit: spec.limit, offset: spec.offset ?? 0, select: t.selectList });
      if (page.rows) return page.rows.map((r) => t.decodeRow(r, this.#onIssues));
      if (page.rowids.length === 0) return [];
      const sql = `SELECT ${t.selectList} FROM messages m WHERE m.${page.key ?? 'rowid'} IN (${page.rowids.map(() => '?').join(', ')}) ORDER BY ${order}`;
      return (await this.#query(sql, page.rowids)).map((r) => t.decodeRow(r, this.#onIssues));
    }
    const rows = await this.#query(
      this.#pageFirst(t.selectList, 'messages', `${from.sql}${conds.map((c) => ` AND ${c}`).join('')} ORDER BY ${order} LIMIT ? OFFSET ?`, order),
      [...from.params, ...params, spec.limit, spec.offset ?? 0],
    );
    return rows.map((r) => t.decodeRow(r, this.#onIssues));
  }

  async ping(): Promise<void> {
    await this.#query('SELECT 1 AS ok', []);
  }

  close(): Promise<void> {
    return this.#onClose();
  }
}
