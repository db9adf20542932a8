/**
 * `concat()` of SQL tokens, each one or more comma-separated arguments (a token starting with
 * `CASE` or `coalesce` is one argument whatever its commas): one copy of each, where a chain of
 * `||` copies the growing row once per column (quadratic in wide rows), nested so no call has more
 * than 90 arguments (PostgreSQL allows 100, SQLite 127). Used by verify's pass rows (pass-sql.ts)
 * and the source's token chunks (source/token-chunk.ts), on both backends.
 */
export function concatSql(tokens: readonly string[]): string {
  const groups: string[] = [];
  let group: string[] = [];
  let args = 0;
  for (const t of tokens) {
    const n = t.startsWith('CASE') || t.startsWith('coalesce') ? 1 : t.split(', ').length;
    if (args + n > 90) {
      groups.push(`concat(${group.join(', ')})`);
      group = [];
      args = 0;
    }
    group.push(t);
    args += n;
  }
  groups.push(`concat(${group.join(', ')})`);
  return groups.length === 1 ? groups[0]! : `concat(${groups.join(', ')})`;
}
