import { createHash } from 'node:crypto';
import type { LogicalType } from '../../schema/columns.js';
import { tables, type TableName } from '../../schema/tables.js';
import { sanitizeText } from '../../services/sanitize.js';
import type { Row } from '../../stores/store.js';
import { canonicalNumber, mapJson, stringifyJsonExact } from '../../json-exact.js';

/**
 * The one canonical row form (docs/design.md invariant 7), used by export, import, verify and compare
 * reads, so the two backends compare without noise from type mapping:
 * - only the table's columns, in declaration order, missing ones as null;
 * - booleans true/false; `int`/`timestamp` as JS integers; `bigint` as a string of digits (exact);
 * - text with the NUL / lone-surrogate policy applied (sanitize.ts); JSON values with the same
 *   policy and object keys sorted.
 * Input: a logical row as the stores return it (see schema/columns.ts).
 */
export function normalizeRow(table: TableName, row: Readonly<Row>): Row {
  const out: Row = {};
  for (const c of tables[table].columns) out[c.name] = normalizeValue(c.type, row[c.name]);
  return out;
}

/**
 * One column's value in the canonical form (the per-column rule of {@link normalizeRow}), so a
 * reader can build the canonical row straight from driver values without an intermediate row.
 */
export function normalizeValue(type: LogicalType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'id':
    case 'text':
      return sanitizeText(String(v));
    case 'int':
    case 'timestamp':
    case 'millis':
      return Number(v);
    case 'bigint':
      return String(v);
    case 'bool':
      return v === true || v === 1 || v === 1n;
    case 'real':
      return Number(v);
    case 'json':
      // Without recursion (any depth); exact numbers in one spelling per value (json-exact.ts).
      return mapJson(v, sanitizeText, true, canonicalNumber).value;
  }
}

/** The canonical row as one JSON line (keys in column order, nested keys sorted, integers inside JSON exact). */
export function canonicalJson(table: TableName, row: Readonly<Row>): string {
  return stringifyJsonExact(normalizeRow(table, row));
}

/** sha256 hex of {@link canonicalJson}: the per-row checksum of export metadata and verify. */
export function rowChecksum(table: TableName, row: Readonly<Row>): string {
  return createHash('sha256').update(canonicalJson(table, row)).digest('hex');
}
